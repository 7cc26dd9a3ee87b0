import random

import numpy as np
import pytest
import torch

from hw2.runtime import seed_everything, set_threads, setup


def draw() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_seed_everything_repeats_all_three_generators():
    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first
    seed_everything(124)
    assert draw() != first


def test_set_threads_sets_torch():
    before = torch.get_num_threads()
    try:
        assert set_threads(2) == 2
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_setup_reads_env(monkeypatch):
    monkeypatch.setenv("HW2_THREADS", "1")
    setup(seed=0)
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -1])
def test_set_threads_rejects_non_positive(bad):
    with pytest.raises(ValueError, match="threads"):
        set_threads(bad)


@pytest.mark.parametrize("bad", [1.5, "2", True])
def test_bad_types(bad):
    with pytest.raises(TypeError):
        set_threads(bad)
    with pytest.raises(TypeError):
        seed_everything(bad)


def test_negative_seed():
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-3)
