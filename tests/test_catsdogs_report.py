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


def _history(val_acc: list[float], **more) -> dict:
    return {"train_acc": [min(1.0, a + 0.05) for a in val_acc], "val_acc": val_acc,
            "val_loss": [1.0 - 0.5 * a for a in val_acc], **more}


def test_compute_is_the_counted_flops_over_the_measured_peak():
    model = catsdogs.ResNet(SMALL.width, SMALL.blocks, image_size=SMALL.size,
                            stem_stride=SMALL.stem_stride)
    history = {"precision": "fp32", "train_flops": 2e12, "train_seconds": 100.0}
    facts = report.compute(model, history, SMALL, device="cpu")
    assert facts["throughput"] == pytest.approx(20.0)  # GFLOP/s
    assert facts["utilisation"] == pytest.approx(100 * facts["throughput"] / facts["peak"])
    assert facts["train_tflop"] == 2.0 and facts["precision"] == "fp32"
    assert facts["step_gflop"] == pytest.approx(
        catsdogs.step_flops(model, SMALL.size, SMALL.batch_size) / 1e9)
    assert set(report.DTYPES) == set(catsdogs.PRECISIONS)


def test_stem_flops_compares_the_stems_at_the_same_map_side():
    flops = report.stem_flops()
    size = catsdogs.RECIPE.size
    assert set(flops) == {size, 64} and flops[size] > 0 and flops[64] > 0
    with pytest.raises(ValueError, match="recipe"):
        report.stem_flops(replace(catsdogs.RECIPE, size=256))


def test_curve_facts_and_trends_follow_the_curves():
    rising = _history([0.5 + 0.004 * e for e in range(100)])
    facts = report.curve_facts(rising)
    assert facts["final_val_acc"] == pytest.approx(100 * rising["val_acc"][-1])
    assert facts["gap_acc"] == pytest.approx(5.0)
    assert facts["best_val_epoch"] == 99 and facts["val_rise"] == 0
    assert facts["val_trend"].startswith("it has flattened")
    assert report.late_trend(rising) == "was still rising"
    flat = _history([0.5] * 50 + [0.9] * 50)
    assert report.late_trend(flat) == "had levelled off"
    climbing = dict(flat, val_loss=[1.0] * 90 + [1.1] * 10)
    assert report.curve_facts(climbing)["val_trend"].startswith("it has started to climb")
    table = report.quarter_table(rising).splitlines()
    assert len(table) == 6 and table[2].startswith("| 25 | ")
    with pytest.raises(ValueError, match="last"):
        report.late_trend(rising, last=0)


def test_aims_say_whether_a_run_met_the_book_aim():
    assert report.aims()["aim_test"] == f"{100 * catsdogs.AIM_TEST_ACC:g}"
    ok = {"test_acc": catsdogs.AIM_TEST_ACC, "wall_seconds": catsdogs.AIM_SECONDS}
    assert report.aims(ok)["cnn_aim"] == "met"
    assert report.aims(dict(ok, wall_seconds=catsdogs.AIM_SECONDS + 1))["cnn_aim"] != "met"


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
    model = catsdogs.ResNet(SMALL.width, SMALL.blocks, image_size=SMALL.size,
                            stem_stride=SMALL.stem_stride).eval()
    fig, shapes = report.plot_feature_maps(model, Image.open(tmp_path / "0.jpg"), SMALL.size,
                                           n=3)
    assert len(shapes) == len(report.FEATURE_DEPTHS)
    assert shapes[0].startswith(f"{SMALL.width} maps of ")
