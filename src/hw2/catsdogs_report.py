"""Practical part A, read from a trained run of :mod:`hw2.catsdogs`: the compute it spent
and the processor's share, the stem's cost, the numbers on the curves (A.6), the tables
(the aim against this build, compute, accuracy by quarter of training) and the figures
(augmented views, confusion matrix, examples, feature maps). It returns numbers, tables
and figures, never sentences: the chapter's prose is written by hand.

Nothing here changes a training result: the CNN's cache key follows only what
:func:`hw2.catsdogs.train` can reach (:mod:`hw2.book.sources`), and none of this is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from matplotlib import pyplot as plt
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from . import catsdogs
from ._validate import check_int
from .catsdogs import CLASSES, MEAN, STD, History, Recipe
from .plotting import PAGE_WIDTH
from .runtime import matmul_peak, pick_device

__all__ = [
    "DTYPES",
    "aim_table",
    "aims",
    "compute",
    "compute_table",
    "curve_facts",
    "met_aim",
    "plot_confusion",
    "plot_examples",
    "plot_feature_maps",
    "plot_views",
    "quarter_table",
    "stem_flops",
]

DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}  # each precision's matmul dtype


def compute(
    model: torch.nn.Module,
    history: History,
    recipe: Recipe = catsdogs.RECIPE,
    device: str | torch.device | None = None,
) -> dict:
    """The compute a run spent and the processor's share: FLOPs of a training step per
    image (``step_gflop``, GFLOP), of the whole training (``train_tflop``, TFLOP), the
    training steps' ``throughput`` and the matmul ``peak`` of the run's precision
    measured now on ``device`` (GFLOP/s), their ratio ``utilisation`` (%), and the
    run's ``precision`` (``"bf16"`` or ``"fp32"``, for :func:`compute_table`)."""
    device = pick_device(device)
    precision = history.precision
    if precision not in DTYPES:
        raise ValueError(f"history: precision must be one of {sorted(DTYPES)}, got {precision!r}")
    peak = matmul_peak(DTYPES[precision], device=device)  # 2048 x 2048, where train ran
    throughput = history.train_flops / history.train_seconds
    return {
        "precision": precision,
        "step_gflop": catsdogs.step_flops(model, recipe.size, recipe.batch_size) / 1e9,
        "train_tflop": history.train_flops / 1e12,
        "throughput": throughput / 1e9,
        "peak": peak / 1e9,
        "utilisation": 100 * throughput / peak,
    }


def compute_table(facts: dict) -> str:
    """:func:`compute`'s result as a Markdown table, one quantity a row."""
    rows = [
        ("precision of the training steps", facts["precision"]),
        ("one training image, forward and backward", f"{facts['step_gflop']:.3f} GFLOP"),
        ("the whole training", f"{facts['train_tflop']:.1f} TFLOP"),
        ("the training steps' throughput", f"{facts['throughput']:.0f} GFLOP/s"),
        ("a large matrix product, same precision", f"{facts['peak']:.0f} GFLOP/s"),
        ("share of that peak", f"{facts['utilisation']:.0f}%"),
    ]
    return "\n".join(
        [
            "| quantity | this build |",
            "|:---|---:|",
            *(f"| {name} | {value} |" for name, value in rows),
        ]
    )


def aims() -> dict[str, float]:
    """The homework's bar and the book's aim, as numbers by glue name: validation and
    test accuracy in percent, training time in minutes."""
    return {
        "homework_val": 100 * catsdogs.HOMEWORK_VAL_ACC,
        "aim_test": 100 * catsdogs.AIM_TEST_ACC,
        "aim_minutes": catsdogs.AIM_SECONDS / 60,
    }


def met_aim(history: History) -> bool:
    """Whether a run met the book's aim: test accuracy at least
    :data:`hw2.catsdogs.AIM_TEST_ACC` within :data:`hw2.catsdogs.AIM_SECONDS` for the
    whole ``train`` call."""
    return bool(
        history.test_acc >= catsdogs.AIM_TEST_ACC and history.wall_seconds <= catsdogs.AIM_SECONDS
    )


def aim_table(history: History) -> str:
    """The book's aim against a run, a Markdown table: test accuracy, training time
    (the whole ``train`` call) and whether the run met the aim."""
    return "\n".join(
        [
            "| | the book's aim | this build |",
            "|:---|---:|---:|",
            f"| test accuracy | at least {100 * catsdogs.AIM_TEST_ACC:g}% "
            f"| {100 * history.test_acc:.1f}% |",
            f"| training time | at most {catsdogs.AIM_SECONDS / 60:g} min "
            f"| {history.wall_seconds / 60:.1f} min |",
            f"| aim met | | {'yes' if met_aim(history) else 'no'} |",
        ]
    )


def stem_flops(recipe: Recipe = catsdogs.RECIPE) -> dict[int, float]:
    """Multiply-adds per image (inference) with the recipe's stem at its size, and with a
    3x3 stem on 64-pixel images, keyed by image size; both stems hand the stages maps
    of the same side (else ``ValueError``)."""
    flops, sides = {}, set()
    for stride, size in [(recipe.stem_stride, recipe.size), (1, 64)]:
        net = catsdogs.ResNet(
            recipe.width, recipe.blocks, image_size=size, stem_stride=stride
        ).eval()
        x = torch.zeros(1, 3, size, size)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            net(x)
        flops[size] = counter.get_total_flops() / 2
        with torch.no_grad():
            sides.add(net.feature_maps(x)["stem"].shape[-1])
    if len(sides) != 1:
        raise ValueError(f"recipe: the stems hand the stages maps of sides {sorted(sides)}")
    return flops


