"""hw2.spikes_report: the numbers and tables the loss-curves chapter shows of its runs.
No prose: every value is a number, a table or a list of numbers."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from conftest import EASY
from hw2 import counterfactual, spikes
from hw2 import loss_curves as lc
from hw2 import spikes_report as report
from hw2.book import exec_report
from hw2.counterfactual import Jump
from hw2.loss_curves import FIX, SECTION8, History


def _run(**fields) -> History:
    """A run's record with only ``fields`` filled in."""
    return History(replace(SECTION8, epochs=3), 1, 1, 10, "cpu", "pinned", **fields)


def _row(curve="train", epoch=5, removed=True, all_removed=True, later=(0.4, 0.45, 0.5)) -> Jump:
    """An explained jump from 0.4 to 1.9 with only what the tables read filled in."""
    return Jump(
        curve=curve,
        epoch=epoch,
        previous=0.4,
        value=1.9,
        suspect=99,
        suspect_rise=1.0,
        grad_norm=3.0,
        grad_ratio=30.0,
        update_norm=0.4,
        update_ratio=40.0,
        typical_update=0.01,
        path=[],
        path_start=0,
        capped=_run(**{f"{curve}_loss": [0.4, *later]}),
        replayed=_run(),
        capped_value=0.4 if removed else 1.5,
        removed=removed,
        capped_big=[],
        all_removed=all_removed,
        all_capped_value=0.4 if all_removed else 1.2,
        batch_part=0.5,
        steps_part=1.0,
    )


def _glued_values_are_not_words(facts: dict) -> None:
    for name, value in facts.items():
        assert isinstance(value, int | float | np.integer | np.floating), (name, value)


def test_removal_counts_count_each_outcome():
    rows = [_row(), _row("test", 7, removed=False, all_removed=False), _row(later=(0.4, 1.5, 1.6))]
    counts = report.removal_counts(rows)
    assert counts == {"n_explained": 3, "n_removed": 2, "n_later": 1, "n_all_removed": 2}
    assert report.removal_counts([]) == {
        "n_explained": 0,
        "n_removed": 0,
        "n_later": 0,
        "n_all_removed": 0,
    }


def test_jump_table_has_a_row_per_jump_in_epoch_order():
    rows = [_row("test", 7, removed=False), _row(), _row(later=(0.4, 1.5, 1.6))]
    table = report.jump_table(rows).splitlines()
    assert len(table) == 2 + 3
    assert [line.split("|")[1].strip() for line in table[2:]] == ["5", "5", "7"]
    assert table[2].rstrip().endswith("| no |") and table[3].rstrip().endswith("| yes |")
    assert "| 0.40 → 1.90 |" in table[4] and "| 40× |" in table[4]


def test_tables_and_counts_of_runs_against_the_rule():
    ok = _run(train_loss=[1.4, 0.1], test_loss=[1.4, 0.1], test_acc=[0.3, 1.0])
    bad = _run(train_loss=[1.4, 0.1], test_loss=[0.1, 0.5], test_acc=[0.3, 0.9])
    table = report.rule_table([("a", ok), ("b", bad)]).splitlines()
    assert table[2].endswith("| 1 | 100.0% | yes |")
    assert table[3].endswith("| never | 90.0% | no |")
    facts = report.seed_facts([ok, bad, ok], "simple")
    assert facts["simple_pass"] == 2 and facts["simple_n"] == 3
    assert facts["simple_rise_max"] == pytest.approx(0.4)
    assert facts["simple_acc_min"] == pytest.approx(90.0)
    assert facts["simple_rise_median"] == pytest.approx(-1.3)
    _glued_values_are_not_words(facts)
    compare = report.compare_table([11, 12], [ok, bad], [bad, ok]).splitlines()
    assert compare[2].startswith("| 11 | -1.30 | 100.0% | yes | 0.40 | 90.0% | no")
    with pytest.raises(ValueError):
        report.compare_table([11], [ok, bad], [bad, ok])


def test_settings_and_leftovers_tables():
    a = _run(train_loss=[1.4, 0.5, 1.2], test_loss=[1.4, 0.5, 0.4], test_acc=[0.3, 0.9, 1.0])
    table = report.settings_table([("pinned", a, a)]).splitlines()
    assert table[2].startswith("| pinned | 2 | – | 0.70 | -0.10 | 100.0% | no |")
    quiet = _run(train_loss=[1.4, 0.5, 0.4], test_loss=[1.4, 0.5, 0.4])
    leftovers = report.leftovers_table([("quiet", quiet)], bar=0.2).splitlines()
    assert len(leftovers) == 3 and leftovers[2].startswith("| – |")


def test_book_runs_cover_the_candidates_both_fixes_on_the_held_out_seeds_and_settings():
    runs = report.book_runs(["native"])
    recipes = [r["recipe"] for r in runs]
    assert recipes[: len(report.ABLATION)] == [c for _, c in report.ABLATION.values()]
    seeded = [(r["recipe"], r["data_seed"]) for r in runs if "data_seed" in r]
    assert seeded == (
        [(report.SIMPLE, s) for s in report.HELD_OUT] + [(FIX, s) for s in report.HELD_OUT]
    )
    assert [r for r in runs if "arithmetic" in r] == [
        {"recipe": SECTION8, "arithmetic": "native"},
        {"recipe": FIX, "arithmetic": "native"},
    ]
    assert not set(report.HELD_OUT) & set(report.DEV_SEEDS)  # chosen on the others
    assert report.SIMPLE.schedule == "cosine" and report.SIMPLE.lr == SECTION8.lr


