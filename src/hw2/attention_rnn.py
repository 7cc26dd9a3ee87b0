"""Theory 1.2, part 2: AttentionRNN(k), which attends over its input and its last k
states, and AttentionRNN(inf), which attends over all of its past states with tied
weights.

With ``s_0 = x[t]`` and ``s_i = h[t-i]`` (i = 1 ... k):

    q_i = Q_i s_i,  k_i = K_i s_i,  v_i = V_i s_i,  w_i = q_i . k_i
    a[t] = softmax(w_0 ... w_k),  h[t] = sum_i a_i[t] v_i

Code time is 0-based: ``h[t]`` is row ``t``; for finite k, states before row 0 are zero
vectors (their scores are 0, their values 0). AttentionRNN(inf) at time t attends over
``x[t], h[t-1], ..., h[0]``, the past states sharing one tied ``(Q, K, V)``. Closed forms
never call autograd.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._validate import check_int

__all__ = [
    "AttentionRNN",
    "flow_experiment",
    "grad_h",
    "jacobian_norms",
    "lag_jacobian",
    "step_jacobian",
    "step_jacobian_at",
    "step_jacobian_softmax",
    "tanh_rnn_jacobian_norms",
    "with_weights",
]


class AttentionRNN(nn.Module):
    """Questions 1.2.2 (b)-(d): AttentionRNN(k) for an int ``k >= 1``, or AttentionRNN(inf)
    for ``k=None``. ``Q``, ``K``, ``V`` are ``ParameterList``s of ``n x n`` matrices:
    index 0 acts on ``x[t]``, index i on ``h[t-i]``; for inf, index 1 is the tied matrix
    shared by every past state."""

    def __init__(self, n: int, k: int | None = 2, scale: float = 1.0):
        super().__init__()
        check_int("n", n, low=1)
        if k is not None:
            check_int("k", k, low=1)  # or None: AttentionRNN(inf)
        self.n, self.k = n, k
        count = 2 if k is None else k + 1

        def matrices() -> nn.ParameterList:
            return nn.ParameterList(
                nn.Parameter(scale * torch.randn(n, n) / math.sqrt(n)) for _ in range(count)
            )

        self.Q, self.K, self.V = matrices(), matrices(), matrices()

    def _index(self, i: int) -> int:
        """Which parameter acts on source i (0: the input, i: h[t-i])."""
        return min(i, 1) if self.k is None else i

    def sources(self, x_t: torch.Tensor, past: list[torch.Tensor]) -> list[torch.Tensor]:
        """``[x[t], h[t-1], h[t-2], ...]``: ``past`` is newest first; for finite k it is
        padded with zero vectors (or cut) to exactly k states."""
        if self.k is not None:
            past = list(past[: self.k])
            past += [x_t.new_zeros(self.n)] * (self.k - len(past))
        return [x_t, *past]

    def step(
        self, x_t: torch.Tensor, past: list[torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: ``(h[t], a[t])`` from ``x[t]`` and the past states, newest first."""
        s = self.sources(x_t, past)
        scores = []
        values = []
        for i, s_i in enumerate(s):
            j = self._index(i)
            scores.append((self.Q[j] @ s_i) @ (self.K[j] @ s_i))
            values.append(self.V[j] @ s_i)
        a = torch.softmax(torch.stack(scores), 0)
        return a @ torch.stack(values), a

    def states(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """The states and attention weights as lists, one tensor per step."""
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.n:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (T, {self.n}), got {shape}")
        hs: list[torch.Tensor] = []
        attn: list[torch.Tensor] = []
        for x_t in x:
            h_t, a_t = self.step(x_t, hs[::-1])
            hs.append(h_t)
            attn.append(a_t)
        return hs, attn

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | list[torch.Tensor]]:
        """``x`` ``(T, n)`` -> states ``(T, n)`` and attention weights: ``(T, k + 1)`` for
        finite k, a list of ``T`` vectors of lengths ``1 ... T`` for inf."""
        hs, attn = self.states(x)
        return torch.stack(hs), (attn if self.k is None else torch.stack(attn))


