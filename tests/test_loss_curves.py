"""The spike metric, the training loop and the replay that proves a jump's cause."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from hw2 import loss_curves
from hw2.temporal_order import encode


def test_max_rise():
    assert loss_curves.max_rise([1.4, 1.0, 0.5, 0.1]) == pytest.approx(-0.4)
    assert loss_curves.max_rise([1.4, 0.1, 0.05, 2.3, 0.0]) == pytest.approx(2.25)
    assert loss_curves.max_rise([1.0, 1.15]) == pytest.approx(0.15)
    with pytest.raises(ValueError):
        loss_curves.max_rise([1.0])


@given(st.lists(st.floats(0, 10), min_size=2, max_size=30))
def test_max_rise_matches_its_definition(losses):
    expected = max(losses[e] - min(losses[:e]) for e in range(1, len(losses)))
    assert loss_curves.max_rise(losses) == pytest.approx(expected)


def test_config_errors():
    with pytest.raises(ValueError, match="optimizer"):
        loss_curves.Config(optimizer="sgd")
    with pytest.raises(ValueError, match="schedule"):
        loss_curves.Config(schedule="step")
    with pytest.raises(ValueError, match="clip"):
        loss_curves.Config(clip=0.0)
    with pytest.raises(ValueError, match="lr"):
        loss_curves.Config(lr=-1.0)
    with pytest.raises(ValueError, match="warmup"):
        loss_curves.Config(warmup=-1)


@given(st.lists(st.floats(0, 3), min_size=2, max_size=30), st.floats(0.05, 1),
       st.floats(0.1, 2))
def test_jumps_match_their_definition(losses, threshold, learned):
    expected = [e for e in range(1, len(losses))
                if min(losses[:e]) < learned and losses[e] - losses[e - 1] > threshold]
    assert loss_curves.jumps(losses, threshold, learned) == expected


def test_jumps_ignore_the_way_down_from_the_plateau():
    plateau_noise = [1.39, 1.38, 0.95, 1.4, 0.9, 0.3, 1.2, 0.1]
    assert loss_curves.jumps(plateau_noise, threshold=0.3, learned=1.0) == [3, 6]
    assert loss_curves.jumps(plateau_noise, threshold=0.3, learned=0.5) == [6]


def test_passes_needs_both_curves_flat_and_the_final_accuracy():
    flat = {"train_loss": [1.4, 0.5, 0.1], "test_loss": [1.4, 0.6, 0.1],
            "test_acc": [0.25, 1.0, 0.995]}
    assert loss_curves.passes(flat)
    assert not loss_curves.passes({**flat, "test_loss": [1.4, 0.1, 0.35]})
    assert not loss_curves.passes({**flat, "train_loss": [1.4, 0.1, 0.31]})
    assert not loss_curves.passes({**flat, "test_acc": [0.25, 1.0, 0.994]})
    assert loss_curves.passes({**flat, "test_loss": [1.4, 0.1, 0.3]})  # 0.2: on the bar


def _row(curve="train", epoch=5, removed=True, all_removed=True, capped_big=(),
         later=(0.4, 0.45, 0.5)):
    return {"curve": curve, "epoch": epoch, "previous": 0.4, "value": 1.9, "suspect": 99,
            "capped": {f"{curve}_loss": [0.4, *later]},
            "capped_value": 0.4 if removed else 1.5, "removed": removed,
            "all_removed": all_removed, "all_capped_value": 0.4 if all_removed else 1.2,
            "capped_big": list(capped_big), "batch_part": 0.1, "steps_part": 1.4}


def test_findings_read_right_for_every_count():
    assert loss_curves.findings([]) == "The run has no jump to explain."
    assert loss_curves.findings([_row()]).startswith(
        "Capping that single update removes the jump.")
    assert "removes every one of the 2 jumps" in loss_curves.findings([_row(), _row()])
    text = loss_curves.findings([_row(), _row("test", 7, False, True, [120])])
    assert "removes 1 of the 2 jumps" in text
    assert "test curve's jump at epoch 7" in text and "passes to step 120" in text
    assert "a run of large updates" in text
    assert "postpones" not in text
    later = [_row(), _row(later=(0.4, 1.5, 1.6))]
    assert "But in 1 of those 2 capped replays the run jumps" in loss_curves.findings(later)
    assert "capped replay jumps in" in loss_curves.findings(later[1:])
    text = loss_curves.findings([_row(removed=False, all_removed=False)])
    assert "does not remove the jump" in text and "batch part" not in text
    assert "+0.10 is the plotted batch" in text


def test_together_and_shared_suspects():
    assert loss_curves.together({"train": [3], "test": [5]}) == (
        "The two curves never jump in the same epoch.")
    assert "in the same epochs" in loss_curves.together({"train": [3, 5], "test": [3, 5]})
    assert "at epoch 3;" in loss_curves.together({"train": [3, 5], "test": [3]})
    rows = [{**_row(), "suspect": 10}, {**_row("test"), "suspect": 10}]
    assert "one step is the suspect of both" in loss_curves.shared_suspects(rows)
    rows[1]["suspect"] = 11
    assert "its own suspect" in loss_curves.shared_suspects(rows)
    assert loss_curves.shared_suspects(rows[:1]) == ""


def test_verdicts_count_right():
    ok = {"train_loss": [1.4, 0.1], "test_loss": [1.4, 0.1], "test_acc": [0.3, 1.0]}
    bad = {**ok, "test_acc": [0.3, 0.9]}
    assert loss_curves.verdicts([("a", ok)]) == "It passes."
    assert loss_curves.verdicts([("a", ok), ("b", ok), ("c", ok)]) == "All 3 pass."
    assert loss_curves.verdicts([("a", bad), ("b", bad)]) == "Neither passes."
    assert loss_curves.verdicts([("a", ok), ("b", bad)]) == "1 of the 2 pass; b does not."


def test_reference_check_compares_fingerprints():
    h = {"step_loss": [1.0, 0.5], "grad_norm": [2.0, 1.0], "arithmetic": "pinned",
         "device": "cpu"}
    same = {"fingerprint": loss_curves.fingerprint(h), "cpu": "X", "torch": torch.__version__}
    assert loss_curves.reference_check(h, same).startswith("Checked")
    assert loss_curves.reference_check(h, {**same, "fingerprint": "0"}).startswith("Not so")
    assert "not compared" in loss_curves.reference_check(h, {**same, "torch": "0.0"})
    assert "did not use" in loss_curves.reference_check({**h, "arithmetic": "native"}, same)
    assert loss_curves.fingerprint(h) != loss_curves.fingerprint({**h, "step_loss": [1.0, 0.4]})


EASY = loss_curves.Config(difficulty="EASY", batch_size=100, lr=3e-3, clip=1.0,
                          schedule="cosine", warmup=5)


@pytest.fixture
def easy_run(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    return loss_curves.train(EASY, epochs=4)[1]


@pytest.fixture
def easy_model(easy_run, tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    return loss_curves.train(EASY, epochs=4)[0]  # from the cache: the same run


def test_training_records_every_step_and_epoch(easy_run, easy_model):
    h = easy_run
    assert len(h["train_loss"]) == len(h["test_acc"]) == 4
    assert all(0 <= a <= 1 for a in h["train_acc"] + h["test_acc"])  # fractions
    assert 0 < h["train_seconds"] <= h["wall_seconds"]
    assert "model" not in h and not easy_model.training
    assert h["steps_per_epoch"] == 10
    assert len(h["grad_norm"]) == len(h["update_norm"]) == len(h["lr"]) == 4 * 10
    assert len(h["checkpoints"]) == 5
    assert h["weight_hist"].shape == (4, len(loss_curves.HIST_EDGES) - 1)
    assert np.isfinite(h["step_median"]).all()
    # warm-up then cosine: the learning rate rises for 5 steps, then falls
    assert np.argmax(h["lr"]) == 4 and h["lr"][-1] < h["lr"][4]
    # the plotted train loss is the last step's batch loss
    assert h["train_loss"][-1] == h["step_loss"][-1]
    hs, cs = loss_curves.states(easy_model, encode(["BaXbYcE"])[0])
    assert hs.shape == cs.shape == (7, 12)
    out, _ = easy_model.lstm(encode(["BaXbYcE"]))
    torch.testing.assert_close(hs, out[0])


def test_replay_reproduces_the_run_exactly(easy_run):
    h = easy_run
    r = loss_curves.replay(h, 1, 3)
    for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
        assert r[key] == h[key][1:4]
    assert r["grad_norm"] == h["grad_norm"][10:40]
    assert r["first_step"] == 10


def test_replay_changes_only_the_chosen_update(easy_run):
    h = easy_run
    capped = loss_curves.replay(h, 1, 2, intervene={15: 1e-3})
    skipped = loss_curves.replay(h, 1, 2, intervene={15: "skip"})
    for r in (capped, skipped):
        # steps 10..15 see the same weights and data, so the same gradients
        assert r["grad_norm"][:6] == h["grad_norm"][10:16]
        assert r["grad_norm"][6] != h["grad_norm"][16]
    assert capped["update_norm"][5] == pytest.approx(1e-3)
    assert skipped["update_norm"][5] == 0.0
    assert capped["update_norm"][4] == h["update_norm"][14]


def test_replay_arguments(easy_run):
    with pytest.raises(ValueError, match="first, last"):
        loss_curves.replay(easy_run, 2, 1)
    with pytest.raises(ValueError, match="first, last"):
        loss_curves.replay(easy_run, 0, 4)


def test_explain_jump_attributes_the_plotted_value(easy_run):
    h = easy_run
    for curve in ("train", "test"):
        r = loss_curves.explain_jump(h, 2, curve)
        spe = h["steps_per_epoch"]
        # the path starts at the previous plotted weights and ends at this plotted value
        assert len(r["path"]) == spe + 1
        assert r["path"][-1] == pytest.approx(h[f"{curve}_loss"][2], abs=1e-6)
        assert r["path_start"] < r["suspect"] <= r["path_start"] + spe
        assert r["update_ratio"] > 0 and r["typical_update"] > 0
        # every update of the window capped at its typical size: none is bigger after
        assert r["removed"] == (r["capped_value"] - r["previous"] <= loss_curves.JUMP)
        assert r["batch_part"] + r["steps_part"] == pytest.approx(r["value"] - r["previous"],
                                                                  abs=1e-6)
    # a jump at the last epoch replays no epoch after it
    (last,) = loss_curves.explain_jumps(h, [(3, "test")], after=2, workers=1)
    assert len(last["capped"]["test_loss"]) == 2
    with pytest.raises(ValueError, match="curve"):
        loss_curves.explain_jump(h, 2, "val")
    with pytest.raises(ValueError, match="epoch"):
        loss_curves.explain_jump(h, 0)


def test_update_clipping_and_cap_bound_every_update(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    model, clipped = loss_curves.train(
        loss_curves.Config(difficulty="EASY", batch_size=100, update_clip=0.5), epochs=2)
    n = sum(p.numel() for p in model.parameters())
    # each tensor's update has RMS <= 0.5 lr, so the whole update has norm <= 0.5 lr sqrt(n)
    assert max(clipped["update_norm"]) <= 0.5 * 1e-3 * n**0.5 * (1 + 1e-6)
    _, capped = loss_curves.train(
        loss_curves.Config(difficulty="EASY", batch_size=100, update_cap=1.5), epochs=2)
    u = capped["update_norm"]
    assert all(u[t] <= 1.5 * loss_curves.typical(u, t) * (1 + 1e-6) for t in range(1, len(u)))


def test_late_annealing_keeps_the_rate_then_decays(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    config = loss_curves.Config(difficulty="EASY", batch_size=100, schedule="cosine",
                                anneal_from=0.5)
    lr = loss_curves.train(config, epochs=2)[1]["lr"]
    assert lr[:11] == [1e-3] * 11 and lr[-1] < lr[15] < 1e-3
    assert "then cosine annealing" in loss_curves.describe(config)
    with pytest.raises(ValueError, match="anneal_from"):
        loss_curves.Config(anneal_from=1.0)


def test_training_runs_on_each_device(tmp_path, monkeypatch, device):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    model, h = loss_curves.train(EASY, epochs=1, device=device, use_cache=False)
    assert next(model.parameters()).device.type == "cpu" and h["device"].startswith(device)
    assert all(v.device.type == "cpu" for v in h["checkpoints"][-1]["model"].values())
    assert loss_curves.replay(h, 0, 0)["train_loss"] == h["train_loss"][:1]


def test_runs_in_another_arithmetic_run_elsewhere_and_replay_there(tmp_path, monkeypatch):
    """This test process computes natively; a pinned run is computed in a pinned process,
    and its replay (in that process's arithmetic again) reproduces it exactly."""
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    _, pinned = loss_curves.train(EASY, epochs=2, arithmetic="pinned")
    _, native = loss_curves.train(EASY, epochs=2, arithmetic="native")
    assert (pinned["arithmetic"], native["arithmetic"]) == ("pinned", "native")
    again = loss_curves.replay(pinned, 0, 1)
    assert again["train_loss"] == pinned["train_loss"]
    assert again["grad_norm"] == pinned["grad_norm"]
    # a second pinned call is the cached one; a native one is another cache entry
    assert loss_curves.train(EASY, epochs=2, arithmetic="pinned")[1]["wall_seconds"] == (
        pinned["wall_seconds"])
    with pytest.raises(ValueError, match="setting"):
        loss_curves.train(EASY, epochs=2, arithmetic="fast")
