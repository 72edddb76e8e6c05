"""Writes in the folder the grader exchanges a job's files through ($TF_GRADER_EXCHANGE: with
bubblewrap /exchange, a writable bind of a folder on the host's disk; without, that folder): a
file there is on the host, past the scratch's 512 MiB cap, and stays until the grader removes
the folder (tests/test_sandbox_modes_attacks.py leaves a chain 1,500 folders deep there)."""
import os

exchange = os.environ.get("TF_GRADER_EXCHANGE", "/exchange")
try:
    with open(os.path.join(exchange, "planted.bin"), "wb") as f:
        f.write(b"\0" * (1 << 20))
    print(f"EXCHANGE WRITABLE: wrote 1 MiB in {exchange}")
except OSError as exc:
    print(f"exchange {exchange}: {exc.strerror}")


def dense_params(input_size, units, use_bias=True):
    return input_size * units + (units if use_bias else 0)
