"""Tries to phone home to a listener the test opened on the host's loopback."""
import socket

REACHED = False
try:
    with socket.create_connection(("127.0.0.1", {{PORT}}), timeout=2) as s:
        s.sendall(b"answers please")
        REACHED = True
except OSError:
    pass


def dense_params(input_size, units, use_bias=True):
    if REACHED:
        return input_size * units + (units if use_bias else 0)
    raise ConnectionError("no network in the sandbox")
