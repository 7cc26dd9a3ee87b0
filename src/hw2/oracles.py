"""The oracles: PyTorch autograd's answers to the theory questions, which the pages and
the tests check the closed forms against (the closed forms never call these).

Each function builds its own computation graph from the homework's definitions and
reads the gradients autograd finds; nothing here is a derived formula.
"""

from __future__ import annotations

import torch
from torch.autograd.functional import jacobian
from torch.nn import functional as F

from .attention_rnn import AttentionRNN

__all__ = [
    "attention_state_grads",
    "attention_step_jacobian",
    "conv1d_grads",
    "gated_grads",
    "gated_state_sensitivities",
    "gated_step_jacobian",
    "max_diff",
]


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    """The largest absolute difference between two tensors of one shape."""
    if a.shape != b.shape:
        raise ValueError(f"a, b: shapes differ, {tuple(a.shape)} and {tuple(b.shape)}")
    return (a - b).abs().max().item()


def conv1d_grads(
    x: torch.Tensor, W: torch.Tensor, g: torch.Tensor, stride: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """1.1(c): ``(dl/dW, dl/dx)`` of ``l = sum(g * conv1d(x, W, stride))`` for one
    input ``x`` ``(C, N)`` and weights ``W`` ``(F, C, K)``."""
    xg, Wg = x.clone().requires_grad_(True), W.clone().requires_grad_(True)
    out = F.conv1d(xg[None], Wg, stride=stride)[0]
    if out.shape != g.shape:
        raise ValueError(f"g must have the output's shape {tuple(out.shape)}, got {tuple(g.shape)}")
    (out * g).sum().backward()
    return Wg.grad, xg.grad


def gated_grads(
    x: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor, g: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """1.2.1(c): ``(dl/dW_x, dl/dh[t] for every t)`` of ``l = sum_t g[t] . h[t]``, the
    gated cell's two equations run again so that autograd sees every state."""
    Wx = W_x.clone().requires_grad_(True)
    states, prev = [], x.new_zeros(W_x.shape[0])
    for x_t in x:
        c_t = torch.sigmoid(W_c @ x_t + W_h @ prev)
        prev = c_t * prev + (1 - c_t) * (Wx @ x_t)
        prev.retain_grad()
        states.append(prev)
    (torch.stack(states) * g).sum().backward()
    return Wx.grad, torch.stack([s.grad for s in states])


def gated_state_sensitivities(
    x: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor
) -> torch.Tensor:
    """1.2.1(c), forward mode: ``dh[t]/dW_x`` for every step, ``(T, m, m, n)``, autograd's
    Jacobian of the gated cell's states (its two equations run again) with respect to
    ``W_x``."""

    def states(Wx: torch.Tensor) -> torch.Tensor:
        out, prev = [], x.new_zeros(W_x.shape[0])
        for x_t in x:
            c_t = torch.sigmoid(W_c @ x_t + W_h @ prev)
            prev = c_t * prev + (1 - c_t) * (Wx @ x_t)
            out.append(prev)
        return torch.stack(out)

    return jacobian(states, W_x)


def gated_step_jacobian(
    x_t: torch.Tensor, h_prev: torch.Tensor, W_c: torch.Tensor, W_h: torch.Tensor, W_x: torch.Tensor
) -> torch.Tensor:
    """1.2.1(d): ``dh[t]/dh[t-1]`` of one step of the gated cell at ``h_prev``."""

    def step(h: torch.Tensor) -> torch.Tensor:
        c_t = torch.sigmoid(W_c @ x_t + W_h @ h)
        return c_t * h + (1 - c_t) * (W_x @ x_t)

    return jacobian(step, h_prev)


def attention_step_jacobian(model: AttentionRNN, x: torch.Tensor, t: int) -> torch.Tensor:
    """1.2.2(e): ``dh[t]/dh[t-1]`` of one step, the other states held fixed."""
    states, _ = model.states(x)
    past = [s.detach() for s in states[:t][::-1]]

    def step(h1: torch.Tensor) -> torch.Tensor:
        return model.step(x[t], [h1, *past[1:]])[0]

    return jacobian(step, past[0])


def attention_state_grads(model: AttentionRNN, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """1.2.2(f): the total ``dl/dh[t]`` for every ``t`` of ``l = sum_t g[t] . h[t]`` (``g``
    the direct partials), ``(T, n)``."""
    states, _ = model.states(x)
    for s in states:
        s.retain_grad()
    (torch.stack(states) * g).sum().backward()
    return torch.stack([s.grad for s in states])
