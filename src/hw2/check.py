"""The workbook: check *your own* answer to a question of the homework.

One function per question whose answer is a value, a shape or code. Each takes your
answer and returns a :class:`hw2.workbook.Report` (shown as Markdown in a notebook,
as text by ``print``); ``bool(report)`` is whether it passed. A wrong answer, or code
that raises, returns NaN or hangs, gives a failing report with the smallest failing case
found, never an exception. ``TypeError`` means the argument is not the kind of answer
the question wants (a number where a function is expected, ...).

The oracles are PyTorch itself: ``torch.nn.Conv2d`` and ``torch.nn.functional.conv1d``
for shapes and values, autograd for every derivative, the homework's own check for the
trained models. Tensors, NumPy arrays and nested lists are accepted wherever a tensor is
returned; the check passes you float64 tensors.

Theory: :func:`conv_output_size` 1.1(a), :func:`conv_output_shape` 1.1(b),
:func:`conv1d_forward`, :func:`conv1d_dfdW`, :func:`conv1d_dfdx`, :func:`conv1d_dldW`
1.1(c)(i)-(iv), :func:`gated_dldWx` 1.2.1(c), :func:`attention_rnn` 1.2.2(c),
:func:`attention_rnn_inf` 1.2.2(d), :func:`attention_jacobian` 1.2.2(e),
:func:`attention_dldh` 1.2.2(f). Practice: :func:`cnn_model` A, :func:`echo_model` and
:func:`echo_variable_delay_model` B, :func:`spike_free` C (written in
:mod:`hw2.check_practice`, which reads a model by what it runs; the CNN's reading is
:mod:`hw2.check_cnn`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn
from torch.nn import functional as F

from .check_practice import cnn_model, echo_model, echo_variable_delay_model, spike_free
from .checks import check_int
from .workbook import Failure, Report, call, compare, question, search

__all__ = ["attention_dldh", "attention_jacobian", "attention_rnn", "attention_rnn_inf",
           "cnn_model", "conv1d_dfdW", "conv1d_dfdx", "conv1d_dldW", "conv1d_forward",
           "conv_output_shape", "conv_output_size", "echo_model", "echo_variable_delay_model",
           "gated_dldWx", "spike_free"]

LOW, HIGH = -3.0, 3.0  # the range of every drawn entry
RANGE = f"entries in [{LOW:g}, {HIGH:g}]"


def _function(fn: object, signature: str) -> Callable:
    if not callable(fn):
        raise TypeError(f"fn must be a function {signature}, got {type(fn).__name__}")
    return fn


def _matrix(*shape: int) -> st.SearchStrategy:
    """Float64 tensors of ``shape``; hypothesis shrinks their entries towards 0."""
    elements = st.floats(LOW, HIGH, allow_nan=False, allow_subnormal=False)
    return arrays(np.float64, shape, elements=elements).map(torch.from_numpy)


def _trial(fn: Callable, oracle: Callable, names: Sequence[str],
           **compare_kw: object) -> Callable[[tuple], Failure | None]:
    """A trial: call ``fn`` and ``oracle`` on one case (a tuple of inputs called
    ``names``) and compare; a failure carries the inputs."""
    def trial(case: tuple) -> Failure | None:
        got, why = call(fn, *[_copy(v) for v in case])
        failure = Failure(why) if why else compare(oracle(*case), got, **compare_kw)
        if failure is not None:
            failure.inputs = dict(zip(names, case))
        return failure
    return trial


def _copy(value: object) -> object:
    """A fresh copy, so that an answer that writes into its inputs spoils nothing."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# --- 1.1 convolutions --------------------------------------------------------------------

def _conv2d_shape(C: int, H: int, W: int, K: int, P: int, S: int, D: int,
                  F_: int) -> torch.Tensor:
    layer = nn.Conv2d(C, F_, K, stride=S, padding=P, dilation=D, device="meta")
    return torch.tensor(layer(torch.empty(1, C, H, W, device="meta")).shape[1:])


