"""Leaves a daemon behind (double fork + setsid) that would outlive a naive sandbox."""
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            time.sleep(0.1)
    os._exit(0)


def dense_params(input_size, units, use_bias=True):
    return input_size * units + (units if use_bias else 0)
