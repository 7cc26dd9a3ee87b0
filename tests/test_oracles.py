"""hw2.oracles: autograd's answers, checked against autograd's Jacobians of the
homework's definitions (so a mistake in how an oracle reads a gradient shows)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.autograd.functional import jacobian
from torch.nn import functional as F

from hw2 import gated_rnn, oracles
from hw2.attention_rnn import AttentionRNN
from strategies import tensors

D = torch.float64


@st.composite
def gated_case(draw, min_steps: int = 1):
    """A gated RNN's input x (T, n) and weights W_c, W_h, W_x, drawn by hypothesis."""
    n, m = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    T = draw(st.integers(min_steps, min_steps + 4))
    return draw(tensors(T, n)), draw(tensors(m, n)), draw(tensors(m, m)), draw(tensors(m, n))


def test_max_diff_needs_one_shape():
    assert oracles.max_diff(torch.ones(2), torch.tensor([1.0, 3.0])) == 2.0
    with pytest.raises(ValueError, match="shapes"):
        oracles.max_diff(torch.ones(2), torch.ones(3))


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv1d_grads_are_the_jacobians_applied_to_g(stride):
    gen = torch.Generator().manual_seed(stride)
    x, W = torch.randn(2, 11, generator=gen, dtype=D), torch.randn(3, 2, 3, generator=gen, dtype=D)
    out = F.conv1d(x[None], W, stride=stride)[0]
    g = torch.randn(out.shape, generator=gen, dtype=D)
    dW, dx = oracles.conv1d_grads(x, W, g, stride)
    by_W = jacobian(lambda w: F.conv1d(x[None], w, stride=stride)[0], W)
    by_x = jacobian(lambda x_: F.conv1d(x_[None], W, stride=stride)[0], x)
    torch.testing.assert_close(dW, torch.einsum("fl,fl...->...", g, by_W))
    torch.testing.assert_close(dx, torch.einsum("fl,fl...->...", g, by_x))
    with pytest.raises(ValueError, match="g must"):
        oracles.conv1d_grads(x, W, g[:, :1], stride)


@given(gated_case(min_steps=4), st.data())
def test_gated_oracles_are_the_jacobians_of_the_forward_pass(case, data):
    x, W_c, W_h, W_x = case
    m = W_x.shape[0]
    g = data.draw(tensors(len(x), m))
    dW_x, states = oracles.gated_grads(x, W_c, W_h, W_x, g)
    by_W_x = jacobian(lambda w: gated_rnn.forward(x, W_c, W_h, w)[0], W_x)
    torch.testing.assert_close(dW_x, torch.einsum("tm,tm...->...", g, by_W_x))
    torch.testing.assert_close(states[-1], g[-1])  # nothing reads the last state after it
    # One step from h[2]: the forward pass from the zero state gives (1 - c) W_x x[3]
    # when h[2] enters the gate as extra inputs (weights W_h); c h[2] is added.
    h, _ = gated_rnn.forward(x, W_c, W_h, W_x)
    W_gate, W_in = torch.cat([W_c, W_h], 1), torch.cat([W_x, torch.zeros(m, m, dtype=D)], 1)

    def step(h_):
        both = torch.cat([x[3], h_])
        return (
            gated_rnn.forward(both[None], W_gate, W_h, W_in)[0][0]
            + torch.sigmoid(W_gate @ both) * h_
        )

    torch.testing.assert_close(
        oracles.gated_step_jacobian(x[3], h[2], W_c, W_h, W_x), jacobian(step, h[2])
    )


@pytest.mark.parametrize("k", [1, 2, None])
def test_attention_oracles_agree_with_each_other(k):
    torch.manual_seed(0)
    model, x = AttentionRNN(3, k).double(), torch.randn(5, 3, dtype=D)
    g = torch.zeros(5, 3, dtype=D)
    g[-1, 0] = 1.0  # l = h[T][0]: the total dl/dh[T-1] is row 0 of dh[T]/dh[T-1] ...
    grads = oracles.attention_state_grads(model, x, g)
    if k == 1:  # ... when h[T-1] is the only path to h[T]
        torch.testing.assert_close(grads[-2], oracles.attention_step_jacobian(model, x, 4)[0])
    torch.testing.assert_close(grads[-1], g[-1])
    assert oracles.attention_step_jacobian(model, x, 2).shape == (3, 3)


@given(gated_case())
def test_gated_state_sensitivities_are_the_jacobian_of_the_states(case):
    x, W_c, W_h, W_x = case
    P = oracles.gated_state_sensitivities(x, W_c, W_h, W_x)
    expected = jacobian(lambda w: gated_rnn.forward(x, W_c, W_h, w)[0], W_x)
    torch.testing.assert_close(P, expected)
    # The first state is (1 - c[1]) W_x x[1]: its derivative by (W_x)_ab is
    # (1 - c_a[1]) x_b[1] on row a only.
    _, c = gated_rnn.forward(x, W_c, W_h, W_x)
    eye = torch.eye(W_x.shape[0], dtype=D)
    first = torch.einsum("ja,j,b->jab", eye, 1 - c[0], x[0])
    torch.testing.assert_close(P[0], first)
