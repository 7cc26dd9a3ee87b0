"""hw2.spikes_report: what the loss-curves chapter says of its runs, sentences that read
right for every count, and the numbers it glues."""

from __future__ import annotations

from dataclasses import replace

import torch

from conftest import EASY
from hw2 import loss_curves as lc
from hw2 import spikes
from hw2 import spikes_report as report
from hw2.loss_curves import FIX, SECTION8, History


def _run(**fields) -> History:
    """A run's record with only ``fields`` filled in."""
    return History(SECTION8, 3, 1, 1, 10, "cpu", "pinned", **fields)


def _row(curve="train", epoch=5, removed=True, all_removed=True, capped_big=(),
         later=(0.4, 0.45, 0.5)):
    return {"curve": curve, "epoch": epoch, "previous": 0.4, "value": 1.9, "suspect": 99,
            "capped": _run(**{f"{curve}_loss": [0.4, *later]}),
            "capped_value": 0.4 if removed else 1.5, "removed": removed,
            "all_removed": all_removed, "all_capped_value": 0.4 if all_removed else 1.2,
            "capped_big": list(capped_big), "batch_part": 0.1, "steps_part": 1.4}


def test_findings_read_right_for_every_count():
    assert report.findings([]) == "The run has no jump to explain."
    assert report.findings([_row()]).startswith(
        "Capping that single update removes the jump.")
    assert "removes every one of the 2 jumps" in report.findings([_row(), _row()])
    text = report.findings([_row(), _row("test", 7, False, True, [120])])
    assert "removes 1 of the 2 jumps" in text
    assert "test curve's jump at epoch 7" in text and "passes to step 120" in text
    assert "a run of large updates" in text
    assert "postpones" not in text
    later = [_row(), _row(later=(0.4, 1.5, 1.6))]
    assert "But in 1 of those 2 capped replays the run jumps" in report.findings(later)
    assert "capped replay jumps in" in report.findings(later[1:])
    text = report.findings([_row(removed=False, all_removed=False)])
    assert "does not remove the jump" in text and "batch part" not in text
    assert "+0.10 is the plotted batch" in text


def test_together_and_shared_suspects():
    assert report.together({"train": [3], "test": [5]}) == (
        "The two curves never jump in the same epoch.")
    assert "in the same epochs" in report.together({"train": [3, 5], "test": [3, 5]})
    assert "at epoch 3;" in report.together({"train": [3, 5], "test": [3]})
    rows = [{**_row(), "suspect": 10}, {**_row("test"), "suspect": 10}]
    assert "one step is the suspect of both" in report.shared_suspects(rows)
    rows[1]["suspect"] = 11
    assert "its own suspect" in report.shared_suspects(rows)
    assert report.shared_suspects(rows[:1]) == ""


def test_verdicts_count_right():
    ok = _run(train_loss=[1.4, 0.1], test_loss=[1.4, 0.1], test_acc=[0.3, 1.0])
    bad = _run(train_loss=[1.4, 0.1], test_loss=[1.4, 0.1], test_acc=[0.3, 0.9])
    assert report.verdicts([("a", ok)]) == "It passes."
    assert report.verdicts([("a", ok), ("b", ok), ("c", ok)]) == "All 3 pass."
    assert report.verdicts([("a", bad), ("b", bad)]) == "Neither passes."
    assert report.verdicts([("a", ok), ("b", bad)]) == "1 of the 2 pass; b does not."


def test_reference_check_compares_fingerprints():
    h = _run(step_loss=[1.0, 0.5], grad_norm=[2.0, 1.0])
    same = {"fingerprint": spikes.fingerprint(h), "cpu": "X", "torch": torch.__version__}
    assert report.reference_check(h, same).startswith("Checked")
    assert report.reference_check(h, {**same, "fingerprint": "0"}).startswith("Not so")
    assert "not compared" in report.reference_check(h, {**same, "torch": "0.0"})
    assert "did not use" in report.reference_check(replace(h, arithmetic="native"), same)
    assert spikes.fingerprint(h) != spikes.fingerprint(replace(h, step_loss=[1.0, 0.4]))


def test_book_runs_cover_the_candidates_the_held_out_seeds_and_the_settings():
    runs = report.book_runs(["native"])
    configs = [r["config"] for r in runs]
    assert configs[:len(report.ABLATION)] == [c for _, c in report.ABLATION.values()]
    assert [r["data_seed"] for r in runs if "data_seed" in r] == list(report.HELD_OUT)
    assert [r for r in runs if "arithmetic" in r] == [
        {"config": SECTION8, "arithmetic": "native"}, {"config": FIX, "arithmetic": "native"}]
    assert not set(report.HELD_OUT) & set(range(1, 11))  # the fix was chosen on 1-10


