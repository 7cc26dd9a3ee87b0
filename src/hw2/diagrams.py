"""Diagrams of the gated RNN and AttentionRNN cells (questions 1.2.1 (a), 1.2.2 (a)),
drawn with matplotlib at build time. Pages show them as SVG.

A diagram is a set of nodes (operations in circles, weight matrices in boxes, signals
as plain labels) joined by arrows; :class:`Diagram` keeps the bookkeeping short.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from .plotting import keep_layout

__all__ = [
    "Diagram",
    "attention_rnn_cell",
    "attention_rnn_unrolled",
    "gated_rnn_cell",
    "gated_rnn_unrolled",
]

INK = "#1f2937"
WEIGHT = "#dbeafe"  # weight matrices
OP = "#fef3c7"  # element-wise operations
SIGNAL = "#dcfce7"  # inputs, states and gates
DELAY = "#fce7f3"
MAX_WIDTH = 5.0  # inches: at most this wide, shown at full size at 1280 px, shrunk on a phone
LABEL_PT = 11  # least label size: 11 pt is 14.7 CSS px at full size (96 px per inch)


@dataclass
class Diagram:
    """Nodes in data coordinates; ``arrow`` joins their borders."""

    width: float
    height: float
    scale: float = 0.5  # inches per unit (less if the width would pass MAX_WIDTH)
    bottom: float = -0.1
    nodes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.scale = min(self.scale, MAX_WIDTH / self.width)
        self.fig, self.ax = plt.subplots(
            figsize=(self.width * self.scale, (self.height - self.bottom) * self.scale)
        )
        self.ax.set_xlim(0, self.width)
        self.ax.set_ylim(self.bottom, self.height)
        self.ax.set_aspect("equal")
        self.ax.axis("off")
        self.fig.patch.set_facecolor("white")

    def box(
        self,
        name: str,
        xy: tuple[float, float],
        text: str,
        color: str = WEIGHT,
        w: float | None = None,
        h: float = 0.6,
        size: int = 11,
    ) -> None:
        """A rounded box around ``text``, at least wide enough for it."""
        x, y = xy
        w = max(w or 0.0, self._width(text, size) + 0.3)
        self.ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2),
                w,
                h,
                boxstyle="round,pad=0.02,rounding_size=0.12",
                fc=color,
                ec=INK,
                lw=1.2,
            )
        )
        self._text((x, y), text, size)
        self.nodes[name] = (x, y, w / 2, h / 2)

    def op(
        self, name: str, xy: tuple[float, float], text: str, r: float = 0.3, size: int = 12
    ) -> None:
        x, y = xy
        self.ax.add_patch(Circle((x, y), r, fc=OP, ec=INK, lw=1.2))
        self._text((x, y), text, size)
        self.nodes[name] = (x, y, r, r)

    def signal(self, name: str, xy: tuple[float, float], text: str, size: int = 12) -> None:
        self.box(name, xy, text, color=SIGNAL, h=0.55, size=size)

    def _width(self, text: str, size: float) -> float:
        """How wide ``text`` is drawn (the widest line), in the diagram's units."""
        label = self.ax.text(0, 0, text, fontsize=max(size, LABEL_PT))
        extent = label.get_window_extent(self.fig.canvas.get_renderer())
        label.remove()
        return extent.width / self.fig.dpi / self.scale

    def _border(self, name: str, toward: tuple[float, float]) -> tuple[float, float]:
        x, y, rx, ry = self.nodes[name]
        dx, dy = toward[0] - x, toward[1] - y
        # A point straight above/below (beside) a wide box: meet its edge squarely.
        if dx and abs(dx) < rx and abs(dy) > ry:
            return toward[0], y + ry * (1 if dy > 0 else -1)
        if dy and abs(dy) < ry and abs(dx) > rx:
            return x + rx * (1 if dx > 0 else -1), toward[1]
        if dx == dy == 0:
            return x, y
        t = min(rx / abs(dx) if dx else float("inf"), ry / abs(dy) if dy else float("inf"))
        return x + dx * t, y + dy * t

    def arrow(
        self,
        a: str,
        b: str,
        label: str = "",
        via: list[tuple[float, float]] | None = None,
        label_at: float = 0.5,
        offset: tuple[float, float] = (0.0, 0.18),
        color: str = INK,
        style: str = "-|>",
        ls: str = "-",
    ) -> None:
        """Arrow from node ``a`` to node ``b``, optionally through corner points ``via``."""
        pa, pb = self.nodes[a][:2], self.nodes[b][:2]
        points = [pa, *(via or []), pb]
        start = self._border(a, points[1])
        end = self._border(b, points[-2])
        points = [start, *(via or []), end]
        for p, q in zip(points[:-2], points[1:-1]):
            self.ax.plot([p[0], q[0]], [p[1], q[1]], color=color, lw=1.3, ls=ls)
        self.ax.add_patch(
            FancyArrowPatch(
                points[-2],
                points[-1],
                arrowstyle=style,
                mutation_scale=12,
                color=color,
                lw=1.3,
                shrinkA=0,
                shrinkB=0,
                linestyle=ls,
            )
        )
        if label:
            p, q = points[0], points[1]
            if len(points) > 2:
                p, q = points[-2], points[-1]
            mx = p[0] + (q[0] - p[0]) * label_at + offset[0]
            my = p[1] + (q[1] - p[1]) * label_at + offset[1]
            self._text((mx, my), label, LABEL_PT, va="bottom")

    def note(self, xy: tuple[float, float], text: str, size: int = 10) -> None:
        self._text(xy, text, size, style="italic")

    def _text(self, xy: tuple[float, float], text: str, size: float, **style) -> None:
        """A label centred at ``xy``, never smaller than :data:`LABEL_PT`."""
        self.ax.text(
            *xy,
            text,
            ha="center",
            fontsize=max(size, LABEL_PT),
            color=INK,
            **{"va": "center", **style},
        )

    def done(self) -> plt.Figure:
        """The finished figure, drawn to scale: one layout on every screen."""
        self.fig.tight_layout(pad=0.1)
        return keep_layout(self.fig)


