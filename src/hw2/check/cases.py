"""What the theory checks share: the range of drawn entries, tensors drawn by hypothesis
(shrinking towards 0), and a trial that compares an answer with its oracle."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from .engine import Failure, call, compare

__all__ = ["HIGH", "LOW", "RANGE"]

LOW, HIGH = -3.0, 3.0  # the range of every drawn entry
RANGE = f"entries in [{LOW:g}, {HIGH:g}]"


def _function(fn: object, signature: str) -> Callable:
    if not callable(fn):
        raise TypeError(f"fn must be a function {signature}, got {type(fn).__name__}")
    return fn


def _matrix(*shape: int) -> st.SearchStrategy:
    """Float64 tensors of ``shape``; hypothesis shrinks their entries towards 0."""
    elements = st.floats(LOW, HIGH, allow_nan=False, allow_subnormal=False)
    return arrays(np.float64, shape, elements=elements).map(torch.from_numpy)


def _trial(
    fn: Callable, oracle: Callable, names: Sequence[str], **compare_kw: object
) -> Callable[[tuple], Failure | None]:
    """A trial: call ``fn`` and ``oracle`` on one case (a tuple of inputs called
    ``names``) and compare; a failure carries the inputs."""

    def trial(case: tuple) -> Failure | None:
        got, why = call(fn, *[_copy(v) for v in case])
        failure = Failure(why) if why else compare(oracle(*case), got, **compare_kw)
        if failure is not None:
            failure.inputs = dict(zip(names, case))
        return failure

    return trial


def _copy(value: object) -> object:
    """A fresh copy, so that an answer that writes into its inputs spoils nothing."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
