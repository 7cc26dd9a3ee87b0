"""Theory 1.1: output sizes of convolutions and the derivatives of a 1-D convolution.

Every function here is computed from the formula derived in the book (index maps and
``einsum``), never from autograd or ``torch.nn.functional``: those are the oracles the
tests and the chapter check these functions against.

Index convention: the book writes formulas 1-based, as the assignment does; code is
0-based. Output position ``i`` (0-based) reads input positions ``stride * i + k`` for
``k = 0 ... K-1``; in 1-based terms, position ``i`` reads ``stride * (i - 1) + k``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._validate import check_int

__all__ = [
    "conv1d",
    "conv1d_input_grad",
    "conv1d_jacobian_input",
    "conv1d_jacobian_weight",
    "conv1d_weight_grad",
    "conv_output_shape",
    "window_index",
]

IntOrTuple = int | Sequence[int]


def _per_dim(name: str, value: IntOrTuple, ndim: int, low: int) -> tuple[int, ...]:
    """One int per spatial dimension, each ``>= low``: ``value`` repeated, or its entries."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        return (check_int(name, value, low=low),) * ndim
    if len(value) != ndim:
        raise ValueError(
            f"{name} has {len(value)} entries but the input has {ndim} spatial dimensions"
        )
    return tuple(check_int(name, v, low=low) for v in value)