def with_weights(
    Q: list[torch.Tensor], K: list[torch.Tensor], V: list[torch.Tensor], k: int | None = 2
) -> AttentionRNN:
    """AttentionRNN(k) (``k=None``: inf) holding the given ``n x n`` matrices, in their
    dtype: lists of ``k + 1`` (two for inf: the input's and the tied one)."""
    count = 2 if k is None else k + 1
    for name, mats in [("Q", Q), ("K", K), ("V", V)]:
        if len(mats) != count:
            raise ValueError(f"{name} must hold {count} matrices for k={k}, got {len(mats)}")
    model = AttentionRNN(Q[0].shape[0], k).to(Q[0].dtype)
    with torch.no_grad():
        for params, mats in zip((model.Q, model.K, model.V), (Q, K, V)):
            for p, m in zip(params, mats):
                p.copy_(m)
    return model


def _lag_formula(
    a_i: torch.Tensor,
    h: torch.Tensor,
    s_i: torch.Tensor,
    Q: torch.Tensor,
    K: torch.Tensor,
    V: torch.Tensor,
) -> torch.Tensor:
    """``a_i (V_i + (v_i - h) (Q_i^T k_i + K_i^T q_i)^T)`` for source ``s_i``."""
    q, k, v = Q @ s_i, K @ s_i, V @ s_i
    return a_i * (V + torch.outer(v - h, Q.T @ k + K.T @ q))


@torch.no_grad()
def step_jacobian_at(
    model: AttentionRNN, x_t: torch.Tensor, past: list[torch.Tensor]
) -> torch.Tensor:
    """Question 1.2.2 (e) at one step: ``dh[t]/dh[t-1]`` given ``x[t]`` and the past
    states, newest first (``[h[t-1], h[t-2]]`` for k = 2)."""
    h, a = model.step(x_t, past)
    j = model._index(1)
    return _lag_formula(a[1], h, past[0], model.Q[j], model.K[j], model.V[j])


def _check_t(model: AttentionRNN, x: torch.Tensor, t: int) -> None:
    check_int("t", t, 0, len(x) - 1)


def _lag_jacobian(
    model: AttentionRNN, hs: list[torch.Tensor], attn: list[torch.Tensor], t: int, i: int
) -> torch.Tensor:
    if i < 1 or t - i < 0 or (model.k is not None and i > model.k):
        return hs[0].new_zeros(model.n, model.n)
    j = model._index(i)
    return _lag_formula(attn[t][i], hs[t], hs[t - i], model.Q[j], model.K[j], model.V[j])


@torch.no_grad()
def lag_jacobian(model: AttentionRNN, x: torch.Tensor, t: int, i: int) -> torch.Tensor:
    """The direct partial ``dh[t]/dh[t-i]`` (other states held fixed):

        a_i[t] (V_i + (v_i[t] - h[t]) (Q_i^T k_i[t] + K_i^T q_i[t])^T)

    Zero when ``t - i < 0`` or (finite k) ``i > k``."""
    _check_t(model, x, t)
    hs, attn = model.states(x)
    return _lag_jacobian(model, hs, attn, t, i)


def step_jacobian(model: AttentionRNN, x: torch.Tensor, t: int) -> torch.Tensor:
    """Question 1.2.2 (e): ``dh[t]/dh[t-1]`` from the closed form (any k, and inf)."""
    return lag_jacobian(model, x, t, 1)


@torch.no_grad()
def step_jacobian_softmax(model: AttentionRNN, x: torch.Tensor, t: int) -> torch.Tensor:
    """Question 1.2.2 (e) in its compact form, through the softmax Jacobian
    ``S = diag(a) - a a^T``:

        dh[t]/dh[t-1] = a_1 V_1 + [v_0 ... v_k] S e_1 (Q_1^T k_1 + K_1^T q_1)^T

    (``[v_0 ... v_k]`` the values as columns, ``e_1`` picks the column of ``S`` for
    ``w_1``). Needs ``t >= 1``."""
    check_int("t", t, 1, len(x) - 1)
    hs, attn = model.states(x)
    a = attn[t]
    s = model.sources(x[t], hs[:t][::-1])
    values = torch.stack([model.V[model._index(i)] @ s_i for i, s_i in enumerate(s)], 1)
    S = torch.diag(a) - torch.outer(a, a)
    j = model._index(1)
    Q, K, V = model.Q[j], model.K[j], model.V[j]
    grad_w1 = Q.T @ (K @ s[1]) + K.T @ (Q @ s[1])
    return a[1] * V + torch.outer(values @ S[:, 1], grad_w1)


