"""The workbook's checks of theory 1.2 (recurrent networks): the gated RNN's gradient
(1.2.1(c)) and AttentionRNN's outputs, Jacobian and gradient (1.2.2), against autograd."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from .._validate import check_int
from .cases import HIGH, LOW, RANGE, _function, _matrix, _trial
from .engine import Report, question, search

# --- 1.2.1 the gated RNN -------------------------------------------------------------------


def _gated_step(
    x_t: torch.Tensor, h: torch.Tensor, Wc: torch.Tensor, Wh: torch.Tensor, Wx: torch.Tensor
) -> torch.Tensor:
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
    return (
        torch.ones(3, 1, **d),
        torch.full((2, 1), 20.0 * sign, **d),
        torch.ones(2, 2, **d),
        torch.ones(2, 1, **d),
        torch.ones(3, 2, **d),
    )


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
    note = (
        "Reading: dl_dh[t] is the partial derivative of l with respect to h[t] as its "
        "own argument; the gradient must flow through later states."
        if reading == "partial"
        else "Reading: dl_dh[t] is the total derivative of l with respect to h[t]."
    )
    return search(
        f"K in 1-4 steps, n and m in 1-3, {RANGE}; also gates "
        "saturated near 0 and near 1; compared with autograd",
        _gated_case(),
        _trial(fn, _gated_oracle(reading), ["x", "Wc", "Wh", "Wx", "dl_dh"]),
        special=[_saturated(1.0), _saturated(-1.0)],
        notes=[note],
    )


# --- 1.2.2 AttentionRNN -------------------------------------------------------------------


def _attend(
    sources: Sequence[torch.Tensor],
    Q: Sequence[torch.Tensor],
    K: Sequence[torch.Tensor],
    V: Sequence[torch.Tensor],
) -> torch.Tensor:
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
    return search(
        f"n in 1-3, {RANGE}; also all ones; compared with autograd (h[t-2] and x[t] held fixed)",
        _jacobian_case(),
        _trial(fn, _attention_jacobian, ["x", "h1", "h2", "Q", "K", "V"], squeeze=False),
        special=[(*n1, eye, eye, eye)],
    )


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
def attention_rnn_k(fn: Callable, k: int = 2) -> Report:
    """1.2.2(c): ``fn(xs, Q, K, V)`` with ``xs`` of shape ``(T, n)`` and lists of
    ``k + 1`` matrices (index 0 acts on x[t], index i on h[t-i]) returns all states
    ``(T, n)``; ``h[t] = 0`` for ``t < 1``."""
    fn = _function(fn, "fn(xs, Q, K, V)")
    check_int("k", k, low=1)
    return search(
        f"k = {k}, T in 1-5 steps, n in 1-3, {RANGE}; compared with the equations run step by step",
        _rnn_case(k + 1),
        _trial(fn, lambda *a: _run(*a, k=k), ["xs", "Q", "K", "V"], squeeze=False),
    )


@question("1.2.2(d)")
def attention_rnn_inf(fn: Callable) -> Report:
    """1.2.2(d): ``fn(xs, Q, K, V)`` with ``xs`` ``(T, n)`` and lists of two matrices
    ``[Q_x, Q_h]``, ...: the input has its own, and every past state shares one tied
    triple. Returns all states ``(T, n)``; step t attends over x[t], h[t-1], ..., h[1]."""
    fn = _function(fn, "fn(xs, Q, K, V)")
    return search(
        f"T in 1-5 steps, n in 1-3, {RANGE}; compared with the equations run step by step",
        _rnn_case(2),
        _trial(fn, lambda *a: _run(*a, k=None), ["xs", "Q", "K", "V"], squeeze=False),
        notes=[
            "Choice tested: one (Q, K, V) for the input and one, tied, for "
            "every past state; no state before h[1] (nothing is padded)."
        ],
    )


@st.composite
def _dldh_case(draw: st.DrawFn, k: int) -> tuple:
    n, later = draw(st.integers(1, 3)), draw(st.integers(1, k + 2))
    dl = draw(_matrix(later, n))
    jac = draw(
        arrays(
            np.float64,
            (later, n, n),
            elements=st.floats(LOW, HIGH, allow_nan=False, allow_subnormal=False),
        ).map(torch.from_numpy)
    )
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

    return search(
        f"k = {k}, n in 1-3, 1 to k + 2 later states, {RANGE}",
        _dldh_case(k),
        _trial(fn, oracle, ["dl_dh", "dh_dhT"], squeeze=False),
        notes=[
            f"Convention: h[T] reads into h[T+1] ... h[T+{k}] directly; the "
            "entries given for later states must not count."
        ],
    )
