"""hw2.conv against autograd and torch.nn.functional, over many shapes (hypothesis)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.autograd.functional import jacobian
from torch.nn import functional as F

from hw2 import conv
from strategies import tensors


@st.composite
def layer(draw):
    """A random 1-D layer: channels, filters, kernel, stride, length >= kernel."""
    c = draw(st.integers(1, 6))
    f = draw(st.integers(1, 4))
    k = draw(st.integers(1, 5))
    s = draw(st.integers(1, 4))
    n = draw(st.integers(k, k + 12))
    return draw(tensors(c, n)), draw(tensors(f, c, k)), s


@given(layer())
def test_conv1d_matches_functional(case):
    x, w, s = case
    expected = F.conv1d(x[None], w, stride=s)[0]
    torch.testing.assert_close(conv.conv1d(x, w, s), expected)


@given(layer())
def test_jacobian_weight_matches_autograd(case):
    x, w, s = case
    expected = jacobian(lambda w_: F.conv1d(x[None], w_, stride=s)[0], w)
    torch.testing.assert_close(conv.conv1d_jacobian_weight(x, w.shape, s), expected)


@given(layer())
def test_jacobian_input_matches_autograd(case):
    x, w, s = case
    expected = jacobian(lambda x_: F.conv1d(x_[None], w, stride=s)[0], x)
    torch.testing.assert_close(conv.conv1d_jacobian_input(w, x.shape[1], s), expected)


@given(st.data())
def test_gradients_match_autograd_and_torch_ops(data):
    x, w, s = data.draw(layer())
    x = x.clone().requires_grad_(True)
    w = w.clone().requires_grad_(True)
    out = F.conv1d(x[None], w, stride=s)[0]
    g = data.draw(tensors(*out.shape))
    (out * g).sum().backward()
    k = w.shape[2]
    dw = conv.conv1d_weight_grad(x.detach(), g, k, s)
    dx = conv.conv1d_input_grad(w.detach(), g, x.shape[1], s)
    torch.testing.assert_close(dw, w.grad)
    torch.testing.assert_close(dx, x.grad)
    # (iv): dl/dW is a cross-correlation of x with g dilated by the stride ...
    corr = F.conv1d(x.detach()[:, None, :], g[:, None, :], dilation=s)[:, :, :k]
    torch.testing.assert_close(dw, corr.permute(1, 0, 2))
    # ... and dl/dx a transposed convolution of g with W.
    extra = x.shape[1] - ((g.shape[1] - 1) * s + k)
    tconv = F.conv_transpose1d(g[None], w.detach(), stride=s, output_padding=extra)[0]
    torch.testing.assert_close(dx, tconv)


@st.composite
def nd_config(draw):
    ndim = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    s = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    p = tuple(draw(st.integers(0, 3)) for _ in range(ndim))
    d = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    n = tuple(
        max(1, d_ * (k_ - 1) + 1 - 2 * p_) + draw(st.integers(0, 9)) for k_, p_, d_ in zip(k, p, d)
    )
    return n, k, s, p, d


@given(nd_config(), st.integers(1, 3), st.integers(1, 3))
def test_output_shape_matches_torch_layers(cfg, c, f):
    n, k, s, p, d = cfg
    layer_cls = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[len(n)]
    layer_ = layer_cls(c, f, k, stride=s, padding=p, dilation=d)
    with torch.no_grad():
        out = layer_(torch.zeros(1, c, *n))
    assert out.shape[2:] == conv.conv_output_shape(n, k, s, p, d)
    assert out.shape[1] == f


def test_homework_case_a():
    assert conv.conv_output_shape((12, 21), (5, 4), stride=4) == (2, 5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(spatial=(5, 5), kernel_size=0), "kernel_size must be an int >= 1"),
        (dict(spatial=(5, 5), kernel_size=3, stride=0), "stride must be an int >= 1"),
        (dict(spatial=(5, 5), kernel_size=3, dilation=0), "dilation must be an int >= 1"),
        (dict(spatial=(5, 5), kernel_size=3, padding=-1), "padding must be an int >= 0"),
        (dict(spatial=(5, 5), kernel_size=(3, 3, 3)), "kernel_size has 3 entries"),
        (dict(spatial=(5, 5), kernel_size=3, stride=(1,)), "stride has 1 entries"),
        (dict(spatial=(5, 5), kernel_size=3, dilation=3), "dilated kernel spans 7"),
        (dict(spatial=(2,), kernel_size=5, padding=1), "more than the padded input's 4"),
        (dict(spatial=(0, 4), kernel_size=1), "spatial must be an int >= 1"),
        (dict(spatial=(), kernel_size=1), "at least one dimension"),
    ],
)
def test_output_shape_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv.conv_output_shape(**kwargs)


@pytest.mark.parametrize(
    "bad",
    [
        dict(spatial=5, kernel_size=1),
        dict(spatial=(5,), kernel_size=1.5),
        dict(spatial=(5,), kernel_size=True),
    ],
)
def test_output_shape_type_errors(bad):
    with pytest.raises(TypeError):
        conv.conv_output_shape(**bad)


def test_1d_errors():
    x = torch.zeros(5, 7)
    with pytest.raises(ValueError, match="input channels"):
        conv.conv1d(x, torch.zeros(1, 4, 3), 2)
    with pytest.raises(ValueError, match="exceeds the length"):
        conv.conv1d(x, torch.zeros(1, 5, 8), 1)
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        conv.conv1d(x, torch.zeros(1, 5, 3), 0)
    with pytest.raises(ValueError, match=r"shape \(C, N\)"):
        conv.conv1d(torch.zeros(7), torch.zeros(1, 5, 3))
    with pytest.raises(ValueError, match="shorter than the kernel"):
        conv.conv1d_jacobian_input(torch.zeros(1, 5, 3), 2)
    with pytest.raises(ValueError, match="grad_output must have shape"):
        conv.conv1d_weight_grad(x, torch.zeros(1, 4), 3, 2)
    with pytest.raises(ValueError, match="kernel_size must be an int >= 1"):
        conv.conv1d_weight_grad(x, torch.zeros(1, 3), 0, 2)
    with pytest.raises(ValueError, match="grad_output must have shape"):
        conv.conv1d_input_grad(torch.zeros(1, 5, 3), torch.zeros(2, 3), 7, 2)
    with pytest.raises(TypeError, match="stride"):
        conv.conv1d(x, torch.zeros(1, 5, 3), 2.0)
