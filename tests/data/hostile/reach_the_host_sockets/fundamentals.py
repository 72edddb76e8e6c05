"""Connects to services of the grader's machine, as a submission that found a Dask scheduler's
address (in /proc/*/cmdline, the environment or /proc/net/tcp) would, to have the scheduler's
workers forge its classmates' rows: a TCP listener on the loopback, a unix socket at a path, and
an abstract unix socket (which no file permission guards)."""
import socket

TARGETS = [("tcp", socket.AF_INET, ("127.0.0.1", {{PORT}})),
           ("unix", socket.AF_UNIX, "{{UNIX_PATH}}"),
           ("abstract", socket.AF_UNIX, "\0{{UNIX_ABSTRACT}}")]
for name, family, address in TARGETS:
    try:
        with socket.socket(family) as s:
            s.settimeout(2)
            s.connect(address)
            s.sendall(b"answers please")
        print(f"REACHED the host's {name} socket")
    except OSError as exc:
        print(f"{name}: {exc.strerror or exc}")


def dense_params(input_size, units, use_bias=True):
    return input_size * units + (units if use_bias else 0)
