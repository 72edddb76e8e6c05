"""Makes System V shared memory in a fresh interpreter (no audit hook there, so ctypes works) and
leaves it behind: no memory limit counts it, and in the worker's IPC namespace it would outlive
the job and hold the machine's memory while the next students are graded."""

import subprocess
import sys

MAKE = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
made = libc.shmget(0, 64 << 20, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
print("shmget gave", made, "errno", ctypes.get_errno())
"""
print(subprocess.run([sys.executable, "-c", MAKE], capture_output=True, text=True).stdout.strip())

{{SOLUTION}}
