"""hw2.check.engine: what a check does with any answer. Failures shrink to the simplest
inputs; an answer that returns NaN, raises or hangs gives a failing report, never an
exception; a wrong shape names the expected one; reports read as text and Markdown."""

from __future__ import annotations

import math
import time

import pytest
import torch

from hw2 import check, conv
from hw2.check import engine


def hang(*_):
    time.sleep(30)


def crash(*_):
    raise RuntimeError("shapes do not match")


def nan_answer(*_):
    return torch.full((1, 3), math.nan)


def test_a_failure_is_shrunk_to_the_simplest_inputs():
    report = check.conv1d_forward(lambda x, W: conv.conv1d(x, W.flip(-1), 2))
    x, W = report.failure.inputs["x"], report.failure.inputs["W"]
    # Shrinking leaves one non-zero entry in each: a one-hot input and kernel tap.
    assert int((x != 0).sum()) == 1 and int((W != 0).sum()) == 1


@pytest.mark.parametrize(
    "answer, why", [(nan_answer, "NaN"), (crash, "RuntimeError"), (hang, "took more than")]
)
def test_a_broken_answer_gives_a_report_not_an_exception(answer, why):
    report = check.conv1d_forward(answer)
    assert not report.passed and why in report.failure.why
    assert report.seconds < engine.TIME_LIMIT + 2 * engine.CALL_LIMIT


class SlowToSay(Exception):
    def __str__(self):
        time.sleep(0.3)  # reading the error outlasts the call's limit
        return "slow to say"


def raise_slow_to_say(*_):
    raise SlowToSay


def test_a_call_that_raises_near_its_limit_is_reported_not_interrupted_later():
    result, why = engine.call(raise_slow_to_say, limit=0.1)
    assert (
        result is None
        and why.startswith("your function raised")
        and why.endswith("SlowToSay: slow to say")
    )
    result, why = engine.call(hang, limit=0.1)
    assert result is None and "took more than 0.1 s" in why


def test_wrong_shapes_name_the_expected_shape():
    report = check.conv1d_dfdx(lambda W: torch.zeros(3, 7, 5))
    assert "expected (1, 3, 5, 7)" in report.failure.why


def test_compare_accepts_arrays_lists_and_squeezed_axes():
    want = torch.arange(6.0).reshape(1, 2, 3)
    assert engine.compare(want, [[0, 1, 2], [3, 4, 5]]) is None
    assert engine.compare(want, want.numpy()) is None
    assert "wrong shape" in engine.compare(want, [[0, 1, 2], [3, 4, 5]], squeeze=False).why
    assert "not an array" in engine.compare(want, "abc").why
    assert "infinite" in engine.compare(want, want.clone().fill_(math.inf)).why


def test_reports_read_as_text_and_markdown():
    report = check.conv1d_forward(lambda x, W: conv.conv1d(x, W, 2))
    assert bool(report) and str(report).startswith("PASSED 1.1(c)(i): ")
    assert report._repr_markdown_().startswith("**✓ PASSED 1.1(c)(i):** ")


def blank(x):
    """x: (5, 7)"""
    ...


def test_a_blank_answer_is_reported_as_not_answered_yet():
    for answer in (..., blank):
        report = check.conv1d_dfdW(answer)
        assert not report.passed and report.failure.why.startswith("no answer yet")
    assert check.cnn_model(...).failure.why.startswith("no answer yet")
    returns_none = check.conv1d_dfdW(lambda x: None)
    assert "returned None" in returns_none.failure.why
