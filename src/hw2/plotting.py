"""Plot helpers shared by the chapters: one style, sized for the book's page width."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["curves", "matrix", "style"]

PAGE_WIDTH = 7.5  # inches: a figure this wide fits the book's text column


def style() -> None:
    """Readable defaults: white figure background (legible in light and dark themes)."""
    plt.rcParams.update({
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "axes.grid": False,
        "font.size": 10,
        "axes.titlesize": 11,
        "legend.frameon": False,
    })


def matrix(M: torch.Tensor | np.ndarray, ax: plt.Axes, title: str, xlabel: str, ylabel: str,
           xticklabels: Sequence[str] | None = None,
           yticklabels: Sequence[str] | None = None, annotate: bool = False,
           aspect: str = "equal") -> None:
    """Show a matrix as an image with a diverging colour map centred on zero."""
    M = np.asarray(M.detach() if isinstance(M, torch.Tensor) else M, dtype=float)
    bound = float(np.abs(M).max()) or 1.0
    ax.imshow(M, cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest",
              aspect=aspect)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for labels, setter, n in [(xticklabels, ax.set_xticks, M.shape[1]),
                              (yticklabels, ax.set_yticks, M.shape[0])]:
        if labels is not None:
            setter(range(n), labels, fontsize=7)
    ax.tick_params(axis="x", labelrotation=90)
    if annotate:
        for (r, c), v in np.ndenumerate(M):
            if v != 0:
                ax.text(c, r, f"{v:.1f}", ha="center", va="center", fontsize=6)


def curves(series: dict[str, dict[str, Sequence[float]]], xlabel: str = "epoch",
           figsize: tuple[float, float] = (PAGE_WIDTH, 3.0)) -> plt.Figure:
    """One panel per key of ``series``; each panel draws its named curves."""
    fig, axes = plt.subplots(1, len(series), figsize=figsize, squeeze=False)
    for ax, (title, lines) in zip(axes[0], series.items()):
        for label, values in lines.items():
            ax.plot(np.arange(len(values)), values, label=label)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.legend()
    fig.tight_layout()
    return fig
