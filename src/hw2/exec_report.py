"""The execution report's second half: what produced the book's numbers.

Timings and trained results depend on the machine, so the report names the package
versions, the CPU (model, cores, vector units), the torch threads, the device and the
floating-point arithmetic of the build that executed the pages.
"""

from __future__ import annotations

import inspect
import os
import platform
from importlib import metadata

import torch

from . import arithmetic, catsdogs
from .runtime import pick_device

__all__ = ["PACKAGES", "environment"]

PACKAGES = ("torch", "torchvision", "numpy", "matplotlib", "hw2", "jupyter-book", "myst-nb",
            "sphinx", "sphinx-exercise", "sphinxcontrib-bibtex")


def environment() -> dict[str, str]:
    """Everything the report lists: Python and package versions, CPU, torch threads and
    the device the pages ran on."""
    env = {"python": platform.python_version(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            env[name] = "not installed"
    env.update({f"CPU {k}": v for k, v in arithmetic.cpu().items()})
    cnn = inspect.signature(catsdogs.train).parameters["threads"].default
    env["torch threads"] = (f"{os.environ.get('HW2_THREADS', '1')} per page; the CNN "
                            f"trains on {cnn}")
    # The device the trainers chose (HW2_DEVICE, set to cpu by the build scripts).
    device = pick_device()
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    env["device"] = f"{device.type} (CUDA GPU on the machine: {gpu})"
    env["arithmetic of the LSTM runs"] = arithmetic.describe()
    return env
