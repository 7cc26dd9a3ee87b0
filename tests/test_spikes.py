"""hw2.spikes: the spike metric and practical C's rule, the jumps, the counterfactual
replays that explain them, and the sentences chosen from a run's numbers."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from conftest import EASY
from hw2 import loss_curves as lc
from hw2 import spikes
from hw2.loss_curves import FIX, SECTION8, History


def _run(**fields) -> History:
    """A run's record with only ``fields`` filled in."""
    return History(SECTION8, 3, 1, 1, 10, "cpu", "pinned", **fields)


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


@given(st.lists(st.floats(0, 3), min_size=2, max_size=30), st.floats(0.05, 1),
       st.floats(0.1, 2))
def test_jumps_match_their_definition(losses, threshold, learned):
    expected = [e for e in range(1, len(losses))
                if min(losses[:e]) < learned and losses[e] - losses[e - 1] > threshold]
    assert spikes.jumps(losses, threshold, learned) == expected


def test_jumps_ignore_the_way_down_from_the_plateau():
    plateau_noise = [1.39, 1.38, 0.95, 1.4, 0.9, 0.3, 1.2, 0.1]
    assert spikes.jumps(plateau_noise, threshold=0.3, learned=1.0) == [3, 6]
    assert spikes.jumps(plateau_noise, threshold=0.3, learned=0.5) == [6]


def test_passes_needs_both_curves_flat_and_the_final_accuracy():
    flat = {"train_loss": [1.4, 0.5, 0.1], "test_loss": [1.4, 0.6, 0.1],
            "test_acc": [0.25, 1.0, 0.995]}
    assert spikes.passes(_run(**flat))
    assert not spikes.passes(_run(**{**flat, "test_loss": [1.4, 0.1, 0.35]}))
    assert not spikes.passes(_run(**{**flat, "train_loss": [1.4, 0.1, 0.31]}))
    assert not spikes.passes(_run(**{**flat, "test_acc": [0.25, 1.0, 0.994]}))
    assert spikes.passes(_run(**{**flat, "test_loss": [1.4, 0.1, 0.3]}))  # 0.2: on the bar


def _row(curve="train", epoch=5, removed=True, all_removed=True, capped_big=(),
         later=(0.4, 0.45, 0.5)):
    return {"curve": curve, "epoch": epoch, "previous": 0.4, "value": 1.9, "suspect": 99,
            "capped": _run(**{f"{curve}_loss": [0.4, *later]}),
            "capped_value": 0.4 if removed else 1.5, "removed": removed,
            "all_removed": all_removed, "all_capped_value": 0.4 if all_removed else 1.2,
            "capped_big": list(capped_big), "batch_part": 0.1, "steps_part": 1.4}


def test_findings_read_right_for_every_count():
    assert spikes.findings([]) == "The run has no jump to explain."
    assert spikes.findings([_row()]).startswith(
        "Capping that single update removes the jump.")
    assert "removes every one of the 2 jumps" in spikes.findings([_row(), _row()])
    text = spikes.findings([_row(), _row("test", 7, False, True, [120])])
    assert "removes 1 of the 2 jumps" in text
    assert "test curve's jump at epoch 7" in text and "passes to step 120" in text
    assert "a run of large updates" in text
    assert "postpones" not in text
    later = [_row(), _row(later=(0.4, 1.5, 1.6))]
    assert "But in 1 of those 2 capped replays the run jumps" in spikes.findings(later)
    assert "capped replay jumps in" in spikes.findings(later[1:])
    text = spikes.findings([_row(removed=False, all_removed=False)])
    assert "does not remove the jump" in text and "batch part" not in text
    assert "+0.10 is the plotted batch" in text


def test_together_and_shared_suspects():
    assert spikes.together({"train": [3], "test": [5]}) == (
        "The two curves never jump in the same epoch.")
    assert "in the same epochs" in spikes.together({"train": [3, 5], "test": [3, 5]})
    assert "at epoch 3;" in spikes.together({"train": [3, 5], "test": [3]})
    rows = [{**_row(), "suspect": 10}, {**_row("test"), "suspect": 10}]
    assert "one step is the suspect of both" in spikes.shared_suspects(rows)
    rows[1]["suspect"] = 11
    assert "its own suspect" in spikes.shared_suspects(rows)
    assert spikes.shared_suspects(rows[:1]) == ""