def gated_rnn_cell() -> plt.Figure:
    """Question 1.2.1 (a): one step of the homework's equations (1)-(2), with every symbol."""
    d = Diagram(10.5, 7.0)
    d.signal("x", (1.6, 0.4), "$x[t]$")
    d.signal("hp", (0.95, 5.2), "$h[t-1]$")
    d.box("Wh", (2.3, 3.8), "$W_h$")
    d.box("Wc", (2.6, 2.4), "$W_c$")
    d.box("Wx", (3.6, 1.2), "$W_x$")
    d.op("sum", (4.3, 3.8), "+")
    d.op("sig", (5.5, 3.8), r"$\sigma$")
    d.signal("c", (6.6, 3.8), "$c[t]$")
    d.op("one", (7.7, 2.6), "$1-$", r=0.36)
    d.op("mul1", (6.6, 5.2), r"$\odot$")
    d.op("mul2", (7.7, 1.2), r"$\odot$")
    d.op("add", (8.7, 5.2), "+")
    d.signal("h", (9.85, 5.2), "$h[t]$")
    d.box("delay", (5.2, 6.5), "delay $z^{-1}$", color=DELAY, h=0.55)
    d.arrow("x", "Wc", via=[(1.6, 2.4)])
    d.arrow("x", "Wx", via=[(1.6, 1.2)])
    d.arrow("hp", "Wh", via=[(0.95, 3.8)])
    d.arrow("Wh", "sum", "$W_h h[t-1]$", offset=(0.0, 0.34))
    d.arrow("Wc", "sum", "$W_c x[t]$", via=[(4.3, 2.4)], offset=(0.65, -0.2))
    d.arrow("sum", "sig")
    d.arrow("sig", "c")
    d.arrow("c", "mul1")
    d.arrow("c", "one", via=[(7.7, 3.8)])
    d.arrow("one", "mul2", "$1-c[t]$", offset=(-0.75, -0.2))
    d.arrow("Wx", "mul2", "$W_x x[t]$", offset=(0.0, 0.1))
    d.arrow("hp", "mul1", "$h[t-1]$", label_at=0.5, offset=(0, 0.1))
    d.arrow("mul1", "add", "$c \\odot h[t-1]$", offset=(0, 0.32))
    d.arrow("mul2", "add", via=[(8.7, 1.2)])
    d.arrow("add", "h")
    d.arrow("h", "delay", via=[(9.85, 6.5)])
    d.arrow("delay", "hp", via=[(0.95, 6.5)])
    return d.done()


def gated_rnn_unrolled(steps: int = 3) -> plt.Figure:
    """Question 1.2.1 (a): the cell unrolled over ``steps`` time steps; the same weights
    ``W_c, W_h, W_x`` in every cell. Each step's output is its state ``h[t]``, which is
    also what the next step reads (the gate ``c[t]`` stays inside the cell)."""
    d = Diagram(1.9 + 3.1 * steps, 3.6)
    d.signal("h0", (0.95, 2.0), "$h[0]=0$")
    prev = "h0"
    for t in range(1, steps + 1):
        x0 = 0.6 + 3.1 * t
        d.box(f"cell{t}", (x0, 2.0), "gated cell\n$W_c, W_h, W_x$", color=OP, w=1.9, h=1.1, size=9)
        d.signal(f"x{t}", (x0, 0.4), f"$x[{t}]$")
        d.signal(f"h{t}", (x0, 3.3), f"$h[{t}]$", size=10)
        d.arrow(f"x{t}", f"cell{t}")
        d.arrow(f"cell{t}", f"h{t}")
        d.arrow(prev, f"cell{t}", "" if t == 1 else f"$h[{t - 1}]$", offset=(0, 0.08))
        prev = f"cell{t}"
    return d.done()


