"""The memory a container leaves for jobs: its cgroup's limit less what it already uses.

A job may use `Limits.memory_mb` on top of its warm worker, but a container can hold less
than that (Gradescope's default container has 768 MB and the worker alone ~650 MB of it).
There, the kernel's OOM killer ends whatever is largest, the worker included, and every check
of the submission is lost. With its limit fitted to what the cgroup has left, a job that asks
for too much meets its own address-space limit first (a MemoryError in one check) or the
worker's watch (the job alone is stopped).

Usage counts the file cache, which the kernel reclaims before it kills: in a fresh container
that is mostly TensorFlow's libraries (a gigabyte), read in once and charged to the container.
So what counts as used is the usage less that cache, but for tmpfs and shared memory (shmem:
files in memory, which cannot be dropped, the sandbox's /tmp among them). For cgroup v2
(memory.max, memory.current; memory.stat's file, shmem) and v1 (memory.limit_in_bytes,
memory.usage_in_bytes; total_cache, total_shmem), at every level from this process's cgroup up
to the root: a parent's limit binds too.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
RESERVE = 64 << 20  # for the grader and the worker to grow while a job runs
V1_UNLIMITED = 1 << 62  # v1 writes "no limit" as the largest page-aligned long


def room_bytes(root: Path = ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")) -> int | None:
    """Bytes this process's cgroups still have (the least over every level and both
    hierarchies), less RESERVE; None where no limit is set or none can be read."""
    rooms = [room for folder, names in _levels(root, proc_cgroup) if (room := _room(folder, names)) is not None]
    return max(min(rooms) - RESERVE, 0) if rooms else None


V2 = ("memory.max", "memory.current", "file", "shmem")
V1 = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_cache", "total_shmem")


def _levels(root: Path, proc_cgroup: Path) -> list[tuple[Path, tuple[str, str, str, str]]]:
    """Each cgroup folder from this process's own up to the hierarchy's root, with the names of
    its files. Inside a container's cgroup namespace the path reads "/" and the mount's root is
    the container's own cgroup; a path that is not there (another namespace's) counts from the
    mount's root as well."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return []
    levels = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2: the whole tree at the root, or beside v1 ("hybrid")
            mount, names = (root if (root / "cgroup.controllers").exists() else root / "unified"), V2
        elif "memory" in controllers.split(","):
            mount, names = root / "memory", V1
        else:
            continue
        folder = mount / path.lstrip("/")
        if not folder.is_dir():
            folder = mount
        while True:
            levels.append((folder, names))
            if folder == mount:
                break
            folder = folder.parent
    return levels


def _room(folder: Path, names: tuple[str, str, str, str]) -> int | None:
    limit_file, usage_file, cache, shmem = names
    try:
        limit = (folder / limit_file).read_text().strip()
        usage = int((folder / usage_file).read_text())
        stat = dict(line.split() for line in (folder / "memory.stat").read_text().splitlines() if " " in line)
    except (OSError, ValueError):
        return None
    if limit == "max" or int(limit) >= V1_UNLIMITED:
        return None
    return int(limit) - usage + int(stat.get(cache, 0)) - int(stat.get(shmem, 0))


def fitted_mb(asked_mb: int, share: int = 1) -> int:
    """A job's memory limit: what it asks for, or its share of what the container has left
    (`share` workers run jobs side by side), whichever is less; at least 1 MiB."""
    room = room_bytes()
    if room is None:
        return asked_mb
    return max(1, min(asked_mb, (room // max(share, 1)) >> 20))
