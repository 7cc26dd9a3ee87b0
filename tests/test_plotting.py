"""hw2.plotting: the figure helpers the pages share."""

from __future__ import annotations

import matplotlib

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
