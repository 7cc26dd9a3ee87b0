"""hw2.plotting: the figure helpers the pages share."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")
import torch  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from hw2 import plotting  # noqa: E402
from hw2.book import phone  # noqa: E402


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
    with phone.phone_layout(fig) as restacked:
        assert restacked
    plt.close(fig)


def test_window_exits_finds_the_first_step_outside_each_edge():
    assert plotting.window_exits([1.0, 0.5, 1e-3, 1e-9], (1e-2, 1e2)) == (3, None)
    assert plotting.window_exits(torch.tensor([1.0, 50.0, 500.0]), (1e-2, 1e2)) == (None, 3)
    assert plotting.window_exits([1.0, 2.0], (1e-2, 1e2)) == (None, None)


def test_norm_curves_window_clips_the_axis_and_marks_the_exits():
    runs = {"falls": torch.logspace(0, -10, 11)[None].repeat(3, 1), "stays": torch.ones(3, 11)}
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