def _source_column(d: Diagram, i: int, text: str) -> None:
    """One source ``s_i`` of AttentionRNN(2)'s cell: its query, key and value, the dot
    product of query and key, and its value scaled by its attention weight."""
    xc = 0.95 + 3.0 * i
    d.signal(f"s{i}", (xc + 0.45, 0.9), text)
    for m, dx in [("Q", -0.45), ("K", 0.45), ("V", 1.3)]:
        d.box(f"{m}{i}", (xc + dx, 2.5), f"${m}_{i}$", h=0.55)
        d.arrow(f"s{i}", f"{m}{i}", via=[(xc + dx, 1.6)] if dx != 0.45 else None)
    d.op(f"dot{i}", (xc, 4.3), r"$q^{\!\top}\! k$", r=0.5)
    d.arrow(f"Q{i}", f"dot{i}", f"$q_{i}$", offset=(-0.3, -0.15))
    d.arrow(
        f"K{i}",
        f"dot{i}",
        f"$k_{i}$",
        via=[(xc + 0.45, 3.5)],
        offset=(0.3, -0.35),
        label_at=0.0,
    )
    d.arrow(f"dot{i}", "softmax", f"$w_{i}$", offset=(-0.3, -0.1))
    d.op(f"mul{i}", (xc + 1.3, 5.6), r"$\times$")
    d.arrow(f"V{i}", f"mul{i}", f"$v_{i}$", offset=(0.3, 0.0))
    d.arrow("softmax", f"mul{i}", f"$a_{i}[t]$", via=[(xc + 1.3, 7.0)], offset=(0.5, -0.45))


def _state_loop(d: Diagram) -> None:
    """The cell's output ``h[t]``, its two delays, and the dashed loop back to the
    sources of the next step."""
    d.signal("h", (9.6, 2.5), "$h[t]$")
    d.arrow("sum", "h")
    d.box("d1", (9.6, 3.75), "$z^{-1}$", color=DELAY, h=0.5)
    d.signal("h1", (9.6, 5.0), "$h[t-1]$")
    d.box("d2", (9.6, 6.2), "$z^{-1}$", color=DELAY, h=0.5)
    d.signal("h2", (9.6, 7.4), "$h[t-2]$")
    d.arrow("h", "d1")
    d.arrow("d1", "h1")
    d.arrow("h1", "d2")
    d.arrow("d2", "h2")
    # The loop closes: the delayed states are the sources of the next step (dashed).
    d.arrow("h1", "s1", via=[(10.55, 5.0), (10.55, -0.55), (4.4, -0.55)], ls="--")
    d.arrow("h2", "s2", via=[(10.8, 7.4), (10.8, -1.15), (7.4, -1.15)], ls="--")
    d.note((1.95, -0.85), "dashed: the delayed\nstates are the next\nstep's sources")


def attention_rnn_cell() -> plt.Figure:
    """Question 1.2.2 (a): one step of AttentionRNN(2), the homework's equations (3)-(8).
    One column per source ``s_i`` (``x[t]``, ``h[t-1]``, ``h[t-2]``): its query and key
    meet in a dot product, the three scores go through one softargmax, and each weight
    scales its value before the sum; dashed arrows close the loop back to the sources."""
    d = Diagram(10.9, 8.0, bottom=-1.5)
    sources = ["$x[t]$", "$h[t-1]$", "$h[t-2]$"]
    d.box("softmax", (4.3, 7.35), "softargmax", color=OP, w=8.2, h=0.6)
    for i, text in enumerate(sources):
        _source_column(d, i, text)
    d.op("sum", (9.6, 0.9), r"$\Sigma$")
    for i in range(3):
        xc = 0.95 + 3.0 * i
        d.arrow(
            f"mul{i}",
            "sum",
            via=[(xc + 1.95, 5.6), (xc + 1.95, 0.2), (9.6, 0.2)]
            if i < 2
            else [(xc + 1.95, 5.6), (xc + 1.95, 0.9)],
        )
    _state_loop(d)
    return d.done()


def attention_rnn_unrolled(steps: int = 3) -> plt.Figure:
    """Question 1.2.2 (a): AttentionRNN(2) unrolled: each step reads the states one and
    two steps back (black: lag 1, blue: lag 2), with the same ``Q_i, K_i, V_i``."""
    d = Diagram(1.5 + 3.0 * steps, 5.0)
    lanes = {1: (4.0, INK, -0.3), 2: (4.6, "#2563eb", 0.3)}
    for t in range(1, steps + 1):
        x0 = 3.0 * t - 1.5
        d.box(f"cell{t}", (x0, 1.9), "attention\n$Q_i, K_i, V_i$", color=OP, w=1.9, h=1.1, size=9)
        d.signal(f"x{t}", (x0, 0.4), f"$x[{t}]$")
        d.signal(f"h{t}", (x0 + 1.3, 3.3), f"$h[{t}]$", size=10)
        d.arrow(f"x{t}", f"cell{t}")
        d.arrow(f"cell{t}", f"h{t}", via=[(x0 + 1.3, 1.9)])
    for t in range(1, steps + 1):
        for lag, (y, color, dx) in lanes.items():
            if t + lag <= steps:
                hx = 3.0 * t - 1.5 + 1.3
                tx = 3.0 * (t + lag) - 1.5 + dx
                d.arrow(f"h{t}", f"cell{t + lag}", via=[(hx, y), (tx, y), (tx, 2.6)], color=color)
    d.note((1.4, 4.3), "lag 1: black\nlag 2: blue", size=9)
    return d.done()
