"""Shared helpers every page uses: seeding and the torch thread count."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["seed_everything", "set_threads", "setup"]


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators with ``seed``.

    Every page calls this (through :func:`setup`) so that two builds glue the same numbers.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count and return it.

    ``None`` reads ``HW2_THREADS`` and falls back to 1. Small recurrent models run
    fastest on one thread; on a 2-core machine, two processes each using two threads
    ran a small LSTM about 9x slower than one thread, so oversubscription is avoided by
    default and convolutional training asks for more explicitly.
    """
    if threads is None:
        threads = int(os.environ.get("HW2_THREADS", "1"))
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"threads must be an int, got {type(threads).__name__}")
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)
    return torch.get_num_threads()


def setup(seed: int = 0, threads: int | None = None) -> None:
    """Seed everything and set the thread count: the first code cell of every page."""
    seed_everything(seed)
    set_threads(threads)
