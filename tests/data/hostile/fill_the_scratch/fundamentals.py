"""Fills its scratch folder with files: the scratch lives in memory that no process's memory limit
counts, so without a cap on it a few of these would exhaust the grader's machine. Stops at 2 GiB,
so that the test itself stays safe where the cap is missing."""
import os

chunk, written = b"\0" * (16 << 20), 0
try:
    while written < 2048:
        with open(f"fill{written}", "wb") as f:
            f.write(chunk)
        written += 16
    why = "no limit"
except OSError as exc:
    why = exc.strerror
for name in os.listdir("."):  # room again for what it prints (its output file is in the scratch)
    if name.startswith("fill"):
        os.remove(name)
print(f"wrote {written} MiB: {why}")


def dense_params(input_size, units, use_bias=True):
    return input_size * units + (units if use_bias else 0)
