"""Landlock: the file system, TCP ports and signals a job may reach, without any privilege.

Bubblewrap hides the course by not mounting it, but it needs namespaces, which Docker (Gradescope),
GitHub's runners (AppArmor) and Colab refuse. Landlock (Linux 5.13+) needs none: a process
restricts itself and everything it starts, for good. The child allows itself to read the system,
the Python installation and the engine, and to write its own scratch folder and /dev; nothing
else, so the course root (`solutions/`, hidden checks, `expected.json`), other entries, the
gradebook, the exchange folders, `$GITHUB_OUTPUT`, the user site, `/tmp` and `/dev/shm` are out
of reach whatever uid the job has. Newer kernels add more, each used where the kernel has it:
TCP bind and connect refused (ABI 4), device ioctls only under /dev (ABI 5), and signals and
abstract UNIX sockets only within the job (ABI 6): a job that runs as the grader's own user can
then neither kill the grader nor reach a host service by an abstract socket.
"""

from __future__ import annotations

import ctypes
import os
import struct
from pathlib import Path

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ = EXECUTE | READ_FILE | READ_DIR
DEVICES = READ_FILE | WRITE_FILE | READ_DIR | TRUNCATE | IOCTL_DEV


def _fs_handled(abi: int) -> int:
    handled = (1 << 13) - 1
    if abi >= 2:
        handled |= REFER
    if abi >= 3:
        handled |= TRUNCATE
    if abi >= 5:
        handled |= IOCTL_DEV
    return handled


def abi() -> int:
    """The Landlock ABI this kernel offers; 0 where it has none, or where it is switched off or
    refused (a container's seccomp profile)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(ctypes.c_long(CREATE_RULESET), None, ctypes.c_size_t(0),
                           ctypes.c_uint32(CREATE_RULESET_VERSION))  # fmt: skip
    return max(int(version), 0)


def what_it_keeps(version: int) -> list[str]:
    """What a confinement at ABI `version` holds, in the words results show."""
    if version < 1:
        return []
    kept = ["Landlock: the job reads only the system, Python and the engine, and writes only its "
            "scratch folder (not the course, solutions/, other entries, outputs, /tmp or /dev/shm)"]
    if version >= 4:
        kept.append("Landlock: TCP bind and connect refused")
    if version >= 6:
        kept.append("Landlock: signals and abstract UNIX sockets reach only the job's own processes")
    return kept


def confine(readable: list[str], writable: list[str]) -> int:
    """Restrict this process and all it starts to reading `readable` and writing `writable`
    (plus /dev), with the network and signal scopes this kernel has. Returns the ABI used, 0 if
    none (nothing changes). Needs PR_SET_NO_NEW_PRIVS already set."""
    version = abi()
    if version < 1:
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    handled = _fs_handled(version)
    net = NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0
    attr = struct.pack("QQQ", handled, net, scoped)
    size = 8 if version < 4 else 16 if version < 6 else 24
    buffer = ctypes.create_string_buffer(attr[:size])
    ruleset = libc.syscall(ctypes.c_long(CREATE_RULESET), buffer, ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock: ruleset refused")
    try:
        rules = [(p, READ) for p in readable] + [(p, handled) for p in writable] + [("/dev", DEVICES)]
        for path, access in rules:
            _allow(libc, ruleset, path, access & handled)
        if libc.syscall(ctypes.c_long(RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock: restrict_self refused")
    finally:
        os.close(ruleset)
    return version


def _allow(libc: ctypes.CDLL, ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # not on this machine (a /lib32 or a GPU's node that is not there)
    try:
        if not os.path.isdir(path):  # a file's rule may only hold file rights
            access &= EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
        rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd))
        if libc.syscall(ctypes.c_long(ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                        rule, ctypes.c_uint32(0)) != 0:  # fmt: skip
            raise OSError(ctypes.get_errno(), f"landlock: rule for {path} refused")
    finally:
        os.close(fd)


def readable_roots(roots: list[Path], hidden: list[Path]) -> list[Path]:
    """`roots` with every `hidden` folder carved out: a root that holds a hidden folder gives
    way to its other entries, level by level down to it (Landlock only allows, so a course
    that lives under /opt or /usr is hidden by allowing around it)."""
    out: list[Path] = []
    for root in roots:
        out += _around(root, [h for h in hidden if h == root or root in h.parents])
    return out


def _around(root: Path, hidden: list[Path]) -> list[Path]:
    if not hidden:
        return [root]
    if root in hidden:
        return []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    out: list[Path] = []
    for entry in entries:
        out += _around(entry, [h for h in hidden if h == entry or entry in h.parents])
    return out