def test_verdicts_count_right():
    ok = _run(train_loss=[1.4, 0.1], test_loss=[1.4, 0.1], test_acc=[0.3, 1.0])
    bad = _run(train_loss=[1.4, 0.1], test_loss=[1.4, 0.1], test_acc=[0.3, 0.9])
    assert spikes.verdicts([("a", ok)]) == "It passes."
    assert spikes.verdicts([("a", ok), ("b", ok), ("c", ok)]) == "All 3 pass."
    assert spikes.verdicts([("a", bad), ("b", bad)]) == "Neither passes."
    assert spikes.verdicts([("a", ok), ("b", bad)]) == "1 of the 2 pass; b does not."


def test_reference_check_compares_fingerprints():
    h = _run(step_loss=[1.0, 0.5], grad_norm=[2.0, 1.0])
    same = {"fingerprint": spikes.fingerprint(h), "cpu": "X", "torch": torch.__version__}
    assert spikes.reference_check(h, same).startswith("Checked")
    assert spikes.reference_check(h, {**same, "fingerprint": "0"}).startswith("Not so")
    assert "not compared" in spikes.reference_check(h, {**same, "torch": "0.0"})
    assert "did not use" in spikes.reference_check(replace(h, arithmetic="native"), same)
    assert spikes.fingerprint(h) != spikes.fingerprint(replace(h, step_loss=[1.0, 0.4]))


def test_explain_jump_attributes_the_plotted_value(easy_run):
    h = easy_run
    for curve in ("train", "test"):
        r = spikes.explain_jump(h, 2, curve)
        spe = h.steps_per_epoch
        # the path starts at the previous plotted weights and ends at this plotted value
        assert len(r["path"]) == spe + 1
        assert r["path"][-1] == pytest.approx(h.losses(curve)[2], abs=1e-6)
        assert r["path_start"] < r["suspect"] <= r["path_start"] + spe
        assert r["update_ratio"] > 0 and r["typical_update"] > 0
        # every update of the window capped at its typical size: none is bigger after
        assert r["removed"] == (r["capped_value"] - r["previous"] <= spikes.JUMP)
        assert r["batch_part"] + r["steps_part"] == pytest.approx(r["value"] - r["previous"],
                                                                  abs=1e-6)
    # a jump at the last epoch replays no epoch after it
    (last,) = spikes.explain_jumps(h, [(3, "test")], after=2, workers=1)
    assert len(last["capped"].test_loss) == 2
    with pytest.raises(ValueError, match="curve"):
        spikes.explain_jump(h, 2, "val")
    with pytest.raises(ValueError, match="epoch"):
        spikes.explain_jump(h, 0)


def test_big_steps_against_the_typical_step():
    assert spikes.big_steps([1.0] * 100 + [11.0, 1.0, 9.0]) == [100]
    assert spikes.big_steps([2.0] * 100 + [1.0, 30.0, 2.0]) == [101]
    assert spikes.big_steps([1.0, 5.0, 1.0], factor=2, window=1) == [1]
    with pytest.raises(ValueError, match="factor"):
        spikes.big_steps([1.0], factor=0)


def test_book_runs_cover_the_candidates_the_held_out_seeds_and_the_settings():
    runs = spikes.book_runs(["native"])
    configs = [r["config"] for r in runs]
    assert configs[:len(spikes.ABLATION)] == [c for _, c in spikes.ABLATION.values()]
    assert [r["data_seed"] for r in runs if "data_seed" in r] == list(spikes.HELD_OUT)
    assert [r for r in runs if "arithmetic" in r] == [
        {"config": SECTION8, "arithmetic": "native"}, {"config": FIX, "arithmetic": "native"}]
    assert not set(spikes.HELD_OUT) & set(range(1, 11))  # the fix was chosen on 1-10


