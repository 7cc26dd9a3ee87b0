"""Theory 1.3 and practical C, read from the runs of :mod:`hw2.loss_curves`: the spike
metric and practical C's rule, the jumps, the big steps, and the figures. The
counterfactual replays that explain a jump (question 1.3.1) are
:mod:`hw2.counterfactual`; the tables and the numbers the chapter glues are
:mod:`hw2.spikes_report` and :mod:`hw2.spikes_facts`.

Nothing here changes a training result: a trained run's cache key follows only what
its trainer can reach (:mod:`hw2.book.sources`), and that is in :mod:`hw2.loss_curves`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import torch

from .loss_curves import HIST_EDGES, WINDOW, History, LSTMClassifier, states, typical
from .temporal_order import decode

if TYPE_CHECKING:
    from .counterfactual import Jump

__all__ = [
    "BAR",
    "BIG",
    "CURVES",
    "FINAL_ACC",
    "JUMP",
    "LEARNED",
    "big_steps",
    "fingerprint",
    "first_perfect_epoch",
    "jumps",
    "jumps_of",
    "max_rise",
    "max_rise_epoch",
    "passes",
    "plot_curves",
    "plot_histograms",
    "plot_jump",
    "plot_seeds",
    "plot_states",
    "plot_steps",
    "plot_weight_norms",
    "summary",
]


JUMP = 0.3  # a plotted loss rising by more than this from one epoch to the next jumps
LEARNED = 1.0  # ... once some earlier plotted loss was below this (off the ln 4 plateau)
BAR = 0.2  # practical C's rule: no plotted loss rises more than this over its minimum
FINAL_ACC = 0.995  # ... and the last epoch's test accuracy is at least this
BIG = 10.0  # a step is big when its update (or gradient) exceeds BIG times the typical one


def _rises(losses: Iterable[float]) -> np.ndarray:
    arr = np.asarray(list(losses), dtype=float)
    if len(arr) < 2:
        raise ValueError("losses: need at least two epochs")
    return arr[1:] - np.minimum.accumulate(arr)[:-1]


def max_rise(losses: Iterable[float]) -> float:
    """The spike metric: ``max over e >= 1 of (loss[e] - min(loss[0..e-1]))``."""
    return float(np.max(_rises(losses)))


def max_rise_epoch(losses: Iterable[float]) -> int:
    """The epoch ``e`` at which :func:`max_rise` is reached."""
    return int(np.argmax(_rises(losses))) + 1


def first_perfect_epoch(accuracies: Iterable[float]) -> int | None:
    """The first epoch (0-based) at 100% accuracy (a fraction of 1), or ``None``."""
    return next((e for e, a in enumerate(accuracies) if a >= 1.0), None)


def passes(h: History, bar: float = BAR, final_acc: float = FINAL_ACC) -> bool:
    """Practical C's rule: both plotted curves rise by at most ``bar`` over their running
    minimum, and the last epoch's test accuracy is at least ``final_acc``."""
    return max(max_rise(h.train_loss), max_rise(h.test_loss)) <= bar and h.test_acc[-1] >= final_acc


def jumps(losses: Iterable[float], threshold: float = JUMP, learned: float = LEARNED) -> list[int]:
    """The spikes the chapter explains: epochs whose plotted loss rose by more than
    ``threshold`` over the epoch before, once the curve had come down from the
    plateau at ln 4 = 1.39 (some earlier plotted loss below ``learned``). Rises on the
    plateau and on the way down from it are not spikes."""
    arr = np.asarray(list(losses), dtype=float)
    below = np.minimum.accumulate(arr) < learned
    return [e for e in range(1, len(arr)) if below[e - 1] and arr[e] - arr[e - 1] > threshold]


CURVES = ("train", "test")


def jumps_of(h: History) -> dict[str, list[int]]:
    """The epochs at which each plotted curve of ``h`` jumps (:func:`jumps`)."""
    return {curve: jumps(h.losses(curve)) for curve in CURVES}


def big_steps(values: list[float], factor: float = BIG, window: int = WINDOW) -> list[int]:
    """Steps whose value (a run's ``update_norm`` or ``grad_norm``) exceeds ``factor``
    times the typical one over the ``window`` steps before them (:func:`typical`)."""
    if not factor > 0:
        raise ValueError(f"factor must be positive, got {factor!r}")
    return [
        t for t in range(window, len(values)) if values[t] > factor * typical(values, t, window)
    ]


def summary(h: History) -> dict:
    """One table row for a run: the spike metric on both plotted curves, the first
    epoch at 100% test accuracy, the final test accuracy, the number of big updates,
    and whether it passes practical C's rule."""
    return {
        "rise_train": max_rise(h.train_loss),
        "rise_test": max_rise(h.test_loss),
        "first_100": first_perfect_epoch(h.test_acc),
        "final_acc": h.test_acc[-1],
        "big_updates": len(big_steps(h.update_norm)),
        "passes": passes(h),
        "train_seconds": h.train_seconds,
        "epochs": len(h.test_acc),
    }


def fingerprint(h: History) -> str:
    """A short hash of a run's per-step losses and gradient norms: equal for two runs
    that followed the same trajectory."""
    data = np.asarray(h.step_loss + h.grad_norm, dtype=np.float64).tobytes()
    return hashlib.sha256(data).hexdigest()[:12]


def plot_curves(h: History, title: str = ""):
    """The section's figure: plotted losses (left) and accuracies (right) per epoch."""
    from .plotting import curves

    fig = curves(
        {
            "loss": {"train": h.train_loss, "test": h.test_loss},
            "accuracy (%)": {
                "train": 100 * np.asarray(h.train_acc),
                "test": 100 * np.asarray(h.test_acc),
            },
        }
    )
    fig.axes[0].set_ylim(0, 4)
    fig.axes[1].set_ylim(0, 102)
    if title:
        fig.suptitle(title, y=1.02)
    return fig


