"""Shared fixtures: where the shared data copy is, and a torch thread setting for tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from hypothesis import settings

# One profile for every property test: no per-example deadline (first calls into torch
# are slow), and derandomised, so a CI run tests the same examples every time.
settings.register_profile("hw2", deadline=None, max_examples=50, derandomize=True)
settings.load_profile("hw2")

ROOT = Path(__file__).resolve().parents[1]
SHARED_ZIP = ROOT.parent / "shared" / "data" / "cats_and_dogs_filtered.zip"

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_zip() -> Path:
    """The project's local copy of the public archive (never committed)."""
    env = os.environ.get("HW2_SHARED_ZIP")
    path = Path(env) if env else SHARED_ZIP
    if not path.is_file():
        pytest.skip(f"no local copy of the archive at {path}")
    return path


@pytest.fixture(params=["cpu", "cuda"])
def device(request) -> str:
    """Each device a trainer should run on: the CPU always, CUDA where there is one."""
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    return request.param
