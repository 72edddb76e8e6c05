"""Leaves files in the machine's shared temporary folders (/tmp and /dev/shm, each a tmpfs or a
disk that no process's memory or file limit counts), and a folder: for a later process, of any
user, to find, or to fill the machine."""
import os

for path in ("/tmp/tfg-hostile-left.txt", "/dev/shm/tfg-hostile-left.txt"):
    try:
        with open(path, "w") as f:
            f.write("left by a submission\n")
    except OSError:
        pass
try:
    os.makedirs("/tmp/tfg-hostile-left-folder/inside", exist_ok=True)
    with open("/tmp/tfg-hostile-left-folder/inside/note.txt", "w") as f:
        f.write("left by a submission\n")
except OSError:
    pass


def dense_params(input_size, units, use_bias=True):
    return input_size * units + (units if use_bias else 0)
