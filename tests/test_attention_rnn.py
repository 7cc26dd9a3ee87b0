"""hw2.attention_rnn: the AttentionRNN's closed forms (1.2.3) against autograd (hypothesis)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.autograd.functional import jacobian

from hw2 import attention_rnn, oracles
from strategies import tensors


@st.composite
def attention_case(draw):
    n = draw(st.integers(1, 4))
    k = draw(st.sampled_from([1, 2, 3, 5, None]))
    T = draw(st.integers(2, 7))
    scale = draw(st.sampled_from([0.5, 1.0, 4.0]))  # 4.0: softmax saturates
    model = attention_rnn.AttentionRNN(n, k, scale=scale).double()
    with torch.no_grad():  # weights of the initialisation's size, drawn by hypothesis
        for p in model.parameters():
            p.copy_(draw(tensors(n, n, bound=scale)))
    return model, draw(tensors(T, n)), draw(tensors(T, n))


@given(attention_case())
def test_attention_shapes(case):
    model, x, _ = case
    h, a = model(x)
    assert h.shape == x.shape
    if model.k is None:
        assert [len(a_t) for a_t in a] == list(range(1, len(x) + 1))
        assert len(model.Q) == 2
    else:
        assert a.shape == (len(x), model.k + 1)
        torch.testing.assert_close(a.sum(1), torch.ones(len(x), dtype=x.dtype))


@pytest.mark.parametrize(
    "jacobian", [attention_rnn.step_jacobian, attention_rnn.step_jacobian_softmax]
)
@given(attention_case(), st.data())
def test_attention_step_jacobian_matches_autograd(jacobian, case, data):
    """Both written forms: the column-times-row one and the softmax-Jacobian one."""
    model, x, _ = case
    t = data.draw(st.integers(1, len(x) - 1))
    torch.testing.assert_close(jacobian(model, x, t), oracles.attention_step_jacobian(model, x, t))


@given(attention_case(), st.data())
def test_attention_grad_h_matches_autograd(case, data):
    model, x, g = case
    expected = oracles.attention_state_grads(model, x, g)
    t = data.draw(st.integers(0, len(x) - 1))
    torch.testing.assert_close(attention_rnn.grad_h(model, x, g, t), expected[t])


@pytest.mark.parametrize("k", [1, 2, 4, None])
def test_attention_jacobian_norms_match_autograd(k):
    torch.manual_seed(1)
    model = attention_rnn.AttentionRNN(3, k).double()
    x = torch.randn(6, 3, dtype=torch.float64)
    hs, _ = model.states(x)
    hs[0].retain_grad()
    # Rows of dh[T-1]/dh[0] by autograd, one output coordinate at a time.
    rows = []
    for j in range(3):
        hs, _ = model.states(x)
        (grad,) = torch.autograd.grad(hs[-1][j], hs[0])
        rows.append(grad)
    expected = torch.linalg.matrix_norm(torch.stack(rows), ord=2)
    torch.testing.assert_close(attention_rnn.jacobian_norms(model, x)[-1].detach(), expected)


def test_tanh_baseline_matches_autograd():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(4, 4, generator=g, dtype=torch.float64)
    U = torch.randn(4, 4, generator=g, dtype=torch.float64)
    x = torch.randn(5, 4, generator=g, dtype=torch.float64)
    h0 = torch.tanh(U @ x[0])

    def run_from(h):
        for x_t in x[1:]:
            h = torch.tanh(W @ h + U @ x_t)
        return h

    expected = torch.linalg.matrix_norm(jacobian(run_from, h0), ord=2)
    torch.testing.assert_close(attention_rnn.tanh_rnn_jacobian_norms(W, U, x)[-1], expected)


@pytest.mark.parametrize(
    "k, error",
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)],
)
def test_attention_bad_k(k, error):
    with pytest.raises(error, match="k must be"):
        attention_rnn.AttentionRNN(3, k)


def test_attention_bad_shapes():
    model = attention_rnn.AttentionRNN(3, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(T, 3\)"):
        model(torch.zeros(4, 2))
    with pytest.raises(ValueError, match="t must be"):
        attention_rnn.step_jacobian(model, torch.zeros(4, 3), 4)
    with pytest.raises(ValueError, match="dl_dh must have shape"):
        attention_rnn.grad_h(model, torch.zeros(4, 3), torch.zeros(3, 3), 1)
    with pytest.raises(ValueError, match="n must be"):
        attention_rnn.AttentionRNN(0, 2)


def test_with_weights_and_the_step_jacobian_at_one_step():
    torch.manual_seed(0)
    model = attention_rnn.AttentionRNN(3, 2).double()
    Q, K, V = ([p.detach().clone() for p in ps] for ps in (model.Q, model.K, model.V))
    copy = attention_rnn.with_weights(Q, K, V, 2)
    xs = torch.randn(5, 3, dtype=torch.float64)
    assert torch.equal(copy(xs)[0], model(xs)[0])
    hs, _ = model.states(xs)
    at = attention_rnn.step_jacobian_at(model, xs[4], [hs[3], hs[2]])
    assert torch.allclose(at, attention_rnn.step_jacobian(model, xs, 4))
    with pytest.raises(ValueError, match="Q must hold 3"):
        attention_rnn.with_weights(Q[:2], K, V, 2)


def test_softmax_form_needs_a_previous_state():
    model = attention_rnn.AttentionRNN(2, 2).double()
    with pytest.raises(ValueError, match="t"):
        attention_rnn.step_jacobian_softmax(model, torch.zeros(3, 2, dtype=torch.float64), 0)


def test_tied_attention_weights_keep_their_ratios():
    """AttentionRNN(inf): a past state's score depends on its content only, so the
    ratio of two past states' weights is the same at every later step."""
    torch.manual_seed(3)
    model = attention_rnn.AttentionRNN(3, None, scale=2.0).double()
    _, weights = model(torch.randn(8, 3, dtype=torch.float64))
    ratios = torch.stack([w[t] / w[t - 1] for t, w in enumerate(weights) if t >= 2])
    torch.testing.assert_close(ratios, ratios[:1].expand_as(ratios))
