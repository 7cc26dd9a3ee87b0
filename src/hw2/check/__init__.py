"""The workbook: check *your own* answer to a question of the homework.

One function per question whose answer is a value, a shape or code. Each takes your
answer and returns a :class:`hw2.check.engine.Report` (shown as Markdown in a notebook,
as text by ``print``); ``bool(report)`` is whether it passed. A wrong answer, or code
that raises, returns NaN or hangs, gives a failing report with the smallest failing case
found, never an exception. ``TypeError`` means the argument is not the kind of answer
the question wants (a number where a function is expected, ...).

The oracles are PyTorch itself: ``torch.nn.Conv2d`` and ``torch.nn.functional.conv1d``
for shapes and values, autograd for every derivative, the homework's own check for the
trained models. Tensors, NumPy arrays and nested lists are accepted wherever a tensor is
returned; the check passes you float64 tensors.

Theory: :func:`conv_output_size` 1.1(a), :func:`conv_output_shape` 1.1(b),
:func:`conv1d_forward`, :func:`conv1d_dfdW`, :func:`conv1d_dfdx`, :func:`conv1d_dldW`
1.1(c)(i)-(iv), :func:`gated_dldWx` 1.2.1(c), :func:`attention_rnn_k` 1.2.2(c),
:func:`attention_rnn_inf` 1.2.2(d), :func:`attention_jacobian` 1.2.2(e),
:func:`attention_dldh` 1.2.2(f). Practice: :func:`cnn_model` A, :func:`echo_model` and
:func:`echo_variable_delay_model` B, :func:`spike_free` C (written in
:mod:`hw2.check.practice`, which reads a model by what it runs; the CNN's reading is
:mod:`hw2.check.cnn`).

Where it is written: :mod:`hw2.check.conv` (1.1), :mod:`hw2.check.rnn` (1.2),
:mod:`hw2.check.practice` (A, B, C) and :mod:`hw2.check.cnn`; the engine that tries
cases, shrinks failures and writes reports is :mod:`hw2.check.engine`.
"""

from .conv import (
    conv1d_dfdW,
    conv1d_dfdx,
    conv1d_dldW,
    conv1d_forward,
    conv_output_shape,
    conv_output_size,
)
from .engine import Report
from .practice import cnn_model, echo_model, echo_variable_delay_model, spike_free
from .rnn import (
    attention_dldh,
    attention_jacobian,
    attention_rnn_inf,
    attention_rnn_k,
    gated_dldWx,
)

__all__ = [
    "Report",
    "attention_dldh",
    "attention_jacobian",
    "attention_rnn_inf",
    "attention_rnn_k",
    "cnn_model",
    "conv1d_dfdW",
    "conv1d_dfdx",
    "conv1d_dldW",
    "conv1d_forward",
    "conv_output_shape",
    "conv_output_size",
    "echo_model",
    "echo_variable_delay_model",
    "gated_dldWx",
    "spike_free",
]
