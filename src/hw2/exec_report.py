"""The execution report's second half: what produced the book's numbers.

Timings and trained results depend on the machine, so the report names the package
versions, the CPU (model, cores, vector units), the torch threads and the device of the
build that executed the pages.
"""

from __future__ import annotations

import inspect
import os
import platform
from importlib import metadata
from pathlib import Path

import torch

from . import catsdogs
from .runtime import pick_device

__all__ = ["PACKAGES", "cpu", "environment"]

PACKAGES = ("torch", "torchvision", "numpy", "matplotlib", "hw2", "jupyter-book", "myst-nb",
            "sphinx", "sphinx-exercise", "sphinxcontrib-bibtex")


def cpu() -> dict[str, str]:
    """The CPU's model, core count and the vector units that set its matmul speed
    (from ``/proc/cpuinfo`` where there is one)."""
    info = {"model": platform.processor() or platform.machine(), "cores": str(os.cpu_count())}
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        text = cpuinfo.read_text()
        lines = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        lines = {k.strip(): v.strip() for k, v in lines.items()}
        info["model"] = lines.get("model name", info["model"])
        flags = set(lines.get("flags", "").split())
        units = [name for flag, name in [("avx2", "AVX2"), ("avx512f", "AVX-512"),
                                         ("avx512_bf16", "AVX-512 bf16"),
                                         ("amx_bf16", "AMX bf16")] if flag in flags]
        info["vector units"] = ", ".join(units) or "none of AVX2, AVX-512, AMX"
    return info


def environment() -> dict[str, str]:
    """Everything the report lists: Python and package versions, CPU, torch threads and
    the device the pages ran on."""
    env = {"python": platform.python_version(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            env[name] = "not installed"
    env.update({f"CPU {k}": v for k, v in cpu().items()})
    cnn = inspect.signature(catsdogs.train).parameters["threads"].default
    env["torch threads"] = (f"{os.environ.get('HW2_THREADS', '1')} per page; the CNN "
                            f"trains on {cnn}")
    # The device the trainers chose (HW2_DEVICE, set to cpu by the build scripts).
    device = pick_device()
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    env["device"] = f"{device.type} (CUDA GPU on the machine: {gpu})"
    return env