@question("1.1(a)")
def conv_output_size(answer: Sequence[int]) -> Report:
    """1.1(a): ``answer`` is ``(height, width)`` of the output of a 12 x 21 image after a
    5 x 4 kernel with stride 4 and no padding (per filter)."""
    if isinstance(answer, (str, bytes)) or not isinstance(answer, (Sequence, np.ndarray,
                                                                    torch.Tensor)):
        raise TypeError(f"answer must be (height, width), got {type(answer).__name__}")
    start = time.perf_counter()
    layer = nn.Conv2d(1, 1, (5, 4), stride=4, device="meta")
    expected = torch.tensor(layer(torch.empty(1, 1, 12, 21, device="meta")).shape[2:])
    failure = compare(expected, list(answer), rtol=1e-9, squeeze=False)
    if failure is not None:
        failure.inputs = {"image": (12, 21), "kernel": (5, 4), "stride": 4, "padding": 0}
    return Report(failure is None, 1,
                  "the homework's case, compared with torch.nn.Conv2d",
                  time.perf_counter() - start, failure)


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
        _layer(), _trial(fn, _conv2d_shape, "C H W K P S D F".split(), rtol=1e-9,
                         squeeze=False),
        special=[(1, 12, 21, 4, 0, 4, 1, 1), (3, 32, 32, 3, 1, 1, 1, 16),
                 (2, 9, 9, 3, 0, 2, 2, 1)])


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
    return [tuple(torch.zeros(s, dtype=torch.float64) for s in shapes),
            tuple(torch.ones(s, dtype=torch.float64) for s in shapes),
            tuple(one(s) for s in shapes)]


_SPECIAL = "; also all zeros, all ones and a single 1"


@question("1.1(c)(i)")
def conv1d_forward(fn: Callable) -> Report:
    """1.1(c)(i): ``fn(x, W)`` returns ``f_W(x)``, shape ``(1, 3)``."""
    fn = _function(fn, "fn(x, W)")
    return search(f"{_SETTING}, {RANGE}{_SPECIAL}; compared with "
                  "torch.nn.functional.conv1d",
                  st.tuples(_matrix(C, N), _matrix(1, C, K)), _trial(fn, _f, ["x", "W"]),
                  special=_special((C, N), (1, C, K)))


def _dfdW(x: torch.Tensor) -> torch.Tensor:
    return torch.autograd.functional.jacobian(lambda W: _f(x, W),
                                              torch.zeros(1, C, K, dtype=x.dtype))


@question("1.1(c)(ii)")
def conv1d_dfdW(fn: Callable) -> Report:
    """1.1(c)(ii): ``fn(x)`` returns ``df/dW``, shape ``(1, 3, 1, 5, 3)`` (output axes,
    then the axes of ``W``; size-1 axes optional)."""
    fn = _function(fn, "fn(x)")
    return search(f"{_SETTING}, {RANGE}{_SPECIAL}; compared with autograd",
                  st.tuples(_matrix(C, N)), _trial(fn, _dfdW, ["x"]),
                  special=_special((C, N)))


def _dfdx(W: torch.Tensor) -> torch.Tensor:
    return torch.autograd.functional.jacobian(lambda x: _f(x, W),
                                              torch.zeros(C, N, dtype=W.dtype))


@question("1.1(c)(iii)")
def conv1d_dfdx(fn: Callable) -> Report:
    """1.1(c)(iii): ``fn(W)`` returns ``df/dx``, shape ``(1, 3, 5, 7)``."""
    fn = _function(fn, "fn(W)")
    return search(f"{_SETTING}, {RANGE}{_SPECIAL}; compared with autograd",
                  st.tuples(_matrix(1, C, K)), _trial(fn, _dfdx, ["W"]),
                  special=_special((1, C, K)))


