"""The GPU pass-through plan, tested on any machine from a description of its /dev; and a real
GPU run where there is one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grader.course import Course
from grader.errors import BadInput
from grader.sandbox.devices import nvidia_nodes, plan_devices
from grader.sandbox.plan import bubblewrap_works, plan_worker

from conftest import ROOT

TWO_GPUS = ["nvidia-modeset", "nvidia-uvm", "nvidia-uvm-tools", "nvidia0", "nvidia1", "nvidiactl"]


def test_cpu_gets_no_device_and_hides_cuda() -> None:
    plan = plan_devices("cpu", TWO_GPUS)
    assert plan.nodes == () and plan.env == {"CUDA_VISIBLE_DEVICES": ""} and not plan.sys_readonly


def test_each_worker_gets_one_gpu_and_the_control_nodes() -> None:
    first, second, third = (plan_devices("gpu", TWO_GPUS, slot) for slot in range(3))
    assert first.nodes == ("/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset")
    assert second.nodes[0] == "/dev/nvidia1" and "/dev/nvidia0" not in second.nodes
    assert third.nodes[0] == "/dev/nvidia0", "round robin past the last GPU"
    assert second.env == {"CUDA_VISIBLE_DEVICES": "1", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    assert first.sys_readonly


def test_auto_without_gpu_is_cpu_and_gpu_without_gpu_is_an_error() -> None:
    assert plan_devices("auto", []).device == "cpu"
    assert plan_devices("auto", TWO_GPUS).device == "auto"
    with pytest.raises(BadInput, match="no NVIDIA GPU"):
        plan_devices("gpu", ["nvidiactl"])


@pytest.mark.skipif(not bubblewrap_works(), reason="bubblewrap is not usable here")
def test_bwrap_command_binds_exactly_the_planned_nodes(tmp_path) -> None:
    plan = plan_worker(ROOT, devices=plan_devices("gpu", TWO_GPUS, 1), uid=None, exchange=tmp_path, events_fd=9)
    binds = [plan.argv[i + 1] for i, a in enumerate(plan.argv) if a == "--dev-bind"]
    assert binds == list(plan_devices("gpu", TWO_GPUS, 1).nodes)
    assert plan.argv.index("--dev") < plan.argv.index("--dev-bind"), "--dev would hide the nodes"
    sys_at = plan.argv.index("/sys")
    assert plan.argv[sys_at - 1 : sys_at + 2] == ["--ro-bind", "/sys", "/sys"]
    cpu = plan_worker(ROOT, devices=plan_devices("cpu", TWO_GPUS), uid=None, exchange=tmp_path, events_fd=9)
    assert "--dev-bind" not in cpu.argv and "/sys" not in cpu.argv


def test_checks_widen_tolerance_on_gpu_only_where_they_say_so() -> None:
    chapter = Course(ROOT).chapter("chapter1")
    collapse = chapter.find(["collapse_linear"])[0]
    slightly_off = [[1.0 + 1e-3]]
    assert collapse.comparison("cpu")([[1.0]], slightly_off) is not None
    assert collapse.comparison("gpu:0")([[1.0]], slightly_off) is None
    dense = chapter.find(["dense_params"])[0]
    assert dense.comparison("gpu:0") is dense.compare


def test_gpu_on_a_machine_without_one_is_a_clear_error() -> None:
    if nvidia_nodes():
        pytest.skip("this machine has a GPU")
    run = subprocess.run([sys.executable, "-m", "grader.cli", "chapter1", "--device", "gpu"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert run.stderr.strip() == "Error: --device gpu: this machine has no NVIDIA GPU (no /dev/nvidia0)"


@pytest.mark.gpu
@pytest.mark.skipif(not nvidia_nodes(), reason="no GPU on this machine (no /dev/nvidia* device nodes)")
def test_chapter_on_a_real_gpu() -> None:
    solution = ROOT / "solutions/chapter1/fundamentals.py"
    run = subprocess.run([sys.executable, "-m", "grader.cli", "chapter1", "--device", "gpu",
                          "--submission", str(solution), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    print("device:", result["environment"]["device"], "TensorFlow", result["environment"]["tensorflow"])
    assert result["environment"]["device"].startswith("gpu:")
    assert result["score"] == result["max_score"]