def test_facts_of_the_easy_run_agree_with_its_record(easy_run):
    h = easy_run
    rows = spikes.explain_jumps(h, [(2, "train"), (3, "test")], workers=1)
    facts = spikes.suspect_facts(h, rows)
    assert facts["update_ratio_min"] <= facts["update_ratio_max"]
    assert facts["suspect_update_max"] == max(r["update_norm"] for r in rows)
    assert facts["largest_grad"] == max(h.grad_norm)
    assert facts["largest_grad_step"] == h.grad_norm.index(max(h.grad_norm))
    assert facts["n_params"] == 4 * 12 * (8 + 12 + 2) + 4 * 12 + 4
    assert facts["n_big"] == "no updates were"  # 40 steps: none has 100 before it
    worst = spikes.worst_facts(rows)
    assert worst["worst_value"] == max(r["value"] for r in rows)
    assert 0 <= worst["n_wrong"] <= worst["n_batch"] == EASY.batch_size
    assert worst["vs_ln4"] == ("above" if worst["batch_after"] > worst["ln4"] else "below")
    start = spikes.initial_facts(h, n=400)
    assert abs(start["init_loss"] - (worst["ln4"] + start["init_kl"])) < 0.05
    assert start["init_pmin"] <= 0.25 <= start["init_pmax"]
    assert start["epoch0_loss"] == h.train_loss[0]
    fix = spikes.fix_facts(h, h)
    assert fix["fix_text"] == lc.describe(h.config) and fix["bar"] == spikes.BAR
    assert fix["fix_verdict"].startswith("meets" if spikes.passes(h) else "does not")
    x = lc.next_test_batch(h)[0][0]
    assert spikes.cell_move_ratio(lc.with_weights(list(h.checkpoints[-1]["model"].values())),
                                  x) > 0


def test_ablation_sentences_read_right():
    row = {"rise_train": 0.1, "rise_test": 0.1, "first_100": 7, "final_acc": 1.0,
           "big_updates": 0, "passes": True, "train_seconds": 1.0, "epochs": 100}
    rows = {key: dict(row) for key in spikes.ABLATION}
    rows["section"].update(rise_train=2.0, big_updates=12)
    rows["clip01"].update(big_updates=1)
    rows["lowlr"].update(first_100=None, rise_test=3.0)
    rows["updclip"].update(passes=False)
    facts = spikes.ablation_facts(rows)
    assert facts["clip1_vs"] == "lower than" and facts["lowlr_vs"] == "no lower than"
    assert facts["clip01_big_text"] == (
        "yet one update was more than 10 times the typical one, against 12 without clipping")
    assert facts["lowlr_learning"] == "test accuracy never reaches 100% in the 100 epochs"
    assert facts["updclip_learning"] == "100% test accuracy comes at epoch 7"
    assert facts["updclip_enough"] == "On its own it is not enough"
    rows["clip01"].update(big_updates=0)
    assert spikes.ablation_facts(rows)["clip01_big_text"].startswith("and no update")
    table = spikes.ablation_table(rows).splitlines()
    assert len(table) == 2 + len(spikes.ABLATION) and "| never |" in table[2 + 3]


def test_big_step_facts_count_in_english():
    quiet = _run(update_norm=[1.0] * 102, grad_norm=[1.0] * 102)
    loud = _run(update_norm=[1.0] * 100 + [20.0, 1.0], grad_norm=[1.0] * 100 + [30.0, 40.0])
    facts = spikes.big_step_facts(loud, quiet)
    assert facts["before_big"] == "one update was" and facts["before_grad_spikes"] == 2
    assert facts["after_big"] == "no updates" and facts["after_big_verb"] == "do"
    assert facts["after_grad_text"].startswith("no gradient exceeds 10 times")
    assert "at two steps," in spikes.big_step_facts(quiet, loud)["after_grad_text"]


def test_settings_jumps_text_for_every_case():
    a = _run(train_loss=[1.4, 0.5, 1.2], test_loss=[1.4, 0.5, 0.4])
    b = _run(train_loss=[1.4, 0.5, 0.4], test_loss=[1.4, 0.5, 1.2])
    assert "other epochs in each" in spikes.settings_jumps_text([a, b])
    assert "same jumps, others" in spikes.settings_jumps_text([a, a, b])
    assert "every arithmetic setting" in spikes.settings_jumps_text([a, a])
