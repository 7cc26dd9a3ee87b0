"""hw2.echo_data: strings as indices, delayed targets, batches, datasets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hw2 import echo_data as data


def letters(batch: int, length: int) -> st.SearchStrategy:
    """Index tensors ``(batch, length)`` of letters 1-26; they shrink towards ``a``."""
    return arrays(np.int64, (batch, length), elements=st.integers(1, 26)).map(torch.from_numpy)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=40))
def test_decode_inverts_encode(s):
    assert data.decode(data.encode(s)) == s


@pytest.mark.parametrize("bad", ["Hello", "abc1", "a b", "é"])
def test_encode_rejects_non_lowercase(bad):
    with pytest.raises(ValueError, match="lowercase letters"):
        data.encode(bad)


def test_encode_rejects_non_strings():
    with pytest.raises(TypeError):
        data.encode(["a"])


@given(letters(4, 12), st.lists(st.integers(0, 14), min_size=4, max_size=4))
def test_delayed_shifts_each_row_by_its_delay(x, delays):
    y = data.delayed(x, torch.tensor(delays))
    for row, d in enumerate(delays):
        d = min(d, 12)
        assert (y[row, :d] == 0).all()
        assert torch.equal(y[row, d:], x[row, : 12 - d])


@pytest.mark.parametrize("delay", [0, 1, 4, 14])
def test_echo_dataset_targets_are_shifted_inputs(delay):
    dataset = data.EchoDataset(delay=delay, seq_length=15, size=50, seed=3)
    items = list(dataset)
    assert len(items) == len(dataset) == 50
    for x, y in items:
        assert x.shape == (15, data.N_SYMBOLS) and y.shape == (15,)
        idx = x.argmax(-1)
        assert (idx >= 1).all()
        assert (y[:delay] == 0).all()
        assert torch.equal(y[delay:], idx[: 15 - delay])


def test_variable_dataset_targets_and_delays():
    dataset = data.VariableDelayEchoDataset(max_delay=8, seq_length=20, size=400, seed=1)
    seen = set()
    for x, d, y in dataset:
        seen.add(d)
        idx = x.argmax(-1)
        assert (y[:d] == 0).all()
        assert torch.equal(y[d:], idx[: 20 - d])
    assert seen == set(range(9))


def test_datasets_are_seeded():
    a = [y for _, y in data.EchoDataset(size=5, seed=7)]
    b = [y for _, y in data.EchoDataset(size=5, seed=7)]
    assert all(torch.equal(p, q) for p, q in zip(a, b))


@pytest.mark.parametrize("kwargs", [dict(delay=-1), dict(size=0)])
def test_dataset_arguments(kwargs):
    with pytest.raises(ValueError):
        data.EchoDataset(**kwargs)


def test_echo_batch_needs_one_delay_kind():
    with pytest.raises(ValueError, match="exactly one"):
        data.echo_batch(2, 5)
    with pytest.raises(ValueError, match="exactly one"):
        data.echo_batch(2, 5, delay=1, max_delay=2)
    with pytest.raises(ValueError, match="exactly one"):
        data.Draw().batch(2, 5)


@pytest.mark.parametrize("draw", [data.Draw(delay=3), data.Draw(max_delay=5)])
def test_a_draw_is_echo_batch_with_its_arguments(draw):
    got = draw.batch(4, 9, torch.Generator().manual_seed(2))
    want = data.echo_batch(4, 9, draw.delay, draw.max_delay, torch.Generator().manual_seed(2))
    assert all(torch.equal(a, b) for a, b in zip(got, want))
