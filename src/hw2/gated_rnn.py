"""Theory 1.2, part 1: the gated RNN

    c[t] = sigmoid(W_c x[t] + W_h h[t-1])
    h[t] = c[t] * h[t-1] + (1 - c[t]) * W_x x[t]

Code time is 0-based: ``h[t]`` is row ``t`` of the returned states and the state before
row 0 is the zero vector. Closed forms here never call autograd: the tests compare them
with it.
"""

from __future__ import annotations

import torch

__all__ = [
    "OPEN",
    "REGIMES",
    "SHUT",
    "backward_deltas",
    "forward",
    "gate_shares",
    "grad_W_x",
    "grad_W_x_forward",
    "jacobian_bound",
    "jacobian_norms",
    "regime",
    "regime_sweep",
    "state_bound",
    "state_sensitivities",
    "step_jacobian",
]


def _check(x: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor) -> None:
    for name, value in [("x", x), ("W_c", W_c), ("W_h", W_h), ("W_x", W_x)]:
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        if value.dim() != 2:
            raise ValueError(f"{name} must be a matrix, got shape {tuple(value.shape)}")
    m, n = W_x.shape
    if x.shape[1] != n:
        raise ValueError(
            f"x must have shape (T, {n}) to match W_x {tuple(W_x.shape)}, got {tuple(x.shape)}"
        )
    if W_c.shape != (m, n):
        raise ValueError(f"W_c must have shape ({m}, {n}) like W_x, got {tuple(W_c.shape)}")
    if W_h.shape != (m, m):
        raise ValueError(f"W_h must have shape ({m}, {m}), got {tuple(W_h.shape)}")


