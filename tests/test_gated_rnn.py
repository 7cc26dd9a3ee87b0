"""hw2.gated_rnn: the gated RNN's closed forms (1.2.1, 1.2.2) against autograd (hypothesis)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.autograd.functional import jacobian

from hw2 import gated_rnn, oracles


@st.composite
def gated_case(draw):
    n, m, T = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 8))
    scale = draw(st.sampled_from([0.3, 1.0, 3.0]))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    return r(T, n), scale * r(m, n), scale * r(m, m), scale * r(m, n), r(T, m)


def reference_forward(x, W_c, W_h, W_x):
    """The homework's equations (1)-(2) written out again, for autograd."""
    h = torch.zeros(W_x.shape[0], dtype=x.dtype)
    hs = []
    for x_t in x:
        c = torch.sigmoid(W_c @ x_t + W_h @ h)
        h = c * h + (1 - c) * (W_x @ x_t)
        hs.append(h)
    return torch.stack(hs)


@given(gated_case())
def test_gated_forward_shapes_and_values(case):
    x, W_c, W_h, W_x, _ = case
    h, c = gated_rnn.forward(x, W_c, W_h, W_x)
    assert h.shape == c.shape == (len(x), W_x.shape[0])
    torch.testing.assert_close(h, reference_forward(x, W_c, W_h, W_x))


@given(gated_case())
def test_grad_W_x_matches_autograd(case):
    x, W_c, W_h, W_x, g = case
    W = W_x.clone().requires_grad_(True)
    (reference_forward(x, W_c, W_h, W) * g).sum().backward()
    torch.testing.assert_close(gated_rnn.grad_W_x(x, W_c, W_h, W_x, g), W.grad)


@given(gated_case(), st.data())
def test_step_jacobian_matches_autograd(case, data):
    x, W_c, W_h, W_x, _ = case
    h, _ = gated_rnn.forward(x, W_c, W_h, W_x)
    t = data.draw(st.integers(1, len(x) - 1)) if len(x) > 1 else 0
    h_prev = h[t - 1] if t > 0 else torch.zeros_like(h[0])
    torch.testing.assert_close(gated_rnn.step_jacobian(x[t], h_prev, W_c, W_h, W_x),
                               oracles.gated_step_jacobian(x[t], h_prev, W_c, W_h, W_x))


@given(gated_case())
def test_backward_deltas_are_total_derivatives(case):
    x, W_c, W_h, W_x, g = case
    _, expected = oracles.gated_grads(x, W_c, W_h, W_x, g)
    torch.testing.assert_close(gated_rnn.backward_deltas(x, W_c, W_h, W_x, g), expected)


def test_gated_jacobian_norms_match_autograd():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 3, generator=g, dtype=torch.float64)
    W_c, W_h, W_x = (torch.randn(4, 3, generator=g, dtype=torch.float64),
                     torch.randn(4, 4, generator=g, dtype=torch.float64),
                     torch.randn(4, 3, generator=g, dtype=torch.float64))
    h, _ = gated_rnn.forward(x, W_c, W_h, W_x)

    def run_from(h0):
        h_ = h0
        for x_t in x[1:]:
            c = torch.sigmoid(W_c @ x_t + W_h @ h_)
            h_ = c * h_ + (1 - c) * (W_x @ x_t)
        return h_

    expected = torch.linalg.matrix_norm(jacobian(run_from, h[0]), ord=2)
    torch.testing.assert_close(gated_rnn.jacobian_norms(x, W_c, W_h, W_x)[-1], expected)


def test_gated_errors():
    x = torch.zeros(3, 2)
    good = torch.zeros(4, 2), torch.zeros(4, 4), torch.zeros(4, 2)
    with pytest.raises(ValueError, match="W_h must have shape"):
        gated_rnn.forward(x, good[0], torch.zeros(3, 3), good[2])
    with pytest.raises(ValueError, match="x must have shape"):
        gated_rnn.forward(torch.zeros(3, 5), *good)
    with pytest.raises(ValueError, match="W_c must have shape"):
        gated_rnn.forward(x, torch.zeros(4, 3), good[1], good[2])
    with pytest.raises(ValueError, match="dl_dh must have shape"):
        gated_rnn.grad_W_x(x, *good, torch.zeros(3, 3))
    with pytest.raises(TypeError):
        gated_rnn.forward([[0.0]], *good)


def test_regime_sweep_is_one_row_per_seed():
    runs = gated_rnn.regime_sweep({"near1": (6.0, 1.0, 1.0), "near0": (-6.0, 1.0, 1.0)},
                                  seeds=range(3))
    assert set(runs) == {"near1", "near0"} and runs["near1"].shape == (3, 60)
    row = gated_rnn.jacobian_norms(*gated_rnn.regime(6.0, 1.0, 1.0, seed=2))
    torch.testing.assert_close(runs["near1"][2], row)
    # gates near 1 keep the state: the norm stays near 1; near 0 it is forgotten at once
    assert runs["near1"][:, -1].median() > 0.5 > runs["near0"][:, -1].median()
