"""The temporal-order task: its sequences, its encoding, and the course's exact stream."""

from __future__ import annotations

import collections
import hashlib

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

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
    assert x.shape == (32, LEVELS["MODERATE"].padded_length, len(SYMBOLS))
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


@pytest.mark.parametrize(
    "kwargs", [dict(difficulty="EXTREME"), dict(batch_size=0), dict(batch_size=2000)]
)
def test_generator_arguments(kwargs):
    with pytest.raises(ValueError):
        TemporalOrder(**kwargs)


def stream_sha256(difficulty: str) -> str:
    """sha256 of one epoch of section 8's stream, drawn the section's way: every train
    batch, then every test batch; per batch the one-hot ``x`` as uint8 bytes, then the
    class indices as int64 bytes."""
    digest = hashlib.sha256()
    for gen in make_generators(difficulty, 32, seed=8382):
        for x, y in gen:
            digest.update(x.numpy().astype(np.uint8).tobytes())
            digest.update(y.numpy().astype(np.int64).tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize(
    "difficulty, expected",
    [
        ("MODERATE", "e2a17c0b33af32f0f44cc82bf93e5b49f0a1a49715d28ef24d2b0d5f508ad769"),
        ("HARD", "35ee344d8b76108149ae314e8bc759217a096d1682ac8a2fbeb6b70328f39123"),
    ],
)
def test_stream_is_the_course_stream(difficulty, expected):
    """The first epoch equals the course's, bit for bit.

    The hashes were recorded once from the course's own generator
    (``res/sequential_tasks.py`` of Atcold/pytorch-Deep-Learning):
    ``TemporalOrderExp6aSequence.get_predefined_generator(level, 32)`` called twice
    (train, then test, each seeding NumPy's global RNG with 8382), then
    ``gen[i]`` for every ``i`` of the train generator and then of the test generator,
    hashing ``x.astype(uint8)`` and ``y.argmax(1).astype(int64)`` as above. The same
    check compared three epochs of 62 batches element by element, for MODERATE and
    EASY and for seeds 8382 and 3: all equal.
    """
    assert stream_sha256(difficulty) == expected


def test_padding_reaches_the_exclusive_bound():
    """MODERATE pads to 81, so even an 80-symbol sequence starts with a zero row."""
    gen = TemporalOrder("MODERATE", batch_size=1000, seed=0)
    x, _ = gen.batch()
    assert x.shape[1] == 81
    assert (x[:, 0] == 0).all()