def forward(
    x: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The homework's equations (1)-(2) over a sequence ``x`` of shape ``(T, n)``: returns
    ``(h, c)``, each ``(T, m)`` (question 1.2.1 (b): ``c[t]`` has the dimension ``m`` of
    ``h[t]``)."""
    _check(x, W_c, W_h, W_x)
    h_prev = x.new_zeros(W_x.shape[0])
    hs, cs = [], []
    for x_t in x:
        c = torch.sigmoid(W_c @ x_t + W_h @ h_prev)
        h_prev = c * h_prev + (1 - c) * (W_x @ x_t)
        hs.append(h_prev)
        cs.append(c)
    return torch.stack(hs), torch.stack(cs)


def _step_gate(
    x_t: torch.Tensor, h_prev: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor
) -> torch.Tensor:
    """The gate ``c[t]`` of one step, its arguments checked."""
    if x_t.dim() != 1 or h_prev.dim() != 1:
        raise ValueError("x_t and h_prev must be vectors")
    _check(x_t[None], W_c, W_h, W_x)
    if h_prev.shape != (W_x.shape[0],):
        raise ValueError(f"h_prev must have shape ({W_x.shape[0]},), got {tuple(h_prev.shape)}")
    return torch.sigmoid(W_c @ x_t + W_h @ h_prev)


def step_jacobian(
    x_t: torch.Tensor, h_prev: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor
) -> torch.Tensor:
    """Question 1.2.1 (d): the ``(m, m)`` matrix

    dh[t]/dh[t-1] = diag(c) + diag((h[t-1] - W_x x[t]) * c * (1 - c)) W_h
    """
    c = _step_gate(x_t, h_prev, W_c, W_h, W_x)
    slope = (h_prev - W_x @ x_t) * c * (1 - c)
    return torch.diag(c) + slope[:, None] * W_h


def backward_deltas(
    x: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor, dl_dh: torch.Tensor
) -> torch.Tensor:
    """Question 1.2.1 (c): total derivatives ``delta[t] = dl/dh[t]`` from the direct
    partials, by the backward recursion ``delta[t] = dl_dh[t] + delta[t+1] J[t+1]``
    with ``J`` the step Jacobian. Returns ``(T, m)``."""
    h, _ = forward(x, W_c, W_h, W_x)
    if dl_dh.shape != h.shape:
        raise ValueError(f"dl_dh must have shape {tuple(h.shape)}, got {tuple(dl_dh.shape)}")
    T = len(x)
    deltas = [None] * T
    deltas[T - 1] = dl_dh[T - 1]
    for t in range(T - 2, -1, -1):
        J = step_jacobian(x[t + 1], h[t], W_c, W_h, W_x)
        deltas[t] = dl_dh[t] + deltas[t + 1] @ J
    return torch.stack(deltas)


def grad_W_x(
    x: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor, dl_dh: torch.Tensor
) -> torch.Tensor:
    """Question 1.2.1 (c): ``dl/dW_x = sum_t ((1 - c[t]) * delta[t]) x[t]^T``, an
    ``(m, n)`` matrix, where ``delta[t]`` is the total derivative of ``l`` with respect to
    ``h[t]`` (from the direct partials ``dl_dh``, shape ``(T, m)``)."""
    _, c = forward(x, W_c, W_h, W_x)
    deltas = backward_deltas(x, W_c, W_h, W_x, dl_dh)
    return torch.einsum("tm,tn->mn", (1 - c) * deltas, x)


def state_sensitivities(
    x: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor
) -> torch.Tensor:
    """Question 1.2.1 (c), forward mode: ``P[t] = dh[t]/dW_x`` for every step, shape
    ``(T, m, m, n)`` (``P[t][j, a, b] = dh_j[t]/d(W_x)_ab``), by the recursion

        P[t] = diag(1 - c[t]) (I kron x[t]^T) + J[t] P[t-1],   P[0] = 0,

    that is ``P[t][j, a, b] = (1 - c_j[t]) [j = a] x_b[t] + sum_i J[t][j, i] P[t-1][i, a, b]``
    with ``J[t]`` the step Jacobian (:func:`step_jacobian`)."""
    h, c = forward(x, W_c, W_h, W_x)
    m, n = W_x.shape
    eye = torch.eye(m, dtype=x.dtype)
    P = x.new_zeros(m, m, n)
    out = []
    for t in range(len(x)):
        direct = (1 - c[t])[:, None, None] * eye[:, :, None] * x[t]
        if t == 0:
            P = direct  # h[0] = 0 does not depend on W_x
        else:
            J = step_jacobian(x[t], h[t - 1], W_c, W_h, W_x)
            P = direct + torch.einsum("ji,iab->jab", J, P)
        out.append(P)
    return torch.stack(out)


def grad_W_x_forward(
    x: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor, dl_dh: torch.Tensor
) -> torch.Tensor:
    """Question 1.2.1 (c), forward mode: ``dl/dW_x = sum_t dl_dh[t]^T dh[t]/dW_x`` from the
    direct partials ``dl_dh`` ``(T, m)`` and :func:`state_sensitivities`; the same
    ``(m, n)`` matrix as :func:`grad_W_x`, at ``m`` times the cost."""
    P = state_sensitivities(x, W_c, W_h, W_x)
    if dl_dh.shape != P.shape[:2]:
        raise ValueError(f"dl_dh must have shape {tuple(P.shape[:2])}, got {tuple(dl_dh.shape)}")
    return torch.einsum("tj,tjab->ab", dl_dh, P)


def jacobian_bound(
    x_t: torch.Tensor, h_prev: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor
) -> float:
    """Question 1.2.1 (d), the proved bound on one step Jacobian's infinity norm (the
    largest absolute row sum):

        ||J[t]||_inf <= max_j c_j[t] + 1/4 ||h[t-1] - W_x x[t]||_inf ||W_h||_inf

    since row j of ``J = diag(c) + diag((h - W_x x) * c * (1 - c)) W_h`` sums to at most
    ``c_j + |h_j - (W_x x)_j| c_j (1 - c_j) ||W_h||_inf`` and ``c (1 - c) <= 1/4``."""
    c = _step_gate(x_t, h_prev, W_c, W_h, W_x)
    gap = (h_prev - W_x @ x_t).abs().max()
    return (c.max() + gap * torch.linalg.matrix_norm(W_h, ord=float("inf")) / 4).item()


def state_bound(x: torch.Tensor, W_x: torch.Tensor) -> torch.Tensor:
    """Question 1.2.1 (d), the proved bound on the state: ``max_{s <= t} ||W_x x[s]||_inf``
    for every step ``t`` (0-based rows), shape ``(T,)``. Each ``h_j[t]`` is a convex
    combination of ``h_j[t-1]`` and ``(W_x x[t])_j`` (the gate lies in (0, 1)) and
    ``h[0] = 0``, so ``||h[t]||_inf`` never exceeds it, whatever ``W_c`` and ``W_h``."""
    for name, value in [("x", x), ("W_x", W_x)]:
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        if value.dim() != 2:
            raise ValueError(f"{name} must be a matrix, got shape {tuple(value.shape)}")
    if x.shape[1] != W_x.shape[1]:
        raise ValueError(
            f"x must have shape (T, {W_x.shape[1]}) to match W_x, got {tuple(x.shape)}"
        )
    return torch.cummax((x @ W_x.T).abs().amax(1), 0).values


def jacobian_norms(
    x: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor
) -> torch.Tensor:
    """Question 1.2.1 (d), the experiment: spectral norms of ``dh[t]/dh[0]`` for
    ``t = 0 ... T-1``, as products of step Jacobians (``dh[0]/dh[0] = I``)."""
    h, _ = forward(x, W_c, W_h, W_x)
    product = torch.eye(W_x.shape[0], dtype=x.dtype)
    norms = [torch.linalg.matrix_norm(product, ord=2)]
    for t in range(1, len(x)):
        product = step_jacobian(x[t], h[t - 1], W_c, W_h, W_x) @ product
        norms.append(torch.linalg.matrix_norm(product, ord=2))
    return torch.stack(norms)


def regime(
    gate_bias: float, w_h: float, w_x: float, n: int = 8, m: int = 8, T: int = 60, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs and weights for the 1.2.1 (d) experiment: ``x[t]`` standard normal with a
    constant 1 in coordinate 0, so ``W_c[:, 0] = gate_bias`` sets where the gates sit
    (very negative: near 0, very positive: near 1); ``W_h`` and ``W_x`` are Gaussian with
    spectral scale about ``w_h`` and ``w_x``. Returns ``(x, W_c, W_h, W_x)`` in float64."""
    g = torch.Generator().manual_seed(seed)

    def gauss(rows: int, cols: int, scale: float) -> torch.Tensor:
        return scale * torch.randn(rows, cols, generator=g, dtype=torch.float64) / cols**0.5

    x = torch.randn(T, n, generator=g, dtype=torch.float64)
    x[:, 0] = 1.0
    W_c = gauss(m, n, 1.0)
    W_c[:, 0] = gate_bias
    return x, W_c, gauss(m, m, w_h), gauss(m, n, w_x)