def _dldW(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    W = torch.zeros(1, C, K, dtype=x.dtype, requires_grad=True)
    (_f(x, W) * g).sum().backward()
    return W.grad


@question("1.1(c)(iv)")
def conv1d_dldW(fn: Callable) -> Report:
    """1.1(c)(iv): ``fn(x, g)`` with ``g = dl/df`` of shape ``(1, 3)`` returns ``dl/dW``,
    shape ``(1, 5, 3)``."""
    fn = _function(fn, "fn(x, g)")
    return search(f"{_SETTING}, g of shape (1, 3), {RANGE}{_SPECIAL}; "
                  "compared with autograd",
                  st.tuples(_matrix(C, N), _matrix(1, 3)), _trial(fn, _dldW, ["x", "g"]),
                  special=_special((C, N), (1, 3)))


# --- 1.2.1 the gated RNN -------------------------------------------------------------------

def _gated_step(x_t: torch.Tensor, h: torch.Tensor, Wc: torch.Tensor, Wh: torch.Tensor,
                Wx: torch.Tensor) -> torch.Tensor:
    c = torch.sigmoid(Wc @ x_t + Wh @ h)
    return c * h + (1 - c) * (Wx @ x_t)


def _gated_oracle(reading: str) -> Callable:
    def oracle(x, Wc, Wh, Wx, dl_dh):
        Wx = Wx.clone().requires_grad_(True)
        h, loss = x.new_zeros(Wx.shape[0]), x.new_zeros(())
        for x_t, g in zip(x, dl_dh):
            # "partial": l is a function of all states, the gradient flows through
            # h[t-1]; "total": dl_dh[t] already holds every path, so h[t-1] is held fixed.
            prev = h if reading == "partial" else h.detach()
            h_new = _gated_step(x_t, prev, Wc, Wh, Wx)
            loss = loss + g @ h_new
            h = h_new if reading == "partial" else h_new.detach()
        loss.backward()
        return Wx.grad
    return oracle


@st.composite
def _gated_case(draw: st.DrawFn) -> tuple[torch.Tensor, ...]:
    T, n, m = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return tuple(draw(_matrix(*s)) for s in [(T, n), (m, n), (m, m), (m, n), (T, m)])


def _saturated(sign: float) -> tuple[torch.Tensor, ...]:
    """Three steps, n = 1, m = 2, gates driven to 0 or 1 by ``W_c = 20 sign``."""
    d = dict(dtype=torch.float64)
    return (torch.ones(3, 1, **d), torch.full((2, 1), 20.0 * sign, **d),
            torch.ones(2, 2, **d), torch.ones(2, 1, **d), torch.ones(3, 2, **d))


@question("1.2.1(c)")
def gated_dldWx(fn: Callable, reading: str = "partial") -> Report:
    """1.2.1(c): ``fn(x, Wc, Wh, Wx, dl_dh)``, with ``x`` of shape ``(K, n)`` (x[1..K])
    and ``dl_dh`` of shape ``(K, m)``, returns ``dl/dW_x``, shape ``(m, n)``.

    ``reading="partial"`` (the chapter's reading 2, the default): ``dl_dh[t]`` is the
    partial derivative of ``l(h[1], ..., h[K])`` with respect to ``h[t]`` as its own
    argument, so the answer must carry the gradient back through later states.
    ``reading="total"`` (reading 1): ``dl_dh[t]`` is already the total derivative."""
    fn = _function(fn, "fn(x, Wc, Wh, Wx, dl_dh)")
    if reading not in ("partial", "total"):
        raise ValueError(f"reading must be 'partial' or 'total', got {reading!r}")
    note = ("Reading: dl_dh[t] is the partial derivative of l with respect to h[t] as its "
            "own argument; the gradient must flow through later states."
            if reading == "partial" else
            "Reading: dl_dh[t] is the total derivative of l with respect to h[t].")
    return search(f"K in 1-4 steps, n and m in 1-3, {RANGE}; also gates "
                  "saturated near 0 and near 1; compared with autograd",
                  _gated_case(), _trial(fn, _gated_oracle(reading),
                                        ["x", "Wc", "Wh", "Wx", "dl_dh"]),
                  special=[_saturated(1.0), _saturated(-1.0)], notes=[note])


# --- 1.2.2 AttentionRNN -------------------------------------------------------------------

def _attend(sources: Sequence[torch.Tensor], Q: Sequence[torch.Tensor],
            K: Sequence[torch.Tensor], V: Sequence[torch.Tensor]) -> torch.Tensor:
    """h = sum_i softargmax(w)_i V_i s_i with w_i = (Q_i s_i) . (K_i s_i)."""
    w = torch.stack([(q @ s) @ (k @ s) for s, q, k in zip(sources, Q, K)])
    return torch.softmax(w, 0) @ torch.stack([v @ s for s, v in zip(sources, V)])


@st.composite
def _weights(draw: st.DrawFn, count: int, n: int) -> tuple[list[torch.Tensor], ...]:
    return tuple([draw(_matrix(n, n)) for _ in range(count)] for _ in range(3))


@st.composite
def _jacobian_case(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(1, 3))
    x, h1, h2 = (draw(_matrix(n)) for _ in range(3))
    return (x, h1, h2, *draw(_weights(3, n)))


def _attention_jacobian(x, h1, h2, Q, K, V):
    return torch.autograd.functional.jacobian(lambda h: _attend([x, h, h2], Q, K, V), h1)


@question("1.2.2(e)")
def attention_jacobian(fn: Callable) -> Report:
    """1.2.2(e): ``fn(x, h1, h2, Q, K, V)`` with ``x = x[t]``, ``h1 = h[t-1]``,
    ``h2 = h[t-2]`` (length n) and ``Q, K, V`` the lists ``[Q0, Q1, Q2]``, ... of
    ``n x n`` matrices returns ``dh[t]/dh[t-1]``, ``(n, n)``, rows indexing ``h[t]``."""
    fn = _function(fn, "fn(x, h1, h2, Q, K, V)")
    n1 = [torch.ones(1, dtype=torch.float64)] * 3
    eye = [torch.eye(1, dtype=torch.float64)] * 3
    return search(f"n in 1-3, {RANGE}; also all ones; compared with autograd "
                  "(h[t-2] and x[t] held fixed)",
                  _jacobian_case(), _trial(fn, _attention_jacobian,
                                           ["x", "h1", "h2", "Q", "K", "V"], squeeze=False),
                  special=[(*n1, eye, eye, eye)])


def _run(xs: torch.Tensor, Q, K, V, k: int | None) -> torch.Tensor:
    """All states of AttentionRNN(k); ``k=None``: AttentionRNN(inf) with index 1 tied."""
    hs: list[torch.Tensor] = []
    for x_t in xs:
        past = hs[::-1]
        if k is not None:
            past = (past + [torch.zeros_like(x_t)] * k)[:k]
        tie = list(range(len(past) + 1)) if k is not None else [0] + [1] * len(past)
        hs.append(_attend([x_t, *past], *[[M[j] for j in tie] for M in (Q, K, V)]))
    return torch.stack(hs)


@st.composite
def _rnn_case(draw: st.DrawFn, count: int) -> tuple:
    T, n = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    return (draw(_matrix(T, n)), *draw(_weights(count, n)))


@question("1.2.2(c)")
def attention_rnn(fn: Callable, k: int = 2) -> Report:
    """1.2.2(c): ``fn(xs, Q, K, V)`` with ``xs`` of shape ``(T, n)`` and lists of
    ``k + 1`` matrices (index 0 acts on x[t], index i on h[t-i]) returns all states
    ``(T, n)``; ``h[t] = 0`` for ``t < 1``."""
    fn = _function(fn, "fn(xs, Q, K, V)")
    check_int("k", k, low=1)
    return search(f"k = {k}, T in 1-5 steps, n in 1-3, {RANGE}; compared "
                  "with the equations run step by step",
                  _rnn_case(k + 1), _trial(fn, lambda *a: _run(*a, k=k),
                                           ["xs", "Q", "K", "V"], squeeze=False))


@question("1.2.2(d)")
def attention_rnn_inf(fn: Callable) -> Report:
    """1.2.2(d): ``fn(xs, Q, K, V)`` with ``xs`` ``(T, n)`` and lists of two matrices
    ``[Q_x, Q_h]``, ...: the input has its own, and every past state shares one tied
    triple. Returns all states ``(T, n)``; step t attends over x[t], h[t-1], ..., h[1]."""
    fn = _function(fn, "fn(xs, Q, K, V)")
    return search(f"T in 1-5 steps, n in 1-3, {RANGE}; compared with the "
                  "equations run step by step", _rnn_case(2),
                  _trial(fn, lambda *a: _run(*a, k=None), ["xs", "Q", "K", "V"],
                         squeeze=False),
                  notes=["Choice tested: one (Q, K, V) for the input and one, tied, for "
                         "every past state; no state before h[1] (nothing is padded)."])


@st.composite
def _dldh_case(draw: st.DrawFn, k: int) -> tuple:
    n, later = draw(st.integers(1, 3)), draw(st.integers(1, k + 2))
    dl = draw(_matrix(later, n))
    jac = draw(arrays(np.float64, (later, n, n),
                      elements=st.floats(LOW, HIGH, allow_nan=False,
                                         allow_subnormal=False)).map(torch.from_numpy))
    return dl, jac


@question("1.2.2(f)")
def attention_dldh(fn: Callable, k: int = 2) -> Report:
    """1.2.2(f): ``fn(dl_dh, dh_dhT)``: ``dl_dh[j]`` is ``dl/dh[T+1+j]`` (total) and
    ``dh_dhT[j]`` the direct partial ``dh[T+1+j]/dh[T]`` (``n x n``), for the states
    after ``T`` (zero beyond lag k); returns ``dl/dh[T]`` when ``l`` reads ``h[T]``
    only through later states, shape ``(n,)``."""
    fn = _function(fn, "fn(dl_dh, dh_dhT)")
    check_int("k", k, low=1)

    def oracle(dl, jac):
        lags = min(k, len(dl))  # h[T] feeds h[T+1] ... h[T+k] directly, no later state
        return torch.einsum("ji,jik->k", dl[:lags], jac[:lags])

    return search(f"k = {k}, n in 1-3, 1 to k + 2 later states, {RANGE}",
                  _dldh_case(k), _trial(fn, oracle, ["dl_dh", "dh_dhT"], squeeze=False),
                  notes=[f"Convention: h[T] reads into h[T+1] ... h[T+{k}] directly; the "
                         "entries given for later states must not count."])
