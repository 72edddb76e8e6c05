"""A seccomp filter that keeps a submission from making namespaces, mounts or a chroot, System V
shared memory, semaphores and message queues, sockets, or reaching into other processes.

The machine allows unprivileged user namespaces, and inside one a process is root: it can mount,
chroot and unshare the rest, which a submission has no use for (bubblewrap's --disable-userns
would need the worker in a user namespace of its own, where it could not switch to the job's
uid). The filter, inherited by everything the child starts, answers EPERM to unshare, setns,
the mount calls, pivot_root, chroot and clone with a namespace flag; clone3, whose flags the
filter cannot read, gets ENOSYS, and the C library falls back to clone. shmget, semget and
msgget get EPERM too: System V memory is counted by no process's memory limit (the job's IPC
namespace of its own frees it when the job ends; the filter keeps it from being made at all).

The filter needs no privilege, so it holds where bubblewrap cannot run (Docker, GitHub's runners,
Colab), where a job shares the host's network and, as a grader that is not root, its uid:
`socket` gets EPERM (no TCP, UDP, netlink or UNIX socket of the host: a Dask scheduler, a
desktop bus; `socketpair` stays, it reaches nothing), and so do ptrace and process_vm_readv and
writev (another process's memory), the kernel keyrings (kept per uid: a note for the next job)
and io_uring (whose operations pass no filter).
"""

from __future__ import annotations

import ctypes
import platform
import struct

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
# machine -> (audit arch, {name: number}); the mount API calls 428-442 are the same on both
ARCHES = {
    "x86_64": (0xC000003E, {"unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
                            "pivot_root": 155, "chroot": 161, "clone": 56,
                            "shmget": 29, "semget": 64, "msgget": 68, "socket": 41,
                            "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
                            "add_key": 248, "request_key": 249, "keyctl": 250}),
    "aarch64": (0xC00000B7, {"unshare": 97, "setns": 268, "mount": 40, "umount2": 39,
                             "pivot_root": 41, "chroot": 51, "clone": 220,
                             "shmget": 194, "semget": 190, "msgget": 186, "socket": 198,
                             "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
                             "add_key": 217, "request_key": 218, "keyctl": 219}),
}  # fmt: skip
NEW_MOUNT_API = (428, 429, 430, 431, 432, 433, 442)  # open_tree ... fspick, mount_setattr
IO_URING = (425, 426, 427)  # setup, enter, register
CLONE3 = 435


def install_seccomp_filter() -> bool:
    """Install the filter on this process (after PR_SET_NO_NEW_PRIVS); False where this machine's
    architecture is not known here (nothing is installed)."""
    arch = ARCHES.get(platform.machine())
    if arch is None:
        return False
    code = _program(*arch)
    filters = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *op) for op in code))
    prog = struct.pack("HxxxxxxP", len(code), ctypes.addressof(filters))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_char_p(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter refused")
    return True


def _program(audit_arch: int, numbers: dict[str, int]) -> list[tuple[int, int, int, int]]:
    denied = [number for name, number in numbers.items() if name != "clone"]
    denied += [*NEW_MOUNT_API, *IO_URING]
    ops = [
        (LD, 0, 0, 4),  # arch
        (JEQ, 1, 0, audit_arch),
        (RET, 0, 0, EPERM),  # another ABI (i386 on x86_64): its numbers differ
        (LD, 0, 0, 0),  # syscall number
        (JGE, 0, 1, 0x40000000),  # x32 numbers
        (RET, 0, 0, EPERM),
        (JEQ, 0, 1, CLONE3),
        (RET, 0, 0, ENOSYS),
    ]
    for number in denied:
        ops += [(JEQ, 0, 1, number), (RET, 0, 0, EPERM)]
    ops += [
        (JEQ, 0, 3, numbers["clone"]),
        (LD, 0, 0, 16),  # clone's flags: args[0], low 32 bits
        (JSET, 0, 1, NAMESPACE_FLAGS),
        (RET, 0, 0, EPERM),
        (RET, 0, 0, ALLOW),
    ]
    return ops
