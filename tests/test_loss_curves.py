"""The temporal-order task generator, the spike metric, and the training function."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from hw2 import seqcls
from hw2.temporal_order import (
    CLASSES,
    LEVELS,
    SYMBOLS,
    TemporalOrder,
    decode,
    encode,
    label_of,
    make_generators,
)


@pytest.mark.parametrize("difficulty", list(LEVELS))
def test_sequences_follow_the_level(difficulty):
    level = LEVELS[difficulty]
    gen = TemporalOrder(difficulty, batch_size=50, seed=0)
    for _ in range(4):
        s, label = gen.sample()
        assert level.length[0] <= len(s) < level.length[1]
        assert s[0] == "B" and s[-1] == "E"
        t1, t2 = [i for i, c in enumerate(s) if c in "XY"]
        assert level.t1[0] <= t1 < level.t1[1]
        assert level.t2[0] <= t2 < level.t2[1]
        assert set(s[1:-1]) - set("XY") <= set("abcd")
        assert label_of(s) == label


def test_batches_are_pre_padded_and_end_with_E():
    gen = TemporalOrder("MODERATE", batch_size=32, seed=1)
    x, y = gen.batch()
    assert x.shape == (32, LEVELS["MODERATE"].max_length, len(SYMBOLS))
    assert y.shape == (32,)
    assert (x[:, -1, SYMBOLS.index("E")] == 1).all()
    lengths = x.sum((1, 2))
    for row, n in zip(x, lengths.long().tolist()):
        pad = row.shape[0] - n
        assert (row[:pad] == 0).all()  # padding in front, as zero vectors
        assert row[pad, SYMBOLS.index("B")] == 1
    assert len(gen) == 1000 // 32


def test_classes_are_balanced():
    gen = TemporalOrder("EASY", batch_size=1000, seed=2)
    counts = collections.Counter(label for _, label in (gen.sample() for _ in range(8000)))
    assert set(counts) == set(range(len(CLASSES)))
    assert all(abs(n / 8000 - 0.25) < 0.03 for n in counts.values())


@given(st.lists(st.text(alphabet=SYMBOLS, min_size=1, max_size=12), min_size=1, max_size=6))
def test_decode_inverts_encode(sequences):
    assert decode(encode(sequences)) == sequences


def test_encode_errors():
    with pytest.raises(ValueError, match="may only use"):
        encode(["BXqE"])
    with pytest.raises(ValueError, match="shorter than the longest"):
        encode(["BXYE"], length=2)


def test_generators_are_reproducible():
    a_train, _ = make_generators("NORMAL", 8, seed=8382)
    b_train, _ = make_generators("NORMAL", 8, seed=8382)
    xa, ya = a_train.batch()
    xb, yb = b_train.batch()
    assert torch.equal(xa, xb) and torch.equal(ya, yb)


@pytest.mark.parametrize("kwargs", [dict(difficulty="EXTREME"), dict(batch_size=0),
                                    dict(batch_size=2000)])
def test_generator_arguments(kwargs):
    with pytest.raises(ValueError):
        TemporalOrder(**kwargs)


def test_max_rise():
    assert seqcls.max_rise([1.4, 1.0, 0.5, 0.1]) == pytest.approx(-0.4)
    assert seqcls.max_rise([1.4, 0.1, 0.05, 2.3, 0.0]) == pytest.approx(2.25)
    assert seqcls.max_rise([1.0, 1.15]) == pytest.approx(0.15)
    with pytest.raises(ValueError):
        seqcls.max_rise([1.0])


@given(st.lists(st.floats(0, 10), min_size=2, max_size=30))
def test_max_rise_matches_its_definition(losses):
    expected = max(losses[e] - min(losses[:e]) for e in range(1, len(losses)))
    assert seqcls.max_rise(losses) == pytest.approx(expected)


def test_config_errors():
    with pytest.raises(ValueError, match="optimizer"):
        seqcls.Config(optimizer="sgd")
    with pytest.raises(ValueError, match="schedule"):
        seqcls.Config(schedule="step")
    with pytest.raises(ValueError, match="positive"):
        seqcls.Config(clip=0.0)


def test_training_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    config = seqcls.Config(difficulty="EASY", batch_size=100, clip=1.0, schedule="cosine")
    h = seqcls.train(config, epochs=3)
    assert len(h["train_loss"]) == len(h["test_acc"]) == 3
    assert len(h["grad_norm"]) == 3 * 10
    assert h["weight_hist"].shape == (3, 41)
    assert np.isfinite(h["step_median"]).all()
    hs, cs = seqcls.states(h["model"], encode(["BaXbYcE"])[0])
    assert hs.shape == cs.shape == (7, 12)
    # The step-by-step states agree with nn.LSTM's own output.
    out, _ = h["model"].lstm(encode(["BaXbYcE"]))
    torch.testing.assert_close(hs, out[0])
