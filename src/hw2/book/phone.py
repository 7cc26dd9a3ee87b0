"""The book's phone rendering of a figure (book machinery, not homework).

A plot drawn 7.5 inches wide for the text column is about 350 CSS px wide on a phone,
where its 10 pt labels would be 6 px high. In a notebook, :func:`show_figures_as_html`
(which :func:`hw2.plotting.style` calls) makes every plot an HTML ``<picture>``
(:func:`figure_html`): the page's rendering, and a phone rendering that the browser
picks on screens up to :data:`PHONE_MEDIA`: :func:`phone_layout` stacks the panels in
one column :data:`PHONE_WIDTH` wide, so the same point sizes come out about twice as
large relative to the screen. Each rendering carries the size of its smallest text in
its own pixels (``data-text-px``), which the browser tests turn into CSS px. Diagrams
drawn to scale keep one layout (:func:`hw2.plotting.keep_layout`).
"""

from __future__ import annotations

import base64
import contextlib
import io
import warnings
from collections.abc import Iterator

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine
from matplotlib.legend import Legend
from matplotlib.text import Text

from ..plotting import MIN_PT, kept_to_scale

__all__ = [
    "PHONE_MEDIA",
    "PHONE_WIDTH",
    "figure_html",
    "least_text",
    "phone_layout",
    "show_figures_as_html",
    "smallest_text_pt",
]

PHONE_WIDTH = 3.4  # inches: a plot's phone rendering, shown 290-360 CSS px wide
PHONE_MEDIA = "(max-width: 640px)"  # the screens that get the phone rendering
PHONE_DPI = 160  # sharp on a phone's dense screen, a file of tens of kilobytes
MAX_STACKED = 3  # a plot with more columns (a grid of images) keeps its layout


def _shell():
    """The running IPython shell, or None outside one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _show_as_html(*_: object) -> None:
    _shell().display_formatter.formatters["text/html"].for_type(Figure, figure_html)


def show_figures_as_html() -> None:
    """In a notebook, show every figure as :func:`figure_html`; outside one, nothing."""
    shell = _shell()
    if shell is None:
        return
    # matplotlib-inline drops every Figure printer when it configures itself: make it
    # do so now, and register again before each cell (set_matplotlib_formats drops it).
    plt.switch_backend(plt.get_backend())
    _show_as_html()
    if _show_as_html not in shell.events.callbacks["pre_run_cell"]:
        shell.events.register("pre_run_cell", _show_as_html)


def smallest_text_pt(fig: Figure) -> float:
    """The point size of the smallest visible text in ``fig`` (labels, ticks, legends)."""
    fig.canvas.draw()  # tick labels exist once the figure is drawn
    return _smallest_drawn_pt(fig)


def _smallest_drawn_pt(fig: Figure) -> float:
    """:func:`smallest_text_pt` of a figure just drawn (or saved), without drawing it."""
    sizes = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is fig
    ]
    return min(sizes, default=float(plt.rcParams["font.size"]))


def _restackable(fig: Figure) -> bool:
    """Whether :func:`phone_layout` can lay ``fig`` out again: not kept to scale, with
    every axes in one grid, none spanning several cells and none outside the grid (a
    colour bar)."""
    specs = [ax.get_subplotspec() for ax in fig.axes]
    grids = {id(spec.get_gridspec()) for spec in specs if spec is not None}
    return not (
        kept_to_scale(fig)
        or not fig.axes
        or None in specs
        or len(grids) != 1
        or any(len(s.rowspan) > 1 or len(s.colspan) > 1 for s in specs)
    )


def _one_column_legends(fig: Figure) -> list[tuple[plt.Axes, Legend]]:
    """Draw every legend of several columns in one column; returns the old legends."""
    legends = [
        (ax, ax.get_legend())
        for ax in fig.axes
        if ax.get_legend() is not None and ax.get_legend()._ncols > 1
    ]
    for ax, legend in legends:  # set_ncols does not lay out a drawn legend again
        anchor = legend.get_bbox_to_anchor().transformed(ax.transAxes.inverted())
        ax.legend(
            handles=legend.legend_handles,
            labels=[t.get_text() for t in legend.get_texts()],
            ncols=1,
            loc=legend._loc,
            bbox_to_anchor=anchor.bounds,
        )
    return legends


def _phone_grid(fig: Figure) -> int:
    """Move ``fig``'s panels to the phone's grid: plots stack in one column, a wider grid
    (images) flows into rows of at most :data:`MAX_STACKED`. Returns how many phone rows
    each page row becomes."""
    specs = [ax.get_subplotspec() for ax in fig.axes]
    nrows, ncols = specs[0].get_gridspec().get_geometry()
    across = 1 if ncols <= MAX_STACKED else -(-ncols // -(-ncols // MAX_STACKED))
    per_row = -(-ncols // across)  # phone rows for each page row, each as tall as it
    grid = GridSpec(nrows * per_row, across, figure=fig)
    for ax, spec in zip(fig.axes, specs, strict=True):
        row, col = spec.rowspan.start, spec.colspan.start
        ax.set_subplotspec(grid[row * per_row + col // across, col % across])
    return per_row


@contextlib.contextmanager
def phone_layout(fig: Figure) -> Iterator[bool]:
    """Lay ``fig`` out for a phone while the block runs, :data:`PHONE_WIDTH` wide. A grid
    of plots (at most :data:`MAX_STACKED` columns) is stacked in one column, its legends
    in one column and long titles on several lines; a wider grid (of images) flows into
    rows of at most :data:`MAX_STACKED` panels. Each page row becomes as many phone
    rows, each as tall as the page row. Yields False for a figure it cannot lay out
    (:func:`_restackable`) or whose labels do not fit the phone's width. The figure is
    as before afterwards."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not _restackable(fig):
        yield False
        return
    size = fig.get_size_inches().copy()
    pars = {
        k: getattr(fig.subplotpars, k)
        for k in ("left", "right", "bottom", "top", "wspace", "hspace")
    }
    titles = [(ax.title, ax.title.get_wrap()) for ax in fig.axes]
    legends, specs = [], [ax.get_subplotspec() for ax in fig.axes]
    try:
        for title, _ in titles:  # a title wider than the phone breaks into lines
            title.set_wrap(True)
        legends = _one_column_legends(fig)
        per_row = _phone_grid(fig)
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
                phone = f'<source media="{PHONE_MEDIA}" srcset="{uri}" data-text-px="{px:.2f}">'
        dpi = plt.rcParams["savefig.dpi"]
        page, page_px = _rendering(fig, fmt, fig.dpi if dpi == "figure" else float(dpi))
    kind = "hw2-plot" if phone else "hw2-diagram" if kept_to_scale(fig) else "hw2-fixed"
    return (
        f'<picture class="{kind}">{phone}<img src="{page}" alt="{kind[4:]}" '
        f'data-text-px="{page_px:.2f}"></picture>'
    )