def plot_seeds(runs: dict[str, list[History]], seeds: Iterable[int] | None = None):
    """Procedures over several data seeds against practical C's rule: for each
    procedure (``runs``: name -> one history per seed), the max rise of the higher
    plotted curve (left) and the last epoch's test accuracy (right) per seed, with
    the rule's limits dashed."""
    import matplotlib.pyplot as plt

    from .plotting import PAGE_WIDTH

    if not runs or not all(runs.values()):
        raise ValueError("runs: need at least one procedure with at least one run")
    n = len(next(iter(runs.values())))
    seeds = list(range(n)) if seeds is None else list(seeds)
    fig, (left, right) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 2.8))
    width = 0.8 / len(runs)
    for k, (name, hs) in enumerate(runs.items()):
        at = np.arange(len(hs)) + (k - (len(runs) - 1) / 2) * width
        rises = [max(max_rise(h.train_loss), max_rise(h.test_loss)) for h in hs]
        left.bar(at, rises, width, label=name)
        right.plot(at, [100 * h.test_acc[-1] for h in hs], "o", label=name)
    for ax, limit, label in [
        (left, BAR, "max rise (both curves)"),
        (right, 100 * FINAL_ACC, "final test accuracy (%)"),
    ]:
        ax.axhline(limit, color="0.3", ls="--", lw=1)
        ax.set_xticks(range(n))
        ax.set_xticklabels([str(s) for s in seeds])
        ax.set_xlabel("data seed")
        ax.set_ylabel(label)
    left.legend(loc="upper right")
    fig.suptitle("Each fix on the held-out data seeds (dashed: the rule's limits)")
    fig.tight_layout()
    return fig


def plot_jump(r: Jump, axes) -> None:
    """One jump, explained (:func:`hw2.counterfactual.explain_jump`): left, the plotted
    batch's loss after each step since the previous plotted value, the suspect step
    marked; right, the plotted curve from the epoch before, as run and with that one
    update capped."""
    steps = np.arange(len(r.path)) + r.path_start
    axes[0].plot(steps, r.path, marker=".", color="tab:red")
    axes[0].axvline(r.suspect, color="0.6", ls="--", lw=1)
    axes[0].set_xlabel("after step")
    axes[0].set_ylabel("loss of the plotted batch")
    axes[0].set_title(f"epoch {r.epoch}, {r.curve}: step {r.suspect}")
    epochs = np.arange(len(r.replayed.train_loss)) + r.epoch - 1
    axes[1].plot(epochs, r.replayed.losses(r.curve), marker="o", label="as run")
    axes[1].plot(epochs, r.capped.losses(r.curve), marker="o", label=f"step {r.suspect} capped")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel(f"plotted {r.curve} loss")
    axes[1].set_ylim(bottom=0)
    axes[1].legend(loc="best")


def plot_steps(h: History, ax, title: str = "") -> None:
    """Gradient norm per step (log scale) with the batch loss on a second axis."""
    steps = np.arange(len(h.grad_norm))
    ax.semilogy(steps, h.grad_norm, color="tab:blue", lw=0.6)
    ax.set_ylabel("gradient norm", color="tab:blue")
    ax.set_xlabel("step")
    twin = ax.twinx()
    twin.plot(steps, h.step_loss, color="tab:red", lw=0.6, alpha=0.8)
    twin.set_ylabel("batch loss", color="tab:red")
    twin.set_ylim(0, 4)
    ax.set_title(title)


def plot_weight_norms(h: History, ax, title: str = "") -> None:
    """The norm of every parameter tensor after each epoch."""
    for name, values in h.weight_norm.items():
        ax.plot(values, label=name.replace("_l0", ""))
    ax.set_xlabel("epoch")
    ax.set_ylabel("weight norm")
    ax.set_title(title)


def plot_histograms(h: History, ax, title: str = "") -> None:
    """All weights' histogram per epoch as a heat map (log counts)."""
    counts = np.log1p(h.weight_hist.T)
    ax.imshow(
        counts,
        aspect="auto",
        origin="lower",
        cmap="viridis",
        extent=[0, counts.shape[1], HIST_EDGES[0], HIST_EDGES[-1]],
    )
    ax.set_xlabel("epoch")
    ax.set_ylabel("weight value")
    ax.set_title(title)


def plot_states(model: LSTMClassifier, x: torch.Tensor, axes) -> None:
    """The section's state picture for one padded sequence ``x`` ``(T, 8)``: for every
    unit, the squashed state ``sigmoid(c)`` (top) and ``sigmoid(h)`` (bottom) at each
    symbol of the sequence (padding dropped), blue for 0, white for 1/2, red for 1, as
    the course colours them. The two relevant symbols are in bold red."""
    sequence = decode(x[None])[0]
    hs, cs = states(model, x)
    for ax, values, name in [(axes[0], cs, "cell state c"), (axes[1], hs, "hidden state h")]:
        shown = torch.sigmoid(values[len(x) - len(sequence) :])
        ax.imshow(shown.T, aspect="auto", cmap="RdBu_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_ylabel(f"σ({name[-1]}), unit")
        ax.set_yticks(range(0, shown.shape[1], 3))
        ax.set_xticks(range(len(sequence)))
        ax.set_xticklabels(list(sequence), fontsize=6)
        for label, char in zip(ax.get_xticklabels(), sequence):
            if char in "XY":
                label.set_color("tab:red")
                label.set_fontweight("bold")
