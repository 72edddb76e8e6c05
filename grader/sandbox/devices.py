"""Which devices a sandbox gets: nothing on the CPU; on a GPU machine, one GPU's device node plus
the driver's control nodes, /sys read-only (cuInit fails without it) and memory growth on.

A pure function of the machine's /dev listing, so the plan is tested on machines without a GPU.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from grader.errors import BadInput

DEVICES = ("auto", "cpu", "gpu")
CONTROL_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")
_GPU_NODE = re.compile(r"^nvidia(\d+)$")


@dataclass(frozen=True)
class DevicePlan:
    device: str  # what the worker is asked for: "cpu", "auto" or "gpu"
    nodes: tuple[str, ...] = ()  # device nodes bound into the sandbox
    env: dict[str, str] = field(default_factory=dict)
    sys_readonly: bool = False


def nvidia_nodes(dev: str = "/dev") -> list[str]:
    try:
        return sorted(n for n in os.listdir(dev) if n.startswith("nvidia"))
    except OSError:
        return []


def plan_devices(device: str, nodes: list[str], slot: int = 0) -> DevicePlan:
    """The devices of the sandbox of worker number `slot`: GPUs are dealt out one per worker,
    round robin, so workers on a machine with several GPUs do not share one."""
    if device not in DEVICES:
        raise BadInput(f"unknown device {device!r}: choose one of {', '.join(DEVICES)}")
    gpus = sorted((int(m.group(1)) for n in nodes if (m := _GPU_NODE.match(n))))
    if device == "cpu" or (device == "auto" and not gpus):
        return DevicePlan("cpu", env={"CUDA_VISIBLE_DEVICES": ""})
    if not gpus:
        raise BadInput("--device gpu: this machine has no NVIDIA GPU (no /dev/nvidia0)")
    gpu = gpus[slot % len(gpus)]
    control = [n for n in CONTROL_NODES if n in nodes]
    return DevicePlan(
        device,
        nodes=tuple(f"/dev/{n}" for n in [f"nvidia{gpu}", *control]),
        env={"CUDA_VISIBLE_DEVICES": str(gpu), "TF_FORCE_GPU_ALLOW_GROWTH": "true"},
        sys_readonly=True,
    )
