"""hw2.catsdogs_report: what the CNN chapter reads from a run (compute, curves, figures)."""

from __future__ import annotations

from dataclasses import replace

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
from PIL import Image  # noqa: E402

from hw2 import catsdogs  # noqa: E402
from hw2 import catsdogs_report as report  # noqa: E402

SMALL = replace(catsdogs.RECIPE, size=32, width=8, batch_size=4)


def _history(val_acc: list[float], **more) -> catsdogs.History:
    return catsdogs.History(
        precision=more.pop("precision", "fp32"),
        train_acc=[min(1.0, a + 0.05) for a in val_acc],
        val_acc=val_acc,
        val_loss=[1.0 - 0.5 * a for a in val_acc],
        **more,
    )


def _cells(table: str) -> list[list[str]]:
    """A Markdown table's body rows, cell by cell."""
    return [[c.strip() for c in row.strip("|").split("|")] for row in table.splitlines()[2:]]


def test_compute_is_the_counted_flops_over_the_measured_peak():
    model = catsdogs.ResNet(
        SMALL.width, SMALL.blocks, image_size=SMALL.size, stem_stride=SMALL.stem_stride
    )
    history = catsdogs.History("fp32", train_flops=2e12, train_seconds=100.0)
    facts = report.compute(model, history, SMALL, device="cpu")
    assert facts["throughput"] == pytest.approx(20.0)  # GFLOP/s
    assert facts["utilisation"] == pytest.approx(100 * facts["throughput"] / facts["peak"])
    assert facts["train_tflop"] == 2.0 and facts["precision"] == "fp32"
    assert facts["step_gflop"] == pytest.approx(
        catsdogs.step_flops(model, SMALL.size, SMALL.batch_size) / 1e9
    )
    assert set(report.DTYPES) == set(catsdogs.PRECISIONS)
    with pytest.raises(ValueError, match="precision"):
        report.compute(model, replace(history, precision="fp16"), SMALL, device="cpu")
    rows = _cells(report.compute_table(dict(facts, peak=80.0, utilisation=25.0)))
    assert [r[1] for r in rows] == [
        "fp32",
        f"{facts['step_gflop']:.3f} GFLOP",
        "2.0 TFLOP",
        "20 GFLOP/s",
        "80 GFLOP/s",
        "25%",
    ]


def test_stem_flops_compares_the_stems_at_the_same_map_side():
    flops = report.stem_flops()
    size = catsdogs.RECIPE.size
    assert set(flops) == {size, 64} and flops[size] > 0 and flops[64] > 0
    with pytest.raises(ValueError, match="recipe"):
        report.stem_flops(replace(catsdogs.RECIPE, size=256))


def test_curve_facts_are_the_numbers_of_the_curves():
    rising = _history([0.5 + 0.004 * e for e in range(100)])
    facts = report.curve_facts(rising)
    assert facts["final_val_acc"] == pytest.approx(100 * rising.val_acc[-1])
    assert facts["final_train_acc"] == pytest.approx(100 * rising.train_acc[-1])
    assert facts["gap_acc"] == pytest.approx(5.0)
    assert facts["best_val_epoch"] == 100 and facts["val_rise"] == 0  # epochs from 1
    climbing = _history([0.5] * 50 + [0.9] * 50)
    climbing.val_loss = [1.0] * 10 + [0.5] + [0.6] * 89
    facts = report.curve_facts(climbing)
    assert facts["best_val_epoch"] == 11 and facts["val_rise"] == pytest.approx(0.1)
    assert all(isinstance(v, (int, float)) for v in facts.values())  # numbers only
    with pytest.raises(ValueError, match="last"):
        report.curve_facts(rising, last=0)


def test_quarter_table_reads_the_epoch_at_each_quarter():
    rising = _history([0.5 + 0.004 * e for e in range(100)])
    rows = _cells(report.quarter_table(rising))
    assert [r[0] for r in rows] == ["25", "50", "75", "100"]
    assert rows[0][1:] == ["64.6%", "59.6%"]  # epoch 25: the 25th value, 0.5 + 0.004 * 24
    assert rows[3][2] == f"{100 * rising.val_acc[-1]:.1f}%"


def test_aims_are_numbers_and_the_aim_table_says_whether_a_run_met_it():
    assert report.aims() == {
        "homework_val": 100 * catsdogs.HOMEWORK_VAL_ACC,
        "aim_test": 100 * catsdogs.AIM_TEST_ACC,
        "aim_minutes": catsdogs.AIM_SECONDS / 60,
    }
    ok = _history([0.9], test_acc=catsdogs.AIM_TEST_ACC, wall_seconds=catsdogs.AIM_SECONDS)
    assert report.met_aim(ok)
    assert not report.met_aim(replace(ok, wall_seconds=catsdogs.AIM_SECONDS + 1))
    assert not report.met_aim(replace(ok, test_acc=catsdogs.AIM_TEST_ACC - 0.002))
    rows = _cells(report.aim_table(replace(ok, test_acc=0.914, wall_seconds=318.0)))
    assert rows[0][1:] == [f"at least {100 * catsdogs.AIM_TEST_ACC:g}%", "91.4%"]
    assert rows[1][1:] == [f"at most {catsdogs.AIM_SECONDS / 60:g} min", "5.3 min"]
    assert rows[2][2] == "yes"
    slow = _cells(report.aim_table(replace(ok, wall_seconds=catsdogs.AIM_SECONDS + 60)))
    assert slow[2][2] == "no"


def test_figures_draw_what_they_are_given(tmp_path):
    labels = torch.tensor([0, 1, 1, 0])
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    fig = report.plot_confusion(labels, probs.argmax(1))
    assert "50.0% correct" in fig.axes[0].get_title()
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1", "1", "1", "1"]
    files = []
    for i in range(4):
        Image.new("RGB", (40, 30), (60 * i, 0, 0)).save(tmp_path / f"{i}.jpg")
        files.append(f"{i}.jpg")
    fig = report.plot_examples(tmp_path, files, probs, labels, n=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 4 and sum(t.startswith("wrong") for t in titles) == 2
    image = torch.randint(0, 256, (3, 40, 40), dtype=torch.uint8)
    views = catsdogs.augment(image[None].expand(3, -1, -1, -1), 32, torch.Generator())
    assert len(report.plot_views(image, "cat", views).axes) == 4
    model = catsdogs.ResNet(
        SMALL.width, SMALL.blocks, image_size=SMALL.size, stem_stride=SMALL.stem_stride
    ).eval()
    fig, shapes = report.plot_feature_maps(model, Image.open(tmp_path / "0.jpg"), SMALL.size, n=3)
    assert len(shapes) == len(report.FEATURE_DEPTHS)
    assert shapes[0][0] == SMALL.width and all(len(s) == 3 for s in shapes)
    assert shapes[-1][0] > shapes[0][0] and shapes[-1][1] < shapes[0][1]  # deeper: more, smaller
