"""hw2.spikes and hw2.counterfactual: the spike metric and practical C's rule, the jumps,
the counterfactual replays that explain them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hw2 import counterfactual, spikes
from hw2.loss_curves import SECTION8, History


def _run(**fields) -> History:
    """A run's record with only ``fields`` filled in."""
    return History(replace(SECTION8, epochs=3), 1, 1, 10, "cpu", "pinned", **fields)


def test_max_rise():
    assert spikes.max_rise([1.4, 1.0, 0.5, 0.1]) == pytest.approx(-0.4)
    assert spikes.max_rise([1.4, 0.1, 0.05, 2.3, 0.0]) == pytest.approx(2.25)
    assert spikes.max_rise([1.0, 1.15]) == pytest.approx(0.15)
    with pytest.raises(ValueError):
        spikes.max_rise([1.0])


@given(st.lists(st.floats(0, 10), min_size=2, max_size=30))
def test_max_rise_matches_its_definition(losses):
    expected = max(losses[e] - min(losses[:e]) for e in range(1, len(losses)))
    assert spikes.max_rise(losses) == pytest.approx(expected)


@given(st.lists(st.floats(0, 3), min_size=2, max_size=30), st.floats(0.05, 1), st.floats(0.1, 2))
def test_jumps_match_their_definition(losses, threshold, learned):
    expected = [
        e
        for e in range(1, len(losses))
        if min(losses[:e]) < learned and losses[e] - losses[e - 1] > threshold
    ]
    assert spikes.jumps(losses, threshold, learned) == expected


def test_jumps_ignore_the_way_down_from_the_plateau():
    plateau_noise = [1.39, 1.38, 0.95, 1.4, 0.9, 0.3, 1.2, 0.1]
    assert spikes.jumps(plateau_noise, threshold=0.3, learned=1.0) == [3, 6]
    assert spikes.jumps(plateau_noise, threshold=0.3, learned=0.5) == [6]


def test_passes_needs_both_curves_flat_and_the_final_accuracy():
    flat = {
        "train_loss": [1.4, 0.5, 0.1],
        "test_loss": [1.4, 0.6, 0.1],
        "test_acc": [0.25, 1.0, 0.995],
    }
    assert spikes.passes(_run(**flat))
    assert not spikes.passes(_run(**{**flat, "test_loss": [1.4, 0.1, 0.35]}))
    assert not spikes.passes(_run(**{**flat, "train_loss": [1.4, 0.1, 0.31]}))
    assert not spikes.passes(_run(**{**flat, "test_acc": [0.25, 1.0, 0.994]}))
    assert spikes.passes(_run(**{**flat, "test_loss": [1.4, 0.1, 0.3]}))  # 0.2: on the bar


def test_explain_jump_attributes_the_plotted_value(easy_run):
    h = easy_run
    for curve in ("train", "test"):
        r = counterfactual.explain_jump(h, 2, curve)
        spe = h.steps_per_epoch
        # the path starts at the previous plotted weights and ends at this plotted value
        assert len(r.path) == spe + 1
        assert r.path[-1] == pytest.approx(h.losses(curve)[2], abs=1e-6)
        assert r.path_start < r.suspect <= r.path_start + spe
        assert r.update_ratio > 0 and r.typical_update > 0
        # every update of the window capped at its typical size: none is bigger after
        assert r.removed == (r.capped_value - r.previous <= spikes.JUMP)
        assert r.batch_part + r.steps_part == pytest.approx(r.value - r.previous, abs=1e-6)
    # a jump at the last epoch replays no epoch after it
    (last,) = counterfactual.explain_jumps(h, [(3, "test")], after=2, workers=1)
    assert len(last.capped.test_loss) == 2
    with pytest.raises(ValueError, match="curve"):
        counterfactual.explain_jump(h, 2, "val")
    with pytest.raises(ValueError, match="epoch"):
        counterfactual.explain_jump(h, 0)


def test_big_steps_against_the_typical_step():
    assert spikes.big_steps([1.0] * 100 + [11.0, 1.0, 9.0]) == [100]
    assert spikes.big_steps([2.0] * 100 + [1.0, 30.0, 2.0]) == [101]
    assert spikes.big_steps([1.0, 5.0, 1.0], factor=2, window=1) == [1]
    with pytest.raises(ValueError, match="factor"):
        spikes.big_steps([1.0], factor=0)