def conv_output_shape(
    spatial: Sequence[int],
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> tuple[int, ...]:
    """Questions 1.1 (a) and (b): the spatial shape of a convolution's output.

    Per dimension: ``floor((n + 2p - d(k - 1) - 1) / s) + 1``. The number of output
    channels is the number of filters ``F``, independent of this formula.
    """
    if not isinstance(spatial, Sequence) or isinstance(spatial, str):
        raise TypeError(f"spatial must be a tuple of ints such as (H, W), got {spatial!r}")
    if len(spatial) == 0:
        raise ValueError("spatial must have at least one dimension")
    ndim = len(spatial)
    spatial = _per_dim("spatial", spatial, ndim, low=1)
    ks, ss = _per_dim("kernel_size", kernel_size, ndim, 1), _per_dim("stride", stride, ndim, 1)
    ps, ds = _per_dim("padding", padding, ndim, 0), _per_dim("dilation", dilation, ndim, 1)
    out = []
    for axis, (n, k, s, p, d) in enumerate(zip(spatial, ks, ss, ps, ds)):
        reach = d * (k - 1) + 1  # the dilated kernel's extent
        if reach > n + 2 * p:
            raise ValueError(
                f"kernel_size: the dilated kernel spans {reach} along dimension {axis}, "
                f"more than the padded input's {n + 2 * p}"
            )
        out.append((n + 2 * p - reach) // s + 1)
    return tuple(out)


def _check_1d(x: torch.Tensor | None, weight_shape: Sequence[int] | None, stride: int) -> None:
    check_int("stride", stride, low=1)
    if x is not None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 2:
            raise ValueError(f"x must have shape (C, N), got {tuple(x.shape)}")
    if weight_shape is not None:
        if len(weight_shape) != 3 or any(v < 1 for v in weight_shape):
            raise ValueError(f"weight must have shape (F, C, K), got {tuple(weight_shape)}")
        if x is not None:
            if weight_shape[1] != x.shape[0]:
                raise ValueError(
                    f"weight has {weight_shape[1]} input channels but x has {x.shape[0]}"
                )
            if weight_shape[2] > x.shape[1]:
                raise ValueError(
                    f"weight: kernel size {weight_shape[2]} exceeds the length {x.shape[1]} of x"
                )


def window_index(length: int, kernel_size: int, stride: int = 1) -> torch.Tensor:
    """The index map ``n(i, k) = stride * i + k`` (0-based), shape ``(N_out, K)``."""
    (n_out,) = conv_output_shape((length,), kernel_size, stride)
    return stride * torch.arange(n_out)[:, None] + torch.arange(kernel_size)[None, :]


def conv1d(x: torch.Tensor, weight: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """Question 1.1 (c)(i): ``f[f, i] = sum_{c,k} W[f, c, k] x[c, stride*i + k]``.

    ``x`` is ``(C, N)``, ``weight`` is ``(F, C, K)``; returns ``(F, N_out)``. No padding,
    dilation or bias, as in the homework's layer.
    """
    _check_1d(x, tuple(weight.shape), stride)
    windows = x[:, window_index(x.shape[1], weight.shape[2], stride)]  # (C, N_out, K)
    return torch.einsum("fck,cik->fi", weight, windows)


def conv1d_jacobian_weight(
    x: torch.Tensor, weight_shape: Sequence[int], stride: int = 1
) -> torch.Tensor:
    """Question 1.1 (c)(ii): ``d f[f, i] / d W[g, c, k] = delta(f, g) x[c, stride*i + k]``.

    Returns shape ``(F, N_out, F, C, K)``.
    """
    weight_shape = tuple(weight_shape)
    _check_1d(x, weight_shape, stride)
    n_filters = weight_shape[0]
    windows = x[:, window_index(x.shape[1], weight_shape[2], stride)]  # (C, N_out, K)
    eye = torch.eye(n_filters, dtype=x.dtype)
    return torch.einsum("fg,cik->figck", eye, windows)


def conv1d_jacobian_input(weight: torch.Tensor, length: int, stride: int = 1) -> torch.Tensor:
    """Question 1.1 (c)(iii): ``d f[f, i] / d x[c, n] = W[f, c, n - stride*i]`` when
    ``0 <= n - stride*i < K``, else 0. Returns shape ``(F, N_out, C, length)``.
    """
    check_int("length", length, low=1)
    _check_1d(None, tuple(weight.shape), stride)
    n_filters, channels, k = weight.shape
    if k > length:
        raise ValueError(f"length {length} is shorter than the kernel size {k}")
    index = window_index(length, k, stride)  # (N_out, K): where each tap lands
    n_out = index.shape[0]
    # One-hot of the landing position: placed[i, k, n] = 1 iff n == stride*i + k.
    placed = torch.nn.functional.one_hot(index, length).to(weight.dtype)
    jac = torch.einsum("fck,ikn->ficn", weight, placed)
    assert jac.shape == (n_filters, n_out, channels, length)
    return jac


def conv1d_weight_grad(
    x: torch.Tensor, grad_output: torch.Tensor, kernel_size: int, stride: int = 1
) -> torch.Tensor:
    """Question 1.1 (c)(iv): ``dl/dW[f, c, k] = sum_i dl/df[f, i] x[c, stride*i + k]``.

    ``grad_output`` is ``(F, N_out)``; returns ``(F, C, K)``: the cross-correlation of
    ``x`` with the output gradient dilated by the stride.
    """
    check_int("kernel_size", kernel_size, low=1)
    _check_1d(
        x, (grad_output.shape[0] if grad_output.dim() else 1, x.shape[0], kernel_size), stride
    )
    index = window_index(x.shape[1], kernel_size, stride)
    if grad_output.dim() != 2 or grad_output.shape[1] != index.shape[0]:
        raise ValueError(
            f"grad_output must have shape (F, {index.shape[0]}), got {tuple(grad_output.shape)}"
        )
    return torch.einsum("fi,cik->fck", grad_output, x[:, index])


def conv1d_input_grad(
    weight: torch.Tensor, grad_output: torch.Tensor, length: int, stride: int = 1
) -> torch.Tensor:
    """Question 1.1 (c)(iv), the other half of backprop: ``dl/dx[c, n] =
    sum_{f,i} dl/df[f, i] W[f, c, n - stride*i]``, a transposed convolution. ``(C, length)``.
    """
    jac = conv1d_jacobian_input(weight, length, stride)
    if grad_output.shape != jac.shape[:2]:
        raise ValueError(
            f"grad_output must have shape {tuple(jac.shape[:2])}, got {tuple(grad_output.shape)}"
        )
    return torch.einsum("fi,ficn->cn", grad_output, jac)


def sweep_output_shapes(n: int = 1000, seed: int = 0) -> tuple[int, int, list[dict]]:
    """Evidence for 1.1 (b): compare :func:`conv_output_shape` with the shape that
    ``torch.nn.Conv2d`` produces on ``n`` random valid configurations.

    Returns ``(agree, n, disagreements)``; each disagreement is the configuration.
    """
    check_int("n", n, low=1)
    g = torch.Generator().manual_seed(seed)

    def draw(low: int, high: int) -> int:
        return int(torch.randint(low, high + 1, (1,), generator=g))

    agree, bad = 0, []
    for _ in range(n):
        c, f = draw(1, 3), draw(1, 4)
        k = (draw(1, 7), draw(1, 7))
        s = (draw(1, 5), draw(1, 5))
        p = (draw(0, 3), draw(0, 3))
        d = (draw(1, 3), draw(1, 3))
        hw = tuple(max(1, d_ * (k_ - 1) + 1 - 2 * p_) + draw(0, 30) for k_, p_, d_ in zip(k, p, d))
        layer = torch.nn.Conv2d(c, f, k, stride=s, padding=p, dilation=d, bias=False)
        with torch.no_grad():
            out = layer(torch.zeros(1, c, *hw))
        if tuple(out.shape[1:]) == (f, *conv_output_shape(hw, k, s, p, d)):
            agree += 1
        else:
            bad.append(dict(spatial=hw, kernel_size=k, stride=s, padding=p, dilation=d))
    return agree, n, bad