# Question 1.2.1 (d)'s regimes; key: (label, gate bias, scale of W_h, scale of W_x).
REGIMES: dict[str, tuple[str, float, float, float]] = {
    "near0": ("gates near 0", -6.0, 1.0, 1.0),
    "near1": ("gates near 1", 6.0, 1.0, 1.0),
    "mid": ("gates in between", 0.0, 1.0, 1.0),
    "explode": ("mostly near 1, large $W_h$, inputs", 3.0, 4.0, 4.0),
}
OPEN, SHUT = 0.9, 0.1  # a gate above OPEN is open, below SHUT shut, else in between


def gate_shares(
    gate_bias: float, w_h: float, w_x: float, seeds: range = range(16)
) -> dict[str, float]:
    """Where the gates of a :func:`regime` sit, over its ``seeds``: the share of gate
    values ``c`` above :data:`OPEN` (``"high"``) and between :data:`SHUT` and
    :data:`OPEN` (``"mid"``), from the forward pass."""
    c = torch.cat([forward(*regime(gate_bias, w_h, w_x, seed=s))[1] for s in seeds])
    return {
        "high": (c > OPEN).float().mean().item(),
        "mid": ((c > SHUT) & (c < OPEN)).float().mean().item(),
    }


def regime_sweep(
    regimes: dict[str, tuple[float, float, float]], seeds: range = range(16)
) -> dict[str, torch.Tensor]:
    """Question 1.2.1 (d), the sweep: for each named regime ``(gate_bias, w_h, w_x)`` of
    :func:`regime`, the norms of ``dh[t]/dh[0]``, one row per seed ``(seeds, T)``."""
    return {
        name: torch.stack([jacobian_norms(*regime(*args, seed=s)) for s in seeds])
        for name, args in regimes.items()
    }
