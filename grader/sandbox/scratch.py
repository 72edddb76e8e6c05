"""A job's scratch folder, and removing what a job left, in ways the job cannot defeat.

A submission controls what it leaves: a folder 3,000 levels deep (shutil.rmtree recurses once
per level, and its RecursionError is not one of the errors `ignore_errors` swallows), a full
disk. Where the worker may mount (root in its sandbox), each job's scratch is a tmpfs of its own,
unmounted whole afterwards; elsewhere it is removed by `remove_tree`, which neither recurses
nor builds long paths.
"""

from __future__ import annotations

import ctypes
import os
import stat
import tempfile
from pathlib import Path

MNT_DETACH = 2


def make_scratch(parent: str | None, size_mb: int, mount: bool) -> tuple[Path, bool]:
    """A fresh folder for one job; with `mount`, a tmpfs of `size_mb` of its own (returned
    True), so that whatever the job writes there is capped and dropped whole by `drop_scratch`."""
    path = Path(tempfile.mkdtemp(prefix="job-", dir=parent))
    if mount:
        libc = ctypes.CDLL(None, use_errno=True)
        options = f"size={size_mb << 20},mode=0700".encode()
        if libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", 0, options) == 0:
            return path, True
    return path, False


def drop_scratch(path: Path, mounted: bool) -> None:
    if mounted:
        ctypes.CDLL(None, use_errno=True).umount2(str(path).encode(), MNT_DETACH)
    remove_tree(str(path))


def remove_tree(path: str) -> None:
    """Remove `path` and everything under it, however deep, without recursion: one folder open
    at a time (relative to its parent's descriptor, so no path grows past PATH_MAX), a stack of
    names to climb back. Errors are ignored: what stays is found by the worker's clean-state
    check, which retires the worker."""
    try:
        info = os.lstat(path)
    except OSError:
        return
    if not stat.S_ISDIR(info.st_mode):
        _unlink(path, None)
        return
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    names: list[str] = []  # the folders we went down into, from `path`
    try:
        while True:
            below = None
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        below = entry.name
                        break
                    _unlink(entry.name, fd)
            if below is not None:
                try:
                    os.chmod(below, 0o700, dir_fd=fd)  # a job's folder may be mode 000
                    child = os.open(below, flags, dir_fd=fd)
                except OSError:
                    break  # unreadable: left to the clean-state check
                os.close(fd)
                fd = child
                names.append(below)
                continue
            if not names:
                break
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = parent
            try:
                os.rmdir(names.pop(), dir_fd=fd)
            except OSError:
                break
    finally:
        os.close(fd)
    try:
        os.rmdir(path)
    except OSError:
        pass


def _unlink(name: str, dir_fd: int | None) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass
