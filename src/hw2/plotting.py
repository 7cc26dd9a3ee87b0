"""Plot helpers shared by the chapters: one style, sized for the book's page width, and
each plot drawn twice, for the page and for a phone.

**A phone rendering.** A plot drawn 7.5 inches wide for the text column is about 350
CSS px wide on a phone, where its 10 pt labels would be 6 px high. :func:`style`
therefore makes every plot a page shows an HTML ``<picture>``: the page's rendering,
and a phone rendering that the browser picks on screens up to :data:`PHONE_MEDIA`:
:func:`phone_layout` stacks the panels in one column :data:`PHONE_WIDTH` wide, so the
same point sizes come out about twice as large relative to the screen. Each rendering
carries the size of its smallest text in its own pixels (``data-text-px``), which the
browser tests turn into CSS px. Diagrams drawn to scale keep one layout
(:func:`keep_layout`).
"""

from __future__ import annotations

import base64
import contextlib
import io
import warnings
import weakref
from collections.abc import Iterator, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine
from matplotlib.text import Text

__all__ = ["MIN_PT", "PHONE_MEDIA", "PHONE_WIDTH", "channel_labels", "curves",
           "figure_html", "keep_layout", "least_text", "matrix", "norm_curves",
           "phone_layout", "running_mean", "smallest_text_pt", "style",
           "window_exits"]

PAGE_WIDTH = 7.5  # inches: a figure this wide fits the book's text column
PHONE_WIDTH = 3.4  # inches: a plot's phone rendering, shown 290-360 CSS px wide
MIN_PT = 8.0  # least text size in either rendering (smaller text is enlarged to it)
PHONE_MEDIA = "(max-width: 640px)"  # the screens that get the phone rendering
PHONE_DPI = 160  # sharp on a phone's dense screen, a file of tens of kilobytes
MAX_STACKED = 3  # a plot with more columns (a grid of images) keeps its layout
_KEEP: weakref.WeakSet = weakref.WeakSet()  # figures that keep their one layout


def style() -> None:
    """Readable defaults: white figure background (legible in light and dark themes);
    in a notebook, plots are shown as :func:`figure_html` (a page and a phone
    rendering)."""
    shell = _shell()
    if shell is not None:
        # matplotlib-inline drops every Figure printer when it configures itself: make it
        # do so now, and register again before each cell (set_matplotlib_formats drops it).
        plt.switch_backend(plt.get_backend())
        _show_as_html()
        if _show_as_html not in shell.events.callbacks["pre_run_cell"]:
            shell.events.register("pre_run_cell", _show_as_html)
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