def _lags(model: AttentionRNN, s: int) -> range:
    """The lags i >= 1 at which state s reads an earlier state."""
    return range(1, (s if model.k is None else min(model.k, s)) + 1)


@torch.no_grad()
def grad_h(model: AttentionRNN, x: torch.Tensor, dl_dh: torch.Tensor, t: int) -> torch.Tensor:
    """Question 1.2.2 (f): the total ``dl/dh[t]`` given the direct partials ``dl_dh``
    ``(T, n)``: ``dl_dh[t] + sum_{i=1}^{k} dl/dh[t+i] dh[t+i]/dh[t]``, the later totals
    computed the same way, from the last step backwards."""
    _check_t(model, x, t)
    if dl_dh.shape != x.shape:
        raise ValueError(f"dl_dh must have shape {tuple(x.shape)}, got {tuple(dl_dh.shape)}")
    hs, attn = model.states(x)
    T = len(x)
    total: list[torch.Tensor] = [dl_dh[0]] * T
    for s in range(T - 1, t - 1, -1):
        total[s] = dl_dh[s] + sum(
            (
                total[s + i] @ _lag_jacobian(model, hs, attn, s + i, i)
                for i in range(1, T - s)
                if model.k is None or i <= model.k
            ),
            torch.zeros_like(dl_dh[s]),
        )
    return total[t]


@torch.no_grad()
def jacobian_norms(model: AttentionRNN, x: torch.Tensor) -> torch.Tensor:
    """Spectral norms of the total ``dh[t]/dh[0]``, ``t = 0 ... T-1``, summing over every
    path: ``J[s] = sum_i (dh[s]/dh[s-i]) J[s-i]`` with ``J[0] = I``."""
    hs, attn = model.states(x)
    J = [torch.eye(model.n, dtype=x.dtype)]
    for s in range(1, len(x)):
        J.append(sum(_lag_jacobian(model, hs, attn, s, i) @ J[s - i] for i in _lags(model, s)))
    return torch.stack([torch.linalg.matrix_norm(j, ord=2) for j in J])


def tanh_rnn_jacobian_norms(W: torch.Tensor, U: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The baseline: ``h[t] = tanh(W h[t-1] + U x[t])``; spectral norms of ``dh[t]/dh[0]``
    as products of ``diag(1 - h[t]^2) W``."""
    h = torch.zeros(W.shape[0], dtype=x.dtype)
    product = torch.eye(W.shape[0], dtype=x.dtype)
    norms = []
    for t, x_t in enumerate(x):
        h = torch.tanh(W @ h + U @ x_t)
        if t > 0:
            product = (1 - h**2)[:, None] * W @ product
        norms.append(torch.linalg.matrix_norm(product, ord=2))
    return torch.stack(norms)


def flow_experiment(
    ks: tuple[int | None, ...] = (1, 2, 4, None), n: int = 8, T: int = 40, seeds: range = range(8)
) -> dict[str, torch.Tensor]:
    """The gradient-flow experiment of section 1.2.2: for each AttentionRNN(k) and a tanh
    RNN of the same size and weight scale (entries N(0, 1/n)), the norms of
    ``dh[t]/dh[0]`` over ``T`` steps of random input, one row per seed (float64)."""
    curves: dict[str, torch.Tensor] = {}
    for k in ks:
        runs = []
        for seed in seeds:
            torch.manual_seed(seed)
            model = AttentionRNN(n, k).double()
            runs.append(jacobian_norms(model, torch.randn(T, n, dtype=torch.float64)))
        curves["AttentionRNN(∞)" if k is None else f"AttentionRNN({k})"] = torch.stack(runs)
    runs = []
    for seed in seeds:
        g = torch.Generator().manual_seed(seed)
        W, U, x = (
            torch.randn(*shape, generator=g, dtype=torch.float64)
            for shape in [(n, n), (n, n), (T, n)]
        )
        runs.append(tanh_rnn_jacobian_norms(W / n**0.5, U / n**0.5, x))
    curves["tanh RNN"] = torch.stack(runs)
    return curves
