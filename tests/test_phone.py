"""hw2.book.phone: each figure drawn for the page and, restacked, for a phone."""

from __future__ import annotations

import re

import matplotlib
import pytest

matplotlib.use("Agg")
import torch  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from hw2 import plotting  # noqa: E402
from hw2.book import phone  # noqa: E402


def test_phone_layout_stacks_the_panels_and_puts_them_back():
    fig = plotting.curves({"loss": {"train": [3, 2, 1]}, "accuracy": {"train": [0.5, 0.9]}})
    page = [ax.get_position().bounds for ax in fig.axes]
    with phone.phone_layout(fig) as restacked:
        assert restacked
        assert tuple(fig.get_size_inches()) == (phone.PHONE_WIDTH, 6.0)
        (top, bottom) = [ax.get_position() for ax in fig.axes]
        assert top.y0 > bottom.y1  # one column: the first panel above the second
        assert top.width > 0.7 and bottom.width > 0.7
    assert tuple(fig.get_size_inches()) == (plotting.PAGE_WIDTH, 3.0)
    assert [ax.get_position().bounds for ax in fig.axes] == page
    plt.close(fig)


def test_phone_layout_flows_a_grid_of_images_into_rows_of_three():
    fig, axes = plt.subplots(2, 7, figsize=(plotting.PAGE_WIDTH, 3.0))
    for ax in axes.flat:
        ax.imshow(torch.rand(8, 8).numpy())
        ax.axis("off")
    page = [ax.get_position().bounds for ax in fig.axes]
    with phone.phone_layout(fig) as restacked:
        assert restacked
        # 7 panels a row need 3 phone rows of at most 3: each page row becomes 3 rows.
        assert tuple(fig.get_size_inches()) == (phone.PHONE_WIDTH, 9.0)
        cells = [ax.get_subplotspec() for ax in fig.axes]
        assert cells[0].get_gridspec().get_geometry() == (6, 3)
        where = [(c.rowspan.start, c.colspan.start) for c in cells]
        assert where[:7] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0)]
        assert where[7] == (3, 0)  # the second page row starts a new phone row
    assert [ax.get_position().bounds for ax in fig.axes] == page
    plt.close(fig)


def test_phone_layout_puts_a_legend_of_several_columns_in_one_and_back():
    runs = {f"regime {i}": torch.rand(4, 6) + 1 for i in range(4)}
    fig, _ = plotting.norm_curves(runs, "norm")
    ax = fig.axes[0]
    page_legend = ax.get_legend()
    width = page_legend.get_window_extent(fig.canvas.get_renderer()).width
    with phone.phone_layout(fig) as restacked:
        assert restacked
        phone_legend = ax.get_legend()
        assert phone_legend is not page_legend
        labels = [t.get_text() for t in phone_legend.get_texts()]
        assert labels == list(runs)
        # one column: narrower than the page's, each label on its own line
        fig.canvas.draw()
        assert phone_legend.get_window_extent().width < width / 2
        ys = {round(t.get_window_extent().y0) for t in phone_legend.get_texts()}
        assert len(ys) == len(runs)
    assert ax.get_legend() is page_legend
    plt.close(fig)


def test_phone_layout_breaks_a_long_title_to_the_phone_width():
    fig, ax = plt.subplots(figsize=(plotting.PAGE_WIDTH, 2.6))
    ax.bar(range(9), range(9))
    ax.set_title("Accuracy per delay, 2000 strings (dashed: the 99% aim of the book)")
    fig.tight_layout()
    with phone.phone_layout(fig) as restacked:
        assert restacked
        fig.canvas.draw()
        drawn = fig.get_tightbbox(fig.canvas.get_renderer())  # in inches
        assert drawn.width <= phone.PHONE_WIDTH + 0.05
    assert not ax.title.get_wrap()
    plt.close(fig)


def test_least_text_enlarges_small_text_and_puts_it_back():
    fig, (left, right) = plt.subplots(1, 2)
    left.set_title("tiny", fontsize=5)
    with phone.least_text(fig):
        assert left.title.get_fontsize() == plotting.MIN_PT
        assert phone.smallest_text_pt(fig) >= plotting.MIN_PT
    assert left.title.get_fontsize() == 5
    html = phone.figure_html(fig)
    page_px = float(re.findall(r'data-text-px="([\d.]+)"', html)[-1])
    assert page_px == pytest.approx(plotting.MIN_PT * fig.dpi / 72, abs=0.01)
    assert left.title.get_fontsize() == 5
    plt.close(fig)


def test_phone_layout_leaves_what_it_cannot_restack():
    fig, ax = plt.subplots()
    fig.colorbar(ax.imshow(torch.ones(2, 2).numpy()), ax=ax)  # a colour bar outside the grid
    with phone.phone_layout(fig) as restacked:
        assert not restacked
    diagram = plotting.keep_layout(plt.figure(figsize=(5, 2)))
    diagram.add_subplot().text(0.5, 0.5, "w", fontsize=12)
    with phone.phone_layout(diagram) as restacked:
        assert not restacked
    html = phone.figure_html(diagram)
    assert 'class="hw2-diagram"' in html and "<source" not in html
    plt.close("all")


def test_figure_html_gives_a_page_and_a_phone_rendering_with_their_smallest_text():
    fig = plotting.curves({"a": {"x": [1, 2]}, "b": {"y": [2, 1]}})
    smallest = phone.smallest_text_pt(fig)
    assert smallest == plt.rcParams["font.size"]
    html = phone.figure_html(fig)
    assert html.startswith('<picture class="hw2-plot">')
    on_phone, page = re.findall(r'data-text-px="([\d.]+)"', html)
    assert float(on_phone) == pytest.approx(smallest * phone.PHONE_DPI / 72, abs=0.01)
    assert float(page) == pytest.approx(smallest * fig.dpi / 72, abs=0.01)
    assert f'media="{phone.PHONE_MEDIA}"' in html and html.count("base64,") == 2
    with pytest.raises(TypeError, match="fig must be"):
        phone.figure_html("not a figure")
    plt.close(fig)
