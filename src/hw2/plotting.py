"""Plot helpers shared by the chapters: one style, sized for the book's page width."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["channel_labels", "curves", "matrix", "norm_curves", "style"]

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
           yticklabels: Sequence[str] | None = None, aspect: str = "equal",
           groups: int | None = None) -> None:
    """Show a matrix as an image with a diverging colour map centred on zero; a line
    after every ``groups`` columns separates blocks (for example channels)."""
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
    if groups:
        for edge in range(groups, M.shape[1], groups):
            ax.axvline(edge - 0.5, color="0.3", lw=1)


def channel_labels(channels: int, width: int, name: str) -> list[str]:
    """Tick labels for ``channels`` blocks of ``width`` columns: ``"c1 n1", "n2", ...``,
    naming the channel only where its block starts."""
    return [f"c{c + 1} {name}1" if j == 0 else f"{name}{j + 1}"
            for c in range(channels) for j in range(width)]


def norm_curves(runs: dict[str, torch.Tensor], ylabel: str, band: bool = True,
                dashed: Sequence[str] = ()) -> tuple[plt.Figure, dict[str, torch.Tensor]]:
    """Jacobian norms over time, one curve per name: the median over the rows (seeds) of
    ``runs[name]`` ``(seeds, T)`` on a log scale, with the min-max band when ``band``;
    the legend sits below the axes, readable on a phone. Returns the figure and the
    medians."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.6))
    medians = {}
    for name, norms in runs.items():
        medians[name] = norms.median(0).values
        steps = range(1, norms.shape[1] + 1)
        ax.semilogy(steps, medians[name], label=name, ls="--" if name in dashed else "-")
        if band:
            ax.fill_between(steps, norms.min(0).values, norms.max(0).values, alpha=0.15)
    ax.set(xlabel="steps T", ylabel=ylabel)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=min(len(runs), 3))
    fig.tight_layout()
    return fig, medians


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
