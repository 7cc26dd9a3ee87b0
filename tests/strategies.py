"""Hypothesis strategies the property tests share: tensors whose entries hypothesis
draws itself, so that a failing case shrinks to small shapes *and* small values."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays


def tensors(*shape: int, bound: float = 3.0) -> st.SearchStrategy[torch.Tensor]:
    """float64 tensors of ``shape``, entries in [-bound, bound]; they shrink towards 0."""
    elements = st.floats(-bound, bound, allow_nan=False, allow_subnormal=False)
    return arrays(np.float64, shape, elements=elements).map(torch.from_numpy)
