"""The workbook's checks of theory 1.1 (convolutions): output sizes and shapes, the 1-D
convolution and its three derivatives, against ``torch.nn`` and autograd."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from .cases import RANGE, _function, _matrix, _trial
from .engine import Report, compare, question, search

# --- 1.1 convolutions --------------------------------------------------------------------


def _conv2d_shape(C: int, H: int, W: int, K: int, P: int, S: int, D: int, F_: int) -> torch.Tensor:
    layer = nn.Conv2d(C, F_, K, stride=S, padding=P, dilation=D, device="meta")
    return torch.tensor(layer(torch.empty(1, C, H, W, device="meta")).shape[1:])


@question("1.1(a)")
def conv_output_size(answer: Sequence[int]) -> Report:
    """1.1(a): ``answer`` is ``(height, width)`` of the output of a 12 x 21 image after a
    5 x 4 kernel with stride 4 and no padding (per filter)."""
    if isinstance(answer, (str, bytes)) or not isinstance(
        answer, (Sequence, np.ndarray, torch.Tensor)
    ):
        raise TypeError(f"answer must be (height, width), got {type(answer).__name__}")
    start = time.perf_counter()
    layer = nn.Conv2d(1, 1, (5, 4), stride=4, device="meta")
    expected = torch.tensor(layer(torch.empty(1, 1, 12, 21, device="meta")).shape[2:])
    failure = compare(expected, list(answer), rtol=1e-9, squeeze=False)
    if failure is not None:
        failure.inputs = {"image": (12, 21), "kernel": (5, 4), "stride": 4, "padding": 0}
    return Report(
        failure is None,
        1,
        "the homework's case, compared with torch.nn.Conv2d",
        time.perf_counter() - start,
        failure,
    )


@st.composite
def _layer(draw: st.DrawFn) -> tuple[int, ...]:
    C, F_, K = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 7))
    P, S, D = draw(st.integers(0, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 3))
    least = max(1, D * (K - 1) + 1 - 2 * P)  # the layer is defined from here on
    H, W = draw(st.integers(least, least + 30)), draw(st.integers(least, least + 30))
    return C, H, W, K, P, S, D, F_


@question("1.1(b)")
def conv_output_shape(fn: Callable) -> Report:
    """1.1(b): ``fn(C, H, W, K, P, S, D, F)`` returns ``(channels, height, width)`` of a
    layer with ``F`` filters of size ``K x K``, padding ``P``, stride ``S``, dilation
    ``D`` on a ``C x H x W`` input; checked against ``torch.nn.Conv2d``."""
    fn = _function(fn, "fn(C, H, W, K, P, S, D, F)")
    return search(
        "C and F in 1-4, K in 1-7, P in 0-3, S in 1-5, D in 1-3, H and W up to "
        "30 beyond the smallest input the layer accepts; compared with torch.nn.Conv2d",
        _layer(),
        _trial(fn, _conv2d_shape, "C H W K P S D F".split(), rtol=1e-9, squeeze=False),
        special=[(1, 12, 21, 4, 0, 4, 1, 1), (3, 32, 32, 3, 1, 1, 1, 16), (2, 9, 9, 3, 0, 2, 2, 1)],
    )


C, N, K, STRIDE = 5, 7, 3, 2  # 1.1(c): x is (5, 7), W is (1, 5, 3), stride 2
_SETTING = "the homework's sizes (x of shape (5, 7), W of shape (1, 5, 3), stride 2)"


def _f(x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    return F.conv1d(x[None], W, stride=STRIDE)[0]


def _special(*shapes: tuple[int, ...]) -> list[tuple]:
    """All-zero, all-one and 'one entry' inputs of these shapes."""

    def one(shape: tuple[int, ...]) -> torch.Tensor:
        t = torch.zeros(shape, dtype=torch.float64)
        t.view(-1)[-1] = 1.0
        return t

    return [
        tuple(torch.zeros(s, dtype=torch.float64) for s in shapes),
        tuple(torch.ones(s, dtype=torch.float64) for s in shapes),
        tuple(one(s) for s in shapes),
    ]


_SPECIAL = "; also all zeros, all ones and a single 1"


@question("1.1(c)(i)")
def conv1d_forward(fn: Callable) -> Report:
    """1.1(c)(i): ``fn(x, W)`` returns ``f_W(x)``, shape ``(1, 3)``."""
    fn = _function(fn, "fn(x, W)")
    return search(
        f"{_SETTING}, {RANGE}{_SPECIAL}; compared with torch.nn.functional.conv1d",
        st.tuples(_matrix(C, N), _matrix(1, C, K)),
        _trial(fn, _f, ["x", "W"]),
        special=_special((C, N), (1, C, K)),
    )


def _dfdW(x: torch.Tensor) -> torch.Tensor:
    return torch.autograd.functional.jacobian(
        lambda W: _f(x, W), torch.zeros(1, C, K, dtype=x.dtype)
    )


@question("1.1(c)(ii)")
def conv1d_dfdW(fn: Callable) -> Report:
    """1.1(c)(ii): ``fn(x)`` returns ``df/dW``, shape ``(1, 3, 1, 5, 3)`` (output axes,
    then the axes of ``W``; size-1 axes optional)."""
    fn = _function(fn, "fn(x)")
    return search(
        f"{_SETTING}, {RANGE}{_SPECIAL}; compared with autograd",
        st.tuples(_matrix(C, N)),
        _trial(fn, _dfdW, ["x"]),
        special=_special((C, N)),
    )


def _dfdx(W: torch.Tensor) -> torch.Tensor:
    return torch.autograd.functional.jacobian(lambda x: _f(x, W), torch.zeros(C, N, dtype=W.dtype))


@question("1.1(c)(iii)")
def conv1d_dfdx(fn: Callable) -> Report:
    """1.1(c)(iii): ``fn(W)`` returns ``df/dx``, shape ``(1, 3, 5, 7)``."""
    fn = _function(fn, "fn(W)")
    return search(
        f"{_SETTING}, {RANGE}{_SPECIAL}; compared with autograd",
        st.tuples(_matrix(1, C, K)),
        _trial(fn, _dfdx, ["W"]),
        special=_special((1, C, K)),
    )


def _dldW(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    W = torch.zeros(1, C, K, dtype=x.dtype, requires_grad=True)
    (_f(x, W) * g).sum().backward()
    return W.grad


@question("1.1(c)(iv)")
def conv1d_dldW(fn: Callable) -> Report:
    """1.1(c)(iv): ``fn(x, g)`` with ``g = dl/df`` of shape ``(1, 3)`` returns ``dl/dW``,
    shape ``(1, 5, 3)``."""
    fn = _function(fn, "fn(x, g)")
    return search(
        f"{_SETTING}, g of shape (1, 3), {RANGE}{_SPECIAL}; compared with autograd",
        st.tuples(_matrix(C, N), _matrix(1, 3)),
        _trial(fn, _dldW, ["x", "g"]),
        special=_special((C, N), (1, 3)),
    )