def curve_facts(history: History, last: int = 5) -> dict:
    """A.6 read from the curves, as numbers by glue name: the final accuracies (%), the
    mean train-validation gap of the ``last`` epochs (percentage points), the epoch of
    the lowest validation loss (counted from 1) and how far the last one is above it."""
    check_int("last", last, low=1)
    gap = np.mean(history.train_acc[-last:]) - np.mean(history.val_acc[-last:])
    best = int(np.argmin(history.val_loss))
    rise = history.val_loss[-1] - history.val_loss[best]
    return {
        "final_train_acc": 100 * history.train_acc[-1],
        "final_val_acc": 100 * history.val_acc[-1],
        "gap_acc": float(100 * gap),
        "best_val_epoch": best + 1,
        "val_rise": float(rise),
    }


def _quarters(history: History) -> list[int]:
    return [len(history.val_acc) * k // 4 for k in (1, 2, 3, 4)]


def quarter_table(history: History) -> str:
    """Training and validation accuracy at each quarter of the run, a Markdown table."""
    rows = ["| epoch | training accuracy | validation accuracy |", "|---:|---:|---:|"]
    for e in _quarters(history):
        rows.append(
            f"| {e} | {100 * history.train_acc[e - 1]:.1f}% | {100 * history.val_acc[e - 1]:.1f}% |"
        )
    return "\n".join(rows)


def _show(ax: plt.Axes, x: torch.Tensor) -> None:
    """A normalised image ``(3, H, W)`` as the camera saw it."""
    mean, std = torch.tensor(MEAN).view(3, 1, 1), torch.tensor(STD).view(3, 1, 1)
    ax.imshow((x * std + mean).clamp(0, 1).permute(1, 2, 0).numpy())


def plot_views(image: torch.Tensor, label: str, views: torch.Tensor) -> plt.Figure:
    """A stored image ``(3, H, W)`` (uint8) and its augmented ``views`` (normalised)."""
    fig, axes = plt.subplots(1, 1 + len(views), figsize=(PAGE_WIDTH, 1.6))
    axes[0].imshow(image.permute(1, 2, 0).numpy())
    axes[0].set_title(label, fontsize=9)
    for ax, view in zip(axes[1:], views):
        _show(ax, view)
        ax.set_title("augmented", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_confusion(labels: torch.Tensor, predicted: torch.Tensor) -> plt.Figure:
    """The test set's confusion matrix, counts in the cells."""
    confusion = torch.zeros(len(CLASSES), len(CLASSES), dtype=torch.long)
    for t, p in zip(labels.tolist(), predicted.tolist()):
        confusion[t, p] += 1
    fig, ax = plt.subplots(figsize=(3.2, 2.8))
    ax.imshow(confusion.numpy(), cmap="Blues")
    for (r, c), v in np.ndenumerate(confusion.numpy()):
        ax.text(
            c,
            r,
            str(v),
            ha="center",
            va="center",
            color="white" if v > confusion.max() / 2 else "black",
        )
    accuracy = 100 * float((labels == predicted).float().mean())
    ax.set(
        xticks=range(len(CLASSES)),
        yticks=range(len(CLASSES)),
        xticklabels=CLASSES,
        yticklabels=CLASSES,
        xlabel="predicted",
        ylabel="true",
        title=f"Test set: {accuracy:.1f}% correct",
    )
    fig.tight_layout()
    return fig


def plot_examples(
    folder: Path, files: list[str], probs: torch.Tensor, labels: torch.Tensor, n: int = 6
) -> plt.Figure:
    """The first ``n`` test photos the model got right (top row) and wrong (bottom),
    each with its prediction, confidence and true class."""
    predicted = probs.argmax(1)
    fig, axes = plt.subplots(2, n, figsize=(PAGE_WIDTH, 3.3))
    for row, verdict, picks in [
        (0, "right", predicted == labels),
        (1, "wrong", predicted != labels),
    ]:
        for ax, i in zip(axes[row], picks.nonzero().flatten()[:n].tolist()):
            with Image.open(Path(folder) / files[i]) as im:
                ax.imshow(im.convert("RGB").resize((96, 96)))
            ax.set_title(
                f"{verdict}: {CLASSES[predicted[i]]}\n{100 * probs[i].max():.0f}% "
                f"(true {CLASSES[labels[i]]})",
                fontsize=7,
            )
        for ax in axes[row]:
            ax.axis("off")
    fig.tight_layout()
    return fig


FEATURE_DEPTHS = {
    "after the stem": "stem",
    "after stage 2": "stage 2",
    "after stage 4": "stage 4",
}  # row title: feature_maps key


def plot_feature_maps(
    model: catsdogs.ResNet, image: Image.Image, size: int, n: int = 6
) -> tuple[plt.Figure, list[tuple[int, int, int]]]:
    """The ``n`` most active feature maps of ``image`` after the stem, stage 2 and
    stage 4 (a row each, the photo first); returns the figure and each row's shape
    ``(maps, height, width)``."""
    x = catsdogs.eval_view(catsdogs.to_uint8([image], size), size)
    with torch.no_grad():
        by_depth = model.feature_maps(x)
    fig, axes = plt.subplots(len(FEATURE_DEPTHS), n + 1, figsize=(PAGE_WIDTH, 3.6))
    shapes = []
    for row, (name, depth) in zip(axes, FEATURE_DEPTHS.items()):
        maps = by_depth[depth][0]
        shapes.append(tuple(maps.shape))
        row[0].imshow(image.resize((96, 96)))
        row[0].set_title(name, fontsize=8)
        for ax, c in zip(row[1:], maps.mean((1, 2)).argsort(descending=True)[:n].tolist()):
            ax.imshow(maps[c].numpy(), cmap="magma")
            ax.set_title(f"{tuple(maps.shape[1:])}", fontsize=7)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    return fig, shapes
