"""hw2.gated_rnn: the gated RNN's closed forms (1.2.1, 1.2.2) against autograd (hypothesis)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.autograd.functional import jacobian

from hw2 import gated_rnn, oracles
from strategies import tensors


@st.composite
def gated_case(draw):
    n, m, T = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 8))
    scale = draw(st.sampled_from([0.3, 1.0, 3.0]))

    def r(*shape):
        return draw(tensors(*shape))

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
    torch.testing.assert_close(
        gated_rnn.step_jacobian(x[t], h_prev, W_c, W_h, W_x),
        oracles.gated_step_jacobian(x[t], h_prev, W_c, W_h, W_x),
    )


@given(gated_case())
def test_backward_deltas_are_total_derivatives(case):
    x, W_c, W_h, W_x, g = case
    _, expected = oracles.gated_grads(x, W_c, W_h, W_x, g)
    torch.testing.assert_close(gated_rnn.backward_deltas(x, W_c, W_h, W_x, g), expected)


def test_gated_jacobian_norms_match_autograd():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 3, generator=g, dtype=torch.float64)
    W_c, W_h, W_x = (
        torch.randn(4, 3, generator=g, dtype=torch.float64),
        torch.randn(4, 4, generator=g, dtype=torch.float64),
        torch.randn(4, 3, generator=g, dtype=torch.float64),
    )
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
    runs = gated_rnn.regime_sweep(
        {"near1": (6.0, 1.0, 1.0), "near0": (-6.0, 1.0, 1.0)}, seeds=range(3)
    )
    assert set(runs) == {"near1", "near0"} and runs["near1"].shape == (3, 60)
    row = gated_rnn.jacobian_norms(*gated_rnn.regime(6.0, 1.0, 1.0, seed=2))
    torch.testing.assert_close(runs["near1"][2], row)
    # gates near 1 keep the state: the norm stays near 1; near 0 it is forgotten at once
    assert runs["near1"][:, -1].median() > 0.5 > runs["near0"][:, -1].median()


@given(gated_case())
def test_state_sensitivities_match_autograd(case):
    x, W_c, W_h, W_x, g = case
    P = gated_rnn.state_sensitivities(x, W_c, W_h, W_x)
    m, n = W_x.shape
    assert P.shape == (len(x), m, m, n)
    by_autograd = jacobian(lambda w: reference_forward(x, W_c, W_h, w), W_x)
    torch.testing.assert_close(P, by_autograd)


@given(gated_case())
def test_forward_mode_gradient_equals_the_reverse_one(case):
    x, W_c, W_h, W_x, g = case
    torch.testing.assert_close(
        gated_rnn.grad_W_x_forward(x, W_c, W_h, W_x, g), gated_rnn.grad_W_x(x, W_c, W_h, W_x, g)
    )


@st.composite
def wide_gated_case(draw):
    """Cases over a wide range of gate biases and weight scales (up to 10)."""
    n, m, T = draw(st.integers(2, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 8))
    bias = draw(st.floats(-6, 6))
    w_h, w_x = draw(st.floats(0.1, 10)), draw(st.floats(0.1, 10))
    x, W_c, W_h, W_x = gated_rnn.regime(
        bias, w_h, w_x, n=n, m=m, T=T, seed=draw(st.integers(0, 2**31 - 1))
    )
    return x, W_c, W_h, W_x


@given(wide_gated_case())
def test_jacobian_bound_holds_at_every_step(case):
    x, W_c, W_h, W_x = case
    h, _ = gated_rnn.forward(x, W_c, W_h, W_x)
    prev = torch.cat([torch.zeros_like(h[:1]), h[:-1]])
    for x_t, h_prev in zip(x, prev):
        J = gated_rnn.step_jacobian(x_t, h_prev, W_c, W_h, W_x)
        norm = torch.linalg.matrix_norm(J, ord=float("inf")).item()
        assert norm <= gated_rnn.jacobian_bound(x_t, h_prev, W_c, W_h, W_x) * (1 + 1e-12)


def test_jacobian_bound_is_reached_and_can_exceed_one():
    one = torch.ones(1, 1, dtype=torch.float64)
    # c = sigmoid(0) = 1/2 from h[0] = 0, W_x x = -4, W_h = 1: J = 1/2 + 1/4 * 4 = 3/2
    args = (one[0], torch.zeros(1, dtype=torch.float64), 0 * one, one, -4 * one)
    assert gated_rnn.step_jacobian(*args).item() == 1.5
    assert gated_rnn.jacobian_bound(*args) == 1.5
    # with no recurrent weight the Jacobian is diag(c), the bound max c
    args = (one[0], torch.zeros(1, dtype=torch.float64), one, 0 * one, -4 * one)
    c = torch.sigmoid(torch.tensor(1.0, dtype=torch.float64)).item()
    assert gated_rnn.jacobian_bound(*args) == pytest.approx(c)


@given(wide_gated_case())
def test_state_bound_holds(case):
    x, W_c, W_h, W_x = case
    h, _ = gated_rnn.forward(x, W_c, W_h, W_x)
    bound = gated_rnn.state_bound(x, W_x)
    assert bound.shape == (len(x),)
    assert (h.abs().amax(1) <= bound * (1 + 1e-12)).all()
    assert (bound[1:] >= bound[:-1]).all()  # a running maximum


def test_state_bound_is_reached_when_the_gates_shut():
    # Gates near 0: h[t] is (almost) W_x x[t] itself.
    x, W_c, W_h, W_x = gated_rnn.regime(-30.0, 1.0, 1.0, T=5)
    h, _ = gated_rnn.forward(x, W_c, W_h, W_x)
    torch.testing.assert_close(h.abs().amax(1)[0], gated_rnn.state_bound(x, W_x)[0])


def test_bound_and_forward_mode_errors():
    x = torch.zeros(3, 2)
    good = torch.zeros(4, 2), torch.zeros(4, 4), torch.zeros(4, 2)
    with pytest.raises(ValueError, match="x_t and h_prev"):
        gated_rnn.jacobian_bound(x, torch.zeros(4), *good)
    with pytest.raises(ValueError, match="h_prev must have shape"):
        gated_rnn.jacobian_bound(x[0], torch.zeros(3), *good)
    with pytest.raises(ValueError, match="x must have shape"):
        gated_rnn.state_bound(torch.zeros(3, 5), good[2])
    with pytest.raises(TypeError, match="W_x"):
        gated_rnn.state_bound(x, [[0.0]])
    with pytest.raises(ValueError, match="dl_dh must have shape"):
        gated_rnn.grad_W_x_forward(x, *good, torch.zeros(3, 3))
