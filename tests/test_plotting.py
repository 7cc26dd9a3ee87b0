"""hw2.plotting: the figure helpers the pages share."""

from __future__ import annotations

import re

import matplotlib
import pytest

matplotlib.use("Agg")
import torch  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from hw2 import plotting  # noqa: E402


def test_channel_labels_name_the_channel_where_its_block_starts():
    assert plotting.channel_labels(2, 3, "k") == ["c1 k1", "k2", "k3", "c2 k1", "k2", "k3"]


def test_norm_curves_draws_medians_and_returns_them():
    runs = {"a": torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), "b": torch.ones(3, 2)}
    fig, medians = plotting.norm_curves(runs, "norm", dashed=["b"])
    torch.testing.assert_close(medians["a"], torch.tensor([3.0, 4.0]))
    ax = fig.axes[0]
    assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "--"]
    assert ax.get_yscale() == "log" and ax.get_legend() is not None
    plt.close(fig)


def test_matrix_separates_groups():
    fig, ax = plt.subplots()
    plotting.matrix(torch.ones(2, 6), ax, "t", "x", "y", groups=3)
    assert len(ax.get_lines()) == 1  # one separator between two blocks of 3
    plt.close(fig)


def test_phone_layout_stacks_the_panels_and_puts_them_back():
    fig = plotting.curves({"loss": {"train": [3, 2, 1]}, "accuracy": {"train": [0.5, 0.9]}})
    page = [ax.get_position().bounds for ax in fig.axes]
    with plotting.phone_layout(fig) as restacked:
        assert restacked
        assert tuple(fig.get_size_inches()) == (plotting.PHONE_WIDTH, 6.0)
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
    with plotting.phone_layout(fig) as restacked:
        assert restacked
        # 7 panels a row need 3 phone rows of at most 3: each page row becomes 3 rows.
        assert tuple(fig.get_size_inches()) == (plotting.PHONE_WIDTH, 9.0)
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
    with plotting.phone_layout(fig) as restacked:
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
    with plotting.phone_layout(fig) as restacked:
        assert restacked
        fig.canvas.draw()
        drawn = fig.get_tightbbox(fig.canvas.get_renderer())  # in inches
        assert drawn.width <= plotting.PHONE_WIDTH + 0.05
    assert not ax.title.get_wrap()
    plt.close(fig)


def test_least_text_enlarges_small_text_and_puts_it_back():
    fig, (left, right) = plt.subplots(1, 2)
    left.set_title("tiny", fontsize=5)
    with plotting.least_text(fig):
        assert left.title.get_fontsize() == plotting.MIN_PT
        assert plotting.smallest_text_pt(fig) >= plotting.MIN_PT
    assert left.title.get_fontsize() == 5
    html = plotting.figure_html(fig)
    page_px = float(re.findall(r'data-text-px="([\d.]+)"', html)[-1])
    assert page_px == pytest.approx(plotting.MIN_PT * fig.dpi / 72, abs=0.01)
    assert left.title.get_fontsize() == 5
    plt.close(fig)


def test_phone_layout_leaves_what_it_cannot_restack():
    fig, ax = plt.subplots()
    fig.colorbar(ax.imshow(torch.ones(2, 2).numpy()), ax=ax)  # a colour bar outside the grid
    with plotting.phone_layout(fig) as restacked:
        assert not restacked
    diagram = plotting.keep_layout(plt.figure(figsize=(5, 2)))
    diagram.add_subplot().text(0.5, 0.5, "w", fontsize=12)
    with plotting.phone_layout(diagram) as restacked:
        assert not restacked
    html = plotting.figure_html(diagram)
    assert 'class="hw2-diagram"' in html and "<source" not in html
    plt.close("all")


def test_figure_html_gives_a_page_and_a_phone_rendering_with_their_smallest_text():
    fig = plotting.curves({"a": {"x": [1, 2]}, "b": {"y": [2, 1]}})
    smallest = plotting.smallest_text_pt(fig)
    assert smallest == plt.rcParams["font.size"]
    html = plotting.figure_html(fig)
    assert html.startswith('<picture class="hw2-plot">')
    phone, page = re.findall(r'data-text-px="([\d.]+)"', html)
    assert float(phone) == pytest.approx(smallest * plotting.PHONE_DPI / 72, abs=0.01)
    assert float(page) == pytest.approx(smallest * fig.dpi / 72, abs=0.01)
    assert f'media="{plotting.PHONE_MEDIA}"' in html and html.count("base64,") == 2
    with pytest.raises(TypeError, match="fig must be"):
        plotting.figure_html("not a figure")
    plt.close(fig)


def test_running_mean_is_the_mean_of_each_window():
    assert plotting.running_mean([1.0, 2.0, 3.0, 6.0], width=2).tolist() == [1.5, 2.5, 4.5]
    assert len(plotting.running_mean(list(range(30)))) == 30 - 25 + 1
    with pytest.raises(ValueError, match="width"):
        plotting.running_mean([1.0, 2.0], width=3)


def test_matrix_colour_bar_is_an_inset_so_the_figure_still_restacks():
    fig, (top, bottom) = plt.subplots(2, 1)
    plotting.matrix(torch.randn(3, 6), top, "t", "x", "y", colorbar_label="value")
    plotting.matrix(torch.randn(3, 6), bottom, "t", "x", "y")
    assert len(fig.axes) == 2 and len(top.child_axes) == 1 and not bottom.child_axes
    bar = top.child_axes[0]
    assert bar.get_ylabel() == "value"
    assert bar.get_position().x0 > top.get_position().x1  # right of the matrix
    low, high = bar.get_ylim()
    assert low == -high  # the colour map is centred on zero
    with plotting.phone_layout(fig) as restacked:
        assert restacked
    plt.close(fig)


def test_window_exits_finds_the_first_step_outside_each_edge():
    assert plotting.window_exits([1.0, 0.5, 1e-3, 1e-9], (1e-2, 1e2)) == (3, None)
    assert plotting.window_exits(torch.tensor([1.0, 50.0, 500.0]), (1e-2, 1e2)) == (None, 3)
    assert plotting.window_exits([1.0, 2.0], (1e-2, 1e2)) == (None, None)


def test_norm_curves_window_clips_the_axis_and_marks_the_exits():
    runs = {"falls": torch.logspace(0, -10, 11)[None].repeat(3, 1),
            "stays": torch.ones(3, 11)}
    fig, medians = plotting.norm_curves(runs, "norm", window=(3e-5, 1e2))
    ax = fig.axes[0]
    assert ax.get_ylim() == pytest.approx((3e-5, 1e2))
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(markers) == 1  # only "falls" leaves, at the bottom
    assert markers[0].get_xdata()[0] == 6 and markers[0].get_ydata()[0] == 3e-5
    assert not any(line.get_marker() == "^" for line in ax.get_lines())
    plt.close(fig)
    with pytest.raises(ValueError, match="window"):
        plotting.norm_curves(runs, "norm", window=(1.0, 0.1))
