"""The execution report's second half: what produced the book's numbers.

Timings and trained results depend on the machine, so the report names the package
versions, the CPU (model, cores, vector units), the torch threads, the device and the
floating-point arithmetic of the build that executed the pages; and, for the
loss-curves chapter, the section's run in each arithmetic setting, the pinned run's
fingerprint against the recorded one, and what pinning costs.
"""

from __future__ import annotations

import inspect
import json
import os
import platform
from importlib import metadata

import torch

from .. import arithmetic, catsdogs
from ..loss_curves import History
from ..runtime import pick_device
from ..spikes import fingerprint, jumps_of
from .sources import PACKAGE_DIR

__all__ = ["PACKAGES", "RECORD", "arithmetic_table", "environment", "recorded", "reference_table"]

PACKAGES = (
    "torch",
    "torchvision",
    "numpy",
    "matplotlib",
    "hw2",
    "jupyter-book",
    "myst-nb",
    "sphinx",
    "sphinx-exercise",
    "sphinxcontrib-bibtex",
)
# The pinned section run's fingerprint, recorded by benchmarks/loss_curves.py --record.
RECORD = PACKAGE_DIR / "manifests" / "loss_curves_pinned.json"


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
    env["torch threads"] = f"{os.environ.get('HW2_THREADS', '1')} per page; the CNN trains on {cnn}"
    # The device the trainers chose (HW2_DEVICE, set to cpu by the build scripts).
    device = pick_device()
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    env["device"] = f"{device.type} (CUDA GPU on the machine: {gpu})"
    env["arithmetic of the LSTM runs"] = arithmetic.describe()
    return env


def _epochs(epochs: list[int]) -> str:
    return ", ".join(str(e) for e in epochs) or "–"


def arithmetic_table(runs: dict[str, History]) -> str:
    """The section's run of the loss-curves chapter in each arithmetic setting
    (``runs``: setting -> history), a Markdown row each: what the setting pins, where
    the plotted curves jump, the run's fingerprint and its training time."""
    if not isinstance(runs, dict) or not runs:
        raise ValueError("runs: need a dict of at least one setting -> History")
    lines = [
        "| setting | variables set | train curve jumps at | test curve jumps at "
        "| fingerprint | training time |",
        "|---|---|---|---|---|---:|",
    ]
    for setting, h in runs.items():
        pins = arithmetic.values(setting)
        variables = "<br>".join(f"`{k}={v}`" for k, v in pins.items()) or "none"
        found = jumps_of(h)
        lines.append(
            f"| {setting} | {variables} | {_epochs(found['train'])} "
            f"| {_epochs(found['test'])} | `{fingerprint(h)}` "
            f"| {h.train_seconds:.1f} s |"
        )
    return "\n".join(lines)


def recorded() -> dict:
    """The recorded pinned run: its fingerprint, the CPU and the torch version."""
    return json.loads(RECORD.read_text())


def reference_table(h: History, reference: dict | None = None) -> str:
    """This build's pinned section run ``h`` against the recorded one (default:
    :func:`recorded`), as a Markdown table: the two fingerprints, where and with
    which torch each was computed, and whether they are the same run."""
    if not isinstance(h, History):
        raise TypeError(f"h must be a History, got {type(h).__name__}")
    reference = recorded() if reference is None else reference
    cpu = arithmetic.cpu()
    here = f"{cpu['model']} ({cpu.get('vector units', '')})"
    comparable = (
        h.arithmetic == "pinned" and h.device == "cpu" and reference["torch"] == torch.__version__
    )
    same = (
        ("yes" if fingerprint(h) == reference["fingerprint"] else "no")
        if comparable
        else "not compared"
    )
    return "\n".join(
        [
            "| run | fingerprint | CPU | torch | arithmetic |",
            "|---|---|---|---|---|",
            f"| recorded | `{reference['fingerprint']}` | {reference['cpu']} "
            f"| {reference['torch']} | pinned |",
            f"| this build | `{fingerprint(h)}` | {here} | {torch.__version__} | {h.arithmetic} |",
            f"| **same run** | {same} | | | |",
        ]
    )
