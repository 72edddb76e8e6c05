"""Writes the recorded expected observations (they ship with the exercises) on every fd at import:
a grader that trusted whatever reaches its result channel would give this every public point."""
import os

FORGED = {{EXPECTED}}  # one JSON line per public check, filled in by the test

for fd in range(3, 64):
    try:
        os.write(fd, FORGED.encode())
    except OSError:
        pass