def test_facts_of_the_easy_run_agree_with_its_record(easy_run):
    h = easy_run
    rows = counterfactual.explain_jumps(h, [(2, "train"), (3, "test")], workers=1)
    facts = report.suspect_facts(h, rows)
    _glued_values_are_not_words(facts)
    assert facts["update_ratio_min"] <= facts["update_ratio_max"]
    assert facts["suspect_update_max"] == max(r.update_norm for r in rows)
    assert facts["suspect_update_max"] <= facts["ceiling"] * (1 + 1e-6)
    assert facts["n_params"] == 4 * 12 * (8 + 12 + 2) + 4 * 12 + 4
    assert facts["n_big"] == 0  # 40 steps: none has 100 before it
    worst = report.worst_facts(rows)
    _glued_values_are_not_words(worst)
    assert worst["worst_value"] == max(r.value for r in rows)
    assert 0 <= worst["n_wrong"] <= worst["n_batch"] == EASY.batch_size
    assert 0 <= worst["n_over_ln4"] <= worst["n_batch"]
    assert worst["worst_sample"] >= worst["batch_after"]
    assert worst["worst_p"] == pytest.approx(100 * math.exp(-worst["worst_sample"]), rel=1e-4)
    table = report.worst_table(rows).splitlines()
    assert sum(int(line.split("|")[2]) for line in table[2:]) == worst["n_batch"]
    assert sum(int(line.split("|")[3]) for line in table[2:]) == (
        worst["n_batch"] - worst["n_wrong"]
    )
    start = report.initial_facts(h, n=400)
    _glued_values_are_not_words(start)
    assert abs(start["init_loss"] - (math.log(4) + start["init_kl"])) < 0.05
    assert start["init_pmin"] <= 0.25 <= start["init_pmax"]
    assert start["epoch0_loss"] == h.train_loss[0]
    fix = report.fix_facts(h, h)
    _glued_values_are_not_words({k: v for k, v in fix.items() if v is not None})
    assert fix["fix_rise_train"] == spikes.max_rise(h.train_loss)
    leftovers = report.leftovers_table([("easy", h), ("again", h)], bar=-10.0)
    lines = leftovers.splitlines()
    assert len(lines) == 4 and lines[2].startswith("| easy |")
    assert lines[2].split("|")[2:] == lines[3].split("|")[2:]  # the same run
    model = lc.with_weights(list(h.checkpoints[-1]["model"].values()))
    moves = report.cell_moves(model, n=5)
    assert moves.shape == (5,) and (moves > 0).all()
    with pytest.raises(ValueError, match="n must"):
        report.cell_moves(model, n=0)


def test_ablation_numbers_and_table():
    row = {
        "rise_train": 0.1,
        "rise_test": 0.1,
        "first_100": 7,
        "final_acc": 1.0,
        "big_updates": 0,
        "passes": True,
        "train_seconds": 1.0,
        "epochs": 100,
    }
    rows = {key: dict(row) for key in report.ABLATION}
    rows["section"].update(rise_train=2.0, big_updates=12)
    rows["lowlr"].update(first_100=None, rise_test=3.0)
    facts = report.ablation_facts(rows)
    _glued_values_are_not_words(facts)
    assert facts["section_rise"] == 2.0 and facts["section_big"] == 12
    assert facts["lowlr_rise"] == 3.0
    table = report.ablation_table(rows).splitlines()
    assert len(table) == 2 + len(report.ABLATION) and "| never |" in table[2 + 3]


def test_big_step_facts_count():
    quiet = _run(update_norm=[1.0] * 102, grad_norm=[1.0] * 102)
    loud = _run(update_norm=[1.0] * 100 + [20.0, 1.0], grad_norm=[1.0] * 100 + [30.0, 40.0])
    facts = report.big_step_facts(loud, quiet)
    assert facts == {
        "before_big": 1,
        "after_big": 0,
        "before_grad_spikes": 2,
        "after_grad_spikes": 0,
    }


def test_reference_table_compares_fingerprints():
    h = _run(step_loss=[1.0, 0.5], grad_norm=[2.0, 1.0])
    same = {"fingerprint": spikes.fingerprint(h), "cpu": "X", "torch": torch.__version__}
    assert exec_report.reference_table(h, same).endswith("| **same run** | yes | | | |")
    other = {**same, "fingerprint": "0"}
    assert exec_report.reference_table(h, other).endswith("| no | | | |")
    old = {**same, "torch": "0.0"}
    assert "not compared" in exec_report.reference_table(h, old)
    native = replace(h, arithmetic="native")
    assert "not compared" in exec_report.reference_table(native, same)
    assert spikes.fingerprint(h) != spikes.fingerprint(replace(h, step_loss=[1.0, 0.4]))
    with pytest.raises(TypeError, match="h must"):
        exec_report.reference_table({"fingerprint": "0"}, same)
    table = exec_report.arithmetic_table(
        {
            "pinned": _run(
                train_loss=[1.4, 0.5, 1.2],
                test_loss=[1.4, 0.5, 0.4],
                step_loss=[1.0],
                grad_norm=[1.0],
                train_seconds=2.0,
            )
        }
    ).splitlines()
    assert table[2].startswith("| pinned |") and "| 2 | – |" in table[2]
    with pytest.raises(ValueError, match="runs"):
        exec_report.arithmetic_table({})


def test_plot_seeds_draws_both_panels():
    a = _run(train_loss=[1.4, 0.1], test_loss=[1.4, 0.1], test_acc=[0.3, 1.0])
    fig = spikes.plot_seeds({"x": [a, a], "y": [a, a]}, seeds=[11, 12])
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["11", "12"]
    with pytest.raises(ValueError, match="runs"):
        spikes.plot_seeds({})
