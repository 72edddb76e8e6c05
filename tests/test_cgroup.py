"""The memory a container leaves for jobs, read from cgroup files laid out as the kernel lays
them out (v2 as Docker's cgroupns shows it, v1 as this machine has it), and from the real
cgroup this test runs in."""

from __future__ import annotations

from pathlib import Path

from grader.sandbox.cgroup import RESERVE, room_bytes

MB = 1 << 20


def write(folder: Path, **files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text)


def test_v2_inside_a_container_counts_its_limit_less_what_it_uses_but_file_cache(tmp_path) -> None:
    """TensorFlow's libraries in the file cache can be dropped; files in memory (shmem) cannot."""
    root = tmp_path / "cgroup"
    write(root, cgroup__controllers="cpu memory pids\n", memory__max=str(1536 * MB), memory__current=str(1400 * MB),
          memory__stat=f"anon {400 * MB}\nfile {1000 * MB}\nshmem {100 * MB}\nactive_file {700 * MB}\n")
    proc = tmp_path / "proc-cgroup"
    proc.write_text("0::/\n")  # a cgroup namespace: the container's own cgroup is the mount's root
    assert room_bytes(root, proc) == (1536 - 1400 + 1000 - 100) * MB - RESERVE


def test_v2_a_parents_tighter_limit_binds_and_max_is_no_limit(tmp_path) -> None:
    root = tmp_path / "cgroup"
    write(root, cgroup__controllers="memory\n")
    write(root / "box", memory__max=str(1024 * MB), memory__current=str(500 * MB), memory__stat="file 0\n")
    write(root / "box/job", memory__max="max", memory__current=str(300 * MB), memory__stat="file 0\n")
    proc = tmp_path / "proc-cgroup"
    proc.write_text("0::/box/job\n")
    assert room_bytes(root, proc) == (1024 - 500) * MB - RESERVE
    write(root / "box", memory__max="max")
    assert room_bytes(root, proc) is None, "no limit anywhere: the job keeps what it asks for"


def test_v1_reads_the_memory_hierarchy_and_its_unlimited_value(tmp_path) -> None:
    root = tmp_path / "cgroup"
    memory = root / "memory/docker/abc"
    write(memory, memory__limit_in_bytes=str(768 * MB), memory__usage_in_bytes=str(700 * MB),
          memory__stat=f"cache {10 * MB}\ntotal_cache {20 * MB}\ntotal_shmem {5 * MB}\n")
    write(root / "memory/docker", memory__limit_in_bytes="9223372036854771712", memory__usage_in_bytes="0",
          memory__stat="total_cache 0\n")
    write(root / "memory", memory__limit_in_bytes="9223372036854771712", memory__usage_in_bytes="0",
          memory__stat="total_cache 0\n")
    proc = tmp_path / "proc-cgroup"
    proc.write_text("12:pids:/docker/abc\n4:memory:/docker/abc\n0::/docker/abc\n")
    assert room_bytes(root, proc) == max((768 - 700 + 20 - 5) * MB - RESERVE, 0)


def test_nothing_readable_means_no_limit(tmp_path) -> None:
    assert room_bytes(tmp_path / "none", tmp_path / "no-proc-file") is None