def test_facts_of_the_easy_run_agree_with_its_record(easy_run):
    h = easy_run
    rows = spikes.explain_jumps(h, [(2, "train"), (3, "test")], workers=1)
    facts = report.suspect_facts(h, rows)
    assert facts["update_ratio_min"] <= facts["update_ratio_max"]
    assert facts["suspect_update_max"] == max(r["update_norm"] for r in rows)
    assert facts["largest_grad"] == max(h.grad_norm)
    assert facts["largest_grad_step"] == h.grad_norm.index(max(h.grad_norm))
    assert facts["n_params"] == 4 * 12 * (8 + 12 + 2) + 4 * 12 + 4
    assert facts["n_big"] == "no updates were"  # 40 steps: none has 100 before it
    worst = report.worst_facts(rows)
    assert worst["worst_value"] == max(r["value"] for r in rows)
    assert 0 <= worst["n_wrong"] <= worst["n_batch"] == EASY.batch_size
    assert worst["vs_ln4"] == ("above" if worst["batch_after"] > worst["ln4"] else "below")
    start = report.initial_facts(h, n=400)
    assert abs(start["init_loss"] - (worst["ln4"] + start["init_kl"])) < 0.05
    assert start["init_pmin"] <= 0.25 <= start["init_pmax"]
    assert start["epoch0_loss"] == h.train_loss[0]
    fix = report.fix_facts(h, h)
    assert fix["fix_text"] == lc.describe(h.config) and fix["bar"] == spikes.BAR
    assert fix["fix_verdict"].startswith("meets" if spikes.passes(h) else "does not")
    x = lc.next_test_batch(h)[0][0]
    assert report.cell_move_ratio(lc.with_weights(list(h.checkpoints[-1]["model"].values())),
                                  x) > 0


def test_ablation_sentences_read_right():
    row = {"rise_train": 0.1, "rise_test": 0.1, "first_100": 7, "final_acc": 1.0,
           "big_updates": 0, "passes": True, "train_seconds": 1.0, "epochs": 100}
    rows = {key: dict(row) for key in report.ABLATION}
    rows["section"].update(rise_train=2.0, big_updates=12)
    rows["clip01"].update(big_updates=1)
    rows["lowlr"].update(first_100=None, rise_test=3.0)
    rows["updclip"].update(passes=False)
    facts = report.ablation_facts(rows)
    assert facts["clip1_vs"] == "lower than" and facts["lowlr_vs"] == "no lower than"
    assert facts["clip01_big_text"] == (
        "yet one update was more than 10 times the typical one, against 12 without clipping")
    assert facts["lowlr_learning"] == "test accuracy never reaches 100% in the 100 epochs"
    assert facts["updclip_learning"] == "100% test accuracy comes at epoch 7"
    assert facts["updclip_enough"] == "On its own it is not enough"
    rows["clip01"].update(big_updates=0)
    assert report.ablation_facts(rows)["clip01_big_text"].startswith("and no update")
    table = report.ablation_table(rows).splitlines()
    assert len(table) == 2 + len(report.ABLATION) and "| never |" in table[2 + 3]


def test_big_step_facts_count_in_english():
    quiet = _run(update_norm=[1.0] * 102, grad_norm=[1.0] * 102)
    loud = _run(update_norm=[1.0] * 100 + [20.0, 1.0], grad_norm=[1.0] * 100 + [30.0, 40.0])
    facts = report.big_step_facts(loud, quiet)
    assert facts["before_big"] == "one update was" and facts["before_grad_spikes"] == 2
    assert facts["after_big"] == "no updates" and facts["after_big_verb"] == "do"
    assert facts["after_grad_text"].startswith("no gradient exceeds 10 times")
    assert "at two steps," in report.big_step_facts(quiet, loud)["after_grad_text"]


def test_settings_jumps_text_for_every_case():
    a = _run(train_loss=[1.4, 0.5, 1.2], test_loss=[1.4, 0.5, 0.4])
    b = _run(train_loss=[1.4, 0.5, 0.4], test_loss=[1.4, 0.5, 1.2])
    assert "other epochs in each" in report.settings_jumps_text([a, b])
    assert "same jumps, others" in report.settings_jumps_text([a, a, b])
    assert "every arithmetic setting" in report.settings_jumps_text([a, a])
