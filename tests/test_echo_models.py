"""hw2.echo_models: the two models' shapes, contracts and errors, and how each scores a
training batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch.nn import functional as F

from hw2 import echo_data as data
from hw2 import echo_models as models


def one_hot_letters(batch: int, length: int) -> st.SearchStrategy:
    """One-hot inputs ``(batch, length, 27)`` of letters 1-26; they shrink towards ``a``."""
    indices = arrays(np.int64, (batch, length), elements=st.integers(1, 26))
    return indices.map(lambda a: F.one_hot(torch.from_numpy(a), data.N_SYMBOLS).float())


@pytest.mark.parametrize("encoding", ["heads", "input"])
def test_variable_model_shapes_and_errors(encoding):
    torch.manual_seed(0)
    model = models.VariableDelayGRUMemory(16, max_delay=3, encoding=encoding)
    x = F.one_hot(torch.randint(1, 27, (4, 9)), 27).float()
    assert model(x, torch.tensor([0, 1, 2, 3])).shape == (4, 9, 27)
    assert len(model.test_run("hello", 2)) == 5
    with pytest.raises(ValueError, match="0 ... 3"):
        model.test_run("hello", 4)
    with pytest.raises(ValueError, match="0 ... 3"):
        model(x, torch.tensor([0, 1, 2, 9]))
    with pytest.raises(ValueError, match="delays must have shape"):
        model(x, torch.tensor([0, 1]))
    with pytest.raises(TypeError):
        model.test_run("hello", 1.0)
    with pytest.raises(ValueError, match="lowercase"):
        model.test_run("Hello", 1)


@given(one_hot_letters(3, 5), st.lists(st.integers(0, 2), min_size=3, max_size=3))
def test_variable_model_heads_select_the_delay(x, delays):
    torch.manual_seed(0)
    model = models.VariableDelayGRUMemory(8, max_delay=2)
    every = model.all_heads(x)
    chosen = model(x, torch.tensor(delays))
    for b, d in enumerate(delays):
        assert torch.equal(chosen[b], every[b, :, d])


def test_each_model_scores_its_training_batch():
    torch.manual_seed(0)
    x, delays, y = data.echo_batch(3, 6, delay=2, generator=torch.Generator().manual_seed(0))
    fixed = models.GRUMemory(8)
    logits, targets = fixed.scored(x, delays)
    assert torch.equal(targets, y) and logits.shape == (3, 6, 27)
    heads = models.VariableDelayGRUMemory(8, max_delay=2)
    assert heads.draw == data.Draw(delay=0)
    logits, targets = heads.scored(x, delays)
    assert logits.shape == (3, 6, 3, 27) and targets.shape == (3, 6, 3)
    for k in range(3):  # every head is scored on its own delay, whatever delays says
        assert torch.equal(targets[:, :, k], data.delayed(x, torch.full((3,), k)))
    routed = models.VariableDelayGRUMemory(8, max_delay=2, encoding="input")
    assert routed.draw == data.Draw(max_delay=2)
    logits, targets = routed.scored(x, torch.tensor([0, 1, 2]))
    assert logits.shape == (3, 6, 27) and torch.equal(targets[2], y[2])


def test_model_constructor_errors():
    with pytest.raises(ValueError, match="encoding"):
        models.VariableDelayGRUMemory(8, encoding="bits")
    with pytest.raises(ValueError, match="max_delay"):
        models.VariableDelayGRUMemory(8, max_delay=-1)
    with pytest.raises(ValueError, match="x must have shape"):
        models.GRUMemory(8)(torch.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="all_heads needs"):
        models.VariableDelayGRUMemory(8, encoding="input").all_heads(torch.zeros(1, 2, 27))


def test_test_run_leaves_the_mode_as_it_was():
    model = models.GRUMemory(8).train()
    assert len(model.test_run("abcdefg")) == 7 and model.training