def _shell():
    """The running IPython shell, or None outside one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _show_as_html(*_: object) -> None:
    _shell().display_formatter.formatters["text/html"].for_type(Figure, figure_html)


def matrix(M: torch.Tensor | np.ndarray, ax: plt.Axes, title: str, xlabel: str, ylabel: str,
           xticklabels: Sequence[str] | None = None,
           yticklabels: Sequence[str] | None = None, aspect: str = "equal",
           groups: int | None = None, colorbar_label: str | None = None) -> None:
    """Show a matrix as an image with a diverging colour map centred on zero; a line
    after every ``groups`` columns separates blocks (for example channels). With
    ``colorbar_label``, a colour bar so labelled stands right of the axes: drawn inside
    ``ax`` (an inset), so that :func:`phone_layout` can still restack the figure."""
    M = np.asarray(M.detach() if isinstance(M, torch.Tensor) else M, dtype=float)
    bound = float(np.abs(M).max()) or 1.0
    image = ax.imshow(M, cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest",
                      aspect=aspect)
    if colorbar_label is not None:
        bar = ax.figure.colorbar(image, cax=ax.inset_axes([1.02, 0.0, 0.025, 1.0]))
        bar.set_label(colorbar_label)
        bar.ax.tick_params(labelsize=MIN_PT)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for labels, setter, n in [(xticklabels, ax.set_xticks, M.shape[1]),
                              (yticklabels, ax.set_yticks, M.shape[0])]:
        if labels is not None:
            setter(range(n), labels, fontsize=MIN_PT)
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
                dashed: Sequence[str] = (), window: tuple[float, float] | None = None
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
        (line,) = ax.semilogy(steps, medians[name], label=name,
                              ls="--" if name in dashed else "-")
        if band:
            ax.fill_between(steps, norms.min(0).values, norms.max(0).values, alpha=0.15,
                            color=line.get_color())
        if window is not None:
            for edge, step in zip(window, window_exits(medians[name], window)):
                if step is not None:
                    ax.plot([step], [edge], marker="v" if edge == window[0] else "^",
                            ms=9, color=line.get_color(), clip_on=False, zorder=5)
    if window is not None:
        ax.set_ylim(*window)
    ax.set(xlabel="steps T", ylabel=ylabel)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=min(len(runs), 3))
    fig.tight_layout()
    return fig, medians


def window_exits(values: torch.Tensor | Sequence[float], window: tuple[float, float]
                 ) -> tuple[int | None, int | None]:
    """The first step (1-based) at which ``values`` fall below ``window[0]`` and the first
    at which they rise above ``window[1]``; None where they never do."""
    v = np.asarray(values, dtype=float)
    below, above = np.flatnonzero(v < window[0]), np.flatnonzero(v > window[1])
    return (int(below[0]) + 1 if below.size else None,
            int(above[0]) + 1 if above.size else None)


def running_mean(values: Sequence[float], width: int = 25) -> np.ndarray:
    """The mean of each ``width`` consecutive values (per-step curves of small batches
    are noisy); ``len(values) - width + 1`` of them."""
    if not isinstance(width, int) or not 1 <= width <= len(values):
        raise ValueError(f"width must be an int in 1 ... {len(values)}, got {width!r}")
    return np.convolve(np.asarray(values, dtype=float), np.ones(width) / width, mode="valid")


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


def keep_layout(fig: Figure) -> Figure:
    """Mark ``fig`` as drawn to scale (a diagram): it has no phone rendering."""
    _KEEP.add(fig)
    return fig


def smallest_text_pt(fig: Figure) -> float:
    """The point size of the smallest visible text in ``fig`` (labels, ticks, legends)."""
    fig.canvas.draw()  # tick labels exist once the figure is drawn
    return _smallest_drawn_pt(fig)


def _smallest_drawn_pt(fig: Figure) -> float:
    """:func:`smallest_text_pt` of a figure just drawn (or saved), without drawing it."""
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.get_figure() is fig]
    return min(sizes, default=float(plt.rcParams["font.size"]))


@contextlib.contextmanager
def phone_layout(fig: Figure) -> Iterator[bool]:
    """Lay ``fig`` out for a phone while the block runs, :data:`PHONE_WIDTH` wide. A grid
    of plots (at most :data:`MAX_STACKED` columns) is stacked in one column, its legends
    in one column and long titles on several lines; a wider grid (of images) flows into
    rows of at most :data:`MAX_STACKED` panels. Each page row becomes as many phone
    rows, each as tall as the page row. Yields False for a figure it cannot lay out: one
    kept to scale, one with axes outside its grid (a colour bar) or spanning several
    cells, or one whose labels do not fit the phone's width. The figure is as before
    afterwards."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    specs = [ax.get_subplotspec() for ax in fig.axes]
    grids = {id(spec.get_gridspec()) for spec in specs if spec is not None}
    if (fig in _KEEP or not fig.axes or None in specs or len(grids) != 1
            or any(len(spec.rowspan) > 1 or len(spec.colspan) > 1 for spec in specs)):
        yield False
        return
    nrows, ncols = specs[0].get_gridspec().get_geometry()
    size = fig.get_size_inches().copy()
    # Plots stack in one column; a wider grid (images) flows into rows of `across`.
    across = 1 if ncols <= MAX_STACKED else -(-ncols // -(-ncols // MAX_STACKED))
    per_row = -(-ncols // across)  # phone rows for each page row, each as tall as it
    pars = {k: getattr(fig.subplotpars, k)
            for k in ("left", "right", "bottom", "top", "wspace", "hspace")}
    legends = [(ax, ax.get_legend()) for ax in fig.axes
               if ax.get_legend() is not None and ax.get_legend()._ncols > 1]
    titles = [(ax.title, ax.title.get_wrap()) for ax in fig.axes]
    grid = GridSpec(nrows * per_row, across, figure=fig)
    try:
        for title, _ in titles:  # a title wider than the phone breaks into lines
            title.set_wrap(True)
        for ax, legend in legends:  # set_ncols does not lay out a drawn legend again
            anchor = legend.get_bbox_to_anchor().transformed(ax.transAxes.inverted())
            ax.legend(handles=legend.legend_handles,
                      labels=[t.get_text() for t in legend.get_texts()], ncols=1,
                      loc=legend._loc, bbox_to_anchor=anchor.bounds)
        for ax, spec in zip(fig.axes, specs, strict=True):
            row, col = spec.rowspan.start, spec.colspan.start
            ax.set_subplotspec(grid[row * per_row + col // across, col % across])
        fig.set_size_inches(PHONE_WIDTH, size[1] * per_row)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _relayout(fig)
        yield not caught  # matplotlib warns when the labels cannot fit
    finally:
        for title, wrap in titles:
            title.set_wrap(wrap)
        for ax, legend in legends:
            ax.legend_ = legend
        for ax, spec in zip(fig.axes, specs, strict=True):
            ax.set_subplotspec(spec)
        fig.set_size_inches(*size)
        fig.subplots_adjust(**pars)


@contextlib.contextmanager
def least_text(fig: Figure, points: float = MIN_PT) -> Iterator[None]:
    """While the block runs, no text in ``fig`` is smaller than ``points``."""
    small = [(t, t.get_fontsize()) for t in fig.findobj(Text) if t.get_fontsize() < points]
    try:
        for text, _ in small:
            text.set_fontsize(points)
        yield
    finally:
        for text, size in small:
            text.set_fontsize(size)


def _relayout(fig: Figure) -> None:
    """Fit the panels to the figure again, unless a layout engine does so at each draw."""
    if not isinstance(fig.get_layout_engine(), (ConstrainedLayoutEngine, TightLayoutEngine)):
        fig.tight_layout()


def _rendering(fig: Figure, fmt: str, dpi: float) -> tuple[str, float]:
    """``fig`` as a data URI, and its smallest text in that image's pixels."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", facecolor="white")
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    # An SVG's sizes are in points, which a browser draws at 96/72 px each.
    px_per_pt = 96 / 72 if fmt == "svg" else dpi / 72
    uri = f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode()}"
    return uri, _smallest_drawn_pt(fig) * px_per_pt  # savefig has just drawn it


def figure_html(fig: Figure) -> str:
    """``fig`` as HTML for the book: a ``<picture>`` of its page rendering (SVG where the
    page asked for SVG figures, else PNG) and its :func:`phone_layout` rendering for
    screens matching :data:`PHONE_MEDIA` (class ``hw2-plot``); in both, no text is
    smaller than :data:`MIN_PT` (:func:`least_text`). A diagram kept to scale
    (``hw2-diagram``) and a figure :func:`phone_layout` cannot restack (``hw2-fixed``)
    have the page rendering only, and scroll at a legible width on a phone."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    fmt = "png"
    shell = _shell()
    with contextlib.suppress(KeyError):
        if shell is not None:
            shell.display_formatter.formatters["image/svg+xml"].lookup_by_type(Figure)
            fmt = "svg"
    phone = ""
    with least_text(fig):
        with phone_layout(fig) as restacked:
            if restacked:
                uri, px = _rendering(fig, "png", PHONE_DPI)
                phone = (f'<source media="{PHONE_MEDIA}" srcset="{uri}" '
                         f'data-text-px="{px:.2f}">')
        dpi = plt.rcParams["savefig.dpi"]
        page, page_px = _rendering(fig, fmt, fig.dpi if dpi == "figure" else float(dpi))
    kind = "hw2-plot" if phone else "hw2-diagram" if fig in _KEEP else "hw2-fixed"
    return (f'<picture class="{kind}">{phone}<img src="{page}" alt="{kind[4:]}" '
            f'data-text-px="{page_px:.2f}"></picture>')
