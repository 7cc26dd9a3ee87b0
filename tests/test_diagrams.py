"""hw2.diagrams: the cell diagrams are drawn to be read whole on a phone and at full
size on a desktop: at most MAX_WIDTH inches wide, no label under LABEL_PT, every label
inside the drawing and every boxed label inside its box."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from hw2 import diagrams  # noqa: E402

DRAWINGS = {
    "gated cell": diagrams.gated_rnn_cell,
    "gated unrolled": lambda: diagrams.gated_rnn_unrolled(3),
    "attention cell": diagrams.attention_rnn_cell,
    "attention unrolled": lambda: diagrams.attention_rnn_unrolled(3),
}


@pytest.mark.parametrize("name", DRAWINGS)
def test_a_diagram_fits_a_phone_and_its_labels_fit_their_boxes(name):
    fig = DRAWINGS[name]()
    try:
        assert fig.get_size_inches()[0] <= diagrams.MAX_WIDTH + 1e-9
        renderer = fig.canvas.get_renderer()
        fig.canvas.draw()
        texts = [t for t in fig.findobj(Text) if t.get_text().strip()]
        assert texts and min(t.get_fontsize() for t in texts) >= diagrams.LABEL_PT
        page = fig.bbox
        boxes = [
            p.get_window_extent(renderer) for p in fig.findobj(FancyBboxPatch) if p.axes is not None
        ]
        for text in texts:
            extent = text.get_window_extent(renderer)
            assert page.x0 - 1 <= extent.x0 and extent.x1 <= page.x1 + 1, text.get_text()
            around = [b for b in boxes if b.contains(*extent.get_points().mean(0))]
            for box in around:  # a label in a box is inside it
                assert box.x0 <= extent.x0 and extent.x1 <= box.x1, text.get_text()
    finally:
        plt.close(fig)
