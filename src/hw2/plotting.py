"""Plot helpers shared by the chapters: one style, sized for the book's page width.

Figures are drawn :data:`PAGE_WIDTH` inches wide, for the book's text column, with no
text under :data:`MIN_PT`. In a notebook, :func:`style` also has each figure shown as
the book shows it, beside a phone rendering (:mod:`hw2.book.phone`, the book's
machinery); diagrams drawn to scale keep one layout (:func:`keep_layout`).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

__all__ = [
    "MIN_PT",
    "PAGE_WIDTH",
    "channel_labels",
    "curves",
    "keep_layout",
    "kept_to_scale",
    "matrix",
    "norm_curves",
    "running_mean",
    "style",
    "window_exits",
]

PAGE_WIDTH = 7.5  # inches: a figure this wide fits the book's text column
MIN_PT = 8.0  # least text size in either rendering (smaller text is enlarged to it)
_KEEP: weakref.WeakSet = weakref.WeakSet()  # figures that keep their one layout


def style() -> None:
    """Readable defaults: white figure background (legible in light and dark themes);
    in a notebook, plots are shown as the book shows them, with a phone rendering
    (:func:`hw2.book.phone.figure_html`)."""
    from .book.phone import show_figures_as_html  # the book's machinery

    show_figures_as_html()
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "axes.grid": False,
            "font.size": 10,
            "axes.titlesize": 11,
            "legend.frameon": False,
        }
    )


def matrix(
    M: torch.Tensor | np.ndarray,
    ax: plt.Axes,
    title: str,
    xlabel: str,
    ylabel: str,
    xticklabels: Sequence[str] | None = None,
    yticklabels: Sequence[str] | None = None,
    aspect: str = "equal",
    groups: int | None = None,
    colorbar_label: str | None = None,
) -> None:
    """Show a matrix as an image with a diverging colour map centred on zero; a line
    after every ``groups`` columns separates blocks (for example channels). With
    ``colorbar_label``, a colour bar so labelled stands right of the axes: drawn inside
    ``ax`` (an inset), so that :func:`hw2.book.phone.phone_layout` can still restack the figure."""
    M = np.asarray(M.detach() if isinstance(M, torch.Tensor) else M, dtype=float)
    bound = float(np.abs(M).max()) or 1.0
    image = ax.imshow(
        M, cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest", aspect=aspect
    )
    if colorbar_label is not None:
        bar = ax.figure.colorbar(image, cax=ax.inset_axes([1.02, 0.0, 0.025, 1.0]))
        bar.set_label(colorbar_label)
        bar.ax.tick_params(labelsize=MIN_PT)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for labels, setter, n in [
        (xticklabels, ax.set_xticks, M.shape[1]),
        (yticklabels, ax.set_yticks, M.shape[0]),
    ]:
        if labels is not None:
            setter(range(n), labels, fontsize=MIN_PT)
    ax.tick_params(axis="x", labelrotation=90)
    if groups:
        for edge in range(groups, M.shape[1], groups):
            ax.axvline(edge - 0.5, color="0.3", lw=1)


def channel_labels(channels: int, width: int, name: str) -> list[str]:
    """Tick labels for ``channels`` blocks of ``width`` columns: ``"c1 n1", "n2", ...``,
    naming the channel only where its block starts."""
    return [
        f"c{c + 1} {name}1" if j == 0 else f"{name}{j + 1}"
        for c in range(channels)
        for j in range(width)
    ]


def norm_curves(
    runs: dict[str, torch.Tensor],
    ylabel: str,
    band: bool = True,
    dashed: Sequence[str] = (),
    window: tuple[float, float] | None = None,
) -> tuple[plt.Figure, dict[str, torch.Tensor]]:
    """Jacobian norms over time, one curve per name: the median over the rows (seeds) of
    ``runs[name]`` ``(seeds, T)`` on a log scale, with the min-max band when ``band``;
    the legend sits below the axes, readable on a phone. With ``window = (low, high)``
    the y axis shows only that range, and a median that leaves it is marked by a
    triangle on the edge it crosses, at the first step outside (see
    :func:`window_exits`). Returns the figure and the medians."""
    if window is not None and not 0 < window[0] < window[1]:
        raise ValueError(f"window must be (low, high) with 0 < low < high, got {window!r}")
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.6))
    medians = {}
    for name, norms in runs.items():
        medians[name] = norms.median(0).values
        steps = range(1, norms.shape[1] + 1)
        (line,) = ax.semilogy(steps, medians[name], label=name, ls="--" if name in dashed else "-")
        if band:
            ax.fill_between(
                steps, norms.min(0).values, norms.max(0).values, alpha=0.15, color=line.get_color()
            )
        if window is not None:
            _mark_exits(ax, medians[name], window, line.get_color())
    if window is not None:
        ax.set_ylim(*window)
    ax.set(xlabel="steps T", ylabel=ylabel)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=min(len(runs), 3))
    fig.tight_layout()
    return fig, medians


def _mark_exits(
    ax: plt.Axes, values: torch.Tensor, window: tuple[float, float], color: str
) -> None:
    """A triangle on each edge of ``window`` that ``values`` cross, at the first step
    outside (:func:`window_exits`)."""
    for edge, step in zip(window, window_exits(values, window)):
        if step is not None:
            marker = "v" if edge == window[0] else "^"
            ax.plot([step], [edge], marker=marker, ms=9, color=color, clip_on=False, zorder=5)


def window_exits(
    values: torch.Tensor | Sequence[float], window: tuple[float, float]
) -> tuple[int | None, int | None]:
    """The first step (1-based) at which ``values`` fall below ``window[0]`` and the first
    at which they rise above ``window[1]``; None where they never do."""
    v = np.asarray(values, dtype=float)
    below, above = np.flatnonzero(v < window[0]), np.flatnonzero(v > window[1])
    return (int(below[0]) + 1 if below.size else None, int(above[0]) + 1 if above.size else None)


def running_mean(values: Sequence[float], width: int = 25) -> np.ndarray:
    """The mean of each ``width`` consecutive values (per-step curves of small batches
    are noisy); ``len(values) - width + 1`` of them."""
    if not isinstance(width, int) or not 1 <= width <= len(values):
        raise ValueError(f"width must be an int in 1 ... {len(values)}, got {width!r}")
    return np.convolve(np.asarray(values, dtype=float), np.ones(width) / width, mode="valid")


def curves(
    series: dict[str, dict[str, Sequence[float]]],
    xlabel: str = "epoch",
    figsize: tuple[float, float] = (PAGE_WIDTH, 3.0),
) -> plt.Figure:
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


def keep_layout(fig: Figure) -> Figure:
    """Mark ``fig`` as drawn to scale (a diagram): it has no phone rendering."""
    _KEEP.add(fig)
    return fig


def kept_to_scale(fig: Figure) -> bool:
    """Whether ``fig`` was marked with :func:`keep_layout`."""
    return fig in _KEEP
