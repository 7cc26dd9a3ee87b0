"""hw2.check: the book's own answers pass, other correct formulations pass, typical
mistakes fail with a shrunk counterexample, and a crashing, hanging or NaN answer gives a
failing report instead of an exception."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from hw2 import attention_rnn, check, conv, gated_rnn
from hw2.check import engine

# --- answers: the book's, other correct ones, typical mistakes -------------------------


def loop_conv(x, W):
    out = torch.zeros(1, 3, dtype=x.dtype)
    for i in range(3):
        out[0, i] = (W[0] * x[:, 2 * i : 2 * i + 3]).sum()
    return out


def attention_step(x, h1, h2, Q, K, V):
    s = [x, h1, h2]
    q, k, v = ([M[i] @ s[i] for i in range(3)] for M in (Q, K, V))
    a = torch.softmax(torch.stack([q[i] @ k[i] for i in range(3)]), 0)
    return s, q, k, v, a, sum(a[i] * v[i] for i in range(3))


def attention_jacobian_book(x, h1, h2, Q, K, V, q_term=True):
    s, q, k, v, a, h = attention_step(x, h1, h2, Q, K, V)
    return a[1] * (V[1] + torch.outer(v[1] - h, q_term * Q[1].T @ k[1] + K[1].T @ q[1]))


def attention_jacobian_numpy(x, h1, h2, Q, K, V):
    """The same formula entry by entry in NumPy."""
    x, h1, h2 = (t.numpy() for t in (x, h1, h2))
    Q, K, V = ([m.numpy() for m in M] for M in (Q, K, V))
    s = [x, h1, h2]
    w = np.array([(Q[i] @ s[i]) @ (K[i] @ s[i]) for i in range(3)])
    a = np.exp(w - w.max()) / np.exp(w - w.max()).sum()
    h = sum(a[i] * V[i] @ s[i] for i in range(3))
    grad_w = Q[1].T @ K[1] @ h1 + K[1].T @ Q[1] @ h1
    v1 = V[1] @ h1
    return [
        [a[1] * (V[1][r, c] + (v1[r] - h[r]) * grad_w[c]) for c in range(len(x))]
        for r in range(len(x))
    ]


def with_model(k):
    """AttentionRNN(k) (``None``: inf) of hw2 loaded with the given matrices."""

    def run(xs, Q, K, V):
        model = attention_rnn.AttentionRNN(xs.shape[1], k).double()
        with torch.no_grad():
            for params, values in zip((model.Q, model.K, model.V), (Q, K, V)):
                for p, v in zip(params, values):
                    p.copy_(v)
            return model(xs)[0]

    return run


def rnn_loop(xs, Q, K, V, lags=None, inputs_only=False):
    k = len(Q) - 1
    lags = k if lags is None else lags
    hs = []
    for t, x in enumerate(xs):
        past = [hs[t - i] if t - i >= 0 else torch.zeros_like(x) for i in range(1, lags + 1)]
        if inputs_only:
            past = [torch.zeros_like(x)] * lags
        h, _ = (
            lambda s: (
                sum(
                    torch.softmax(
                        torch.stack([(Q[i] @ s[i]) @ (K[i] @ s[i]) for i in range(len(s))]), 0
                    )[i]
                    * (V[i] @ s[i])
                    for i in range(len(s))
                ),
                None,
            )
        )([x, *past])
        hs.append(h)
    return torch.stack(hs)


def inf_loop(xs, Q, K, V):
    hs = []
    for x in xs:
        s = [x, *hs[::-1]]
        tie = [0] + [1] * len(hs)
        w = torch.stack([(Q[j] @ si) @ (K[j] @ si) for j, si in zip(tie, s)])
        hs.append(torch.softmax(w, 0) @ torch.stack([V[j] @ si for j, si in zip(tie, s)]))
    return torch.stack(hs)


def gated_forward_gates(x, Wc, Wh, Wx):
    return gated_rnn.forward(x, Wc, Wh, Wx)[1]


def gated_no_recursion(x, Wc, Wh, Wx, g):
    return torch.einsum("tm,tn->mn", (1 - gated_forward_gates(x, Wc, Wh, Wx)) * g, x)


def gated_no_gate_term(x, Wc, Wh, Wx, g):
    """The recursion keeps only diag(c): the path through the gate is missing."""
    h, c = gated_rnn.forward(x, Wc, Wh, Wx)
    deltas = [g[-1]]
    for t in range(len(x) - 2, -1, -1):
        deltas.insert(0, g[t] + c[t + 1] * deltas[0])
    return torch.einsum("tm,tn->mn", (1 - c) * torch.stack(deltas), x)


def gated_loop(x, Wc, Wh, Wx, g):
    """Reading 2 through autograd-free forward-mode sums, by a loop over entries."""
    m, n = Wx.shape
    out = np.zeros((m, n))
    deltas = gated_rnn.backward_deltas(x, Wc, Wh, Wx, g).numpy()
    c = gated_forward_gates(x, Wc, Wh, Wx).numpy()
    for j in range(m):
        for k in range(n):
            out[j, k] = sum(deltas[t, j] * (1 - c[t, j]) * x[t, k].item() for t in range(len(x)))
    return out.tolist()


CASES = {
    # check: (book's answer, [other correct formulations], [typical mistakes])
    "conv_output_shape": (
        lambda C, H, W, K, P, S, D, F_: (F_, *conv.conv_output_shape((H, W), K, S, P, D)),
        [
            lambda C, H, W, K, P, S, D, F_: (
                [F_] + [(n + 2 * P - D * (K - 1) - 1) // S + 1 for n in (H, W)]
            ),
            lambda C, H, W, K, P, S, D, F_: np.array(
                [F_, *[math.floor((n + 2 * P - D * K + D - 1) / S) + 1 for n in (H, W)]]
            ),
        ],
        [
            lambda C, H, W, K, P, S, D, F_: (
                F_,
                (H + 2 * P - K) // S + 1,
                (W + 2 * P - K) // S + 1,
            ),
            lambda C, H, W, K, P, S, D, F_: (C, *conv.conv_output_shape((H, W), K, S, P, D)),
            lambda C, H, W, K, P, S, D, F_: (F_, *[(n - D * (K - 1) - 1) // S + 1 for n in (H, W)]),
        ],
    ),  # no padding
    "conv1d_forward": (
        lambda x, W: conv.conv1d(x, W, 2),
        [
            loop_conv,
            lambda x, W: np.einsum(
                "ck,cik->i", W[0].numpy(), x.numpy()[:, [[0, 1, 2], [2, 3, 4], [4, 5, 6]]]
            ),
        ],
        [
            lambda x, W: conv.conv1d(x, W.flip(-1), 2),  # convolution, not cross-correlation
            lambda x, W: conv.conv1d(x[:, 1:], W, 2),  # off-by-one windows
            lambda x, W: conv.conv1d(x, W, 1)[:, :3],
        ],
    ),  # stride 1
    "conv1d_dfdW": (
        lambda x: conv.conv1d_jacobian_weight(x, (1, 5, 3), 2),
        [
            lambda x: x[:, [[0, 1, 2], [2, 3, 4], [4, 5, 6]]].permute(1, 0, 2),  # squeezed
            lambda x: torch.stack([x[:, 2 * i : 2 * i + 3] for i in range(3)])[None, :, None],
        ],
        [
            lambda x: x[:, [[0, 1, 2], [1, 2, 3], [2, 3, 4]]].permute(1, 0, 2),  # stride 1
            lambda x: x[:, [[2, 1, 0], [4, 3, 2], [6, 5, 4]]].permute(1, 0, 2),  # flipped
            lambda x: x[:, [[1, 2, 3], [3, 4, 5], [5, 6, 6]]].permute(1, 0, 2),
        ],
    ),  # off by one
    "conv1d_dfdx": (
        lambda W: conv.conv1d_jacobian_input(W, 7, 2),
        [
            lambda W: torch.stack([F.pad(W[0], (2 * i, 4 - 2 * i)) for i in range(3)]),
            lambda W: np.einsum(
                "ck,ikn->icn", W[0].numpy(), np.eye(7)[[[0, 1, 2], [2, 3, 4], [4, 5, 6]]]
            ),
        ],
        [
            lambda W: conv.conv1d_jacobian_input(W.flip(-1), 7, 2),
            lambda W: torch.stack([F.pad(W[0], (i, 4 - i)) for i in range(3)]),
            lambda W: conv.conv1d_jacobian_input(W, 7, 2).transpose(-1, -2),
        ],
    ),
    "conv1d_dldW": (
        lambda x, g: conv.conv1d_weight_grad(x, g, 3, 2),
        [
            lambda x, g: sum(g[0, i] * x[:, 2 * i : 2 * i + 3] for i in range(3)),
            lambda x, g: F.conv1d(x[:, None], g[None], dilation=2)[:, 0][None],
        ],
        [
            lambda x, g: F.conv1d(x[:, None], g[None], dilation=1)[:, 0, :3][None],
            lambda x, g: sum(g[0, i] * x[:, 2 * i : 2 * i + 3] for i in range(3)).flip(-1),
            lambda x, g: conv.conv1d_weight_grad(x, g.flip(-1), 3, 2),
        ],
    ),
    "gated_dldWx": (
        gated_rnn.grad_W_x,
        [gated_loop, lambda *a: gated_rnn.grad_W_x(*a).numpy()],
        [gated_no_recursion, gated_no_gate_term, lambda *a: gated_rnn.grad_W_x(*a).T],
    ),
    "attention_jacobian": (
        attention_jacobian_book,
        [
            attention_jacobian_numpy,
            lambda *a: torch.autograd.functional.jacobian(
                lambda h: attention_step(a[0], h, *a[2:])[-1], a[1]
            ),
        ],
        [
            lambda *a: attention_step(*a)[4][1] * a[4][1],  # no path through the weights
            lambda *a: attention_jacobian_book(*a).T,
            lambda *a: attention_jacobian_book(*a, q_term=False),
        ],
    ),  # half of dw/dh
    "attention_rnn_k": (
        with_model(2),
        [rnn_loop, lambda xs, Q, K, V: rnn_loop(xs, Q, K, V).numpy()],
        [
            lambda *a: rnn_loop(*a, inputs_only=True),  # no recursion
            lambda *a: rnn_loop(*a, lags=1),  # one state too few
            lambda xs, Q, K, V: rnn_loop(xs, Q, V, K),
        ],
    ),
    "attention_rnn_inf": (
        with_model(None),
        [inf_loop, lambda xs, Q, K, V: with_model(None)(xs, Q, K, V).tolist()],
        [
            lambda xs, Q, K, V: with_model(1)(xs, Q, K, V),  # only the last state
            lambda xs, Q, K, V: rnn_loop(xs, Q, K, V, inputs_only=True),
            lambda xs, Q, K, V: with_model(None)(xs, Q[::-1], K[::-1], V[::-1]),
        ],
    ),
    "attention_dldh": (
        lambda dl, J: sum(J[i].T @ dl[i] for i in range(min(2, len(dl)))),
        [
            lambda dl, J: torch.einsum("ji,jik->k", dl[:2], J[:2]),
            lambda dl, J: np.einsum("ji,jik->k", dl.numpy()[:2], J.numpy()[:2]),
        ],
        [
            lambda dl, J: torch.einsum("ji,jik->k", dl, J),  # every later state
            lambda dl, J: torch.einsum("ji,jki->k", dl[:2], J[:2]),  # not transposed
            lambda dl, J: J[0].T @ dl[0],
        ],
    ),  # lag 1 only
}

CHECKS = {name: getattr(check, name) for name in CASES}


@pytest.mark.parametrize("name", CASES)
def test_the_books_answer_and_other_correct_ones_pass(name):
    book, others, _ = CASES[name]
    for answer in [book, *others]:
        report = CHECKS[name](answer)
        assert report.passed, str(report)
        assert report.cases >= engine.MIN_CASES, str(report)


@pytest.mark.parametrize("name", CASES)
def test_typical_mistakes_fail_with_a_small_counterexample(name):
    for mistake in CASES[name][2]:
        report = CHECKS[name](mistake)
        assert not report.passed, str(report)
        failure = report.failure
        assert failure.inputs and (failure.where or "shape" in failure.why), str(report)
        text, markdown = str(report), report._repr_markdown_()
        assert text.startswith(f"FAILED {report.question}") and "Expected" in text
        assert "```" in markdown and "✗" in markdown


def test_size_answers():
    for right in [(2, 5), np.array([2, 5]), torch.tensor([2.0, 5.0])]:
        assert check.conv_output_size(right).passed
    for wrong in [(3, 5), (1, 4), (2, 6)]:  # rounded up, no +1, kernel sides swapped
        report = check.conv_output_size(wrong)
        assert not report.passed and "expected" in report.failure.where
    assert "shape" in check.conv_output_size((1, 2, 5)).failure.why


@pytest.mark.parametrize(
    "fn, arg",
    [
        (check.conv_output_size, 7),
        (check.conv_output_size, "2x5"),
        (check.conv_output_shape, 3),
        (check.conv1d_forward, torch.zeros(1, 3)),
        (check.gated_dldWx, None),
        (check.attention_jacobian, [1, 2]),
        (check.echo_model, "model"),
        (check.echo_variable_delay_model, 8),
        (check.cnn_model, lambda x: x),
    ],
)
def test_the_wrong_kind_of_answer_is_a_type_error(fn, arg):
    with pytest.raises(TypeError, match="must (be|have)"):
        fn(arg)


def test_arguments_of_the_checks_are_checked():
    with pytest.raises(ValueError, match="reading"):
        check.gated_dldWx(gated_rnn.grad_W_x, reading="both")
    with pytest.raises(ValueError, match="k must be"):
        check.attention_rnn_k(with_model(2), k=0)
    with pytest.raises(TypeError, match="train_loss"):
        check.spike_free(3.0, [1.0, 0.5])


def test_the_total_reading_of_the_gated_question():
    assert check.gated_dldWx(gated_no_recursion, reading="total").passed
    assert not check.gated_dldWx(gated_rnn.grad_W_x, reading="total").passed


def test_attention_rnn_for_other_k():
    for k in (1, 3):
        assert check.attention_rnn_k(with_model(k), k).passed
        assert check.attention_rnn_k(rnn_loop, k).passed
        assert not check.attention_rnn_k(with_model(k + 1), k).passed
