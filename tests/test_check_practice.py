"""hw2.check's practical checks on echo models and loss curves built like students'
answers: echo failures show their pattern (per delay, per position, a typical string, a
shared error); a class passed for a trained instance is a TypeError; the spike rule reads
raw curves and the final accuracy. The CNN's check is in test_check_cnn.py."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from torch import nn

from hw2 import check, echo

# --- C: loss curves ----------------------------------------------------------------------

DONE = [0.5, 0.9, 0.99, 0.996, 0.998]  # test accuracy per epoch, a fraction


def test_spike_free_uses_the_chapters_rule():
    assert check.spike_free([1.4, 1.0, 0.5, 0.2, 0.25], np.linspace(1.4, 0.1, 5), DONE)
    spiky = check.spike_free([1.4, 1.0, 0.5, 0.1, 2.5], [1.4, 1.1, 0.6, 0.2, 0.1], DONE)
    assert not spiky.passed and "train_loss rises by 2.4 at epoch 5" in spiky.failure.why
    test_spike = check.spike_free(torch.linspace(1.4, 0.1, 5), [1.4, 0.2, 0.1, 0.6, 0.1], DONE)
    assert not test_spike.passed and "test_loss" in test_spike.failure.why
    nan = check.spike_free([1.0, math.nan], [1.0, 0.5], [0.5, 1.0])
    assert "not finite at epoch 2" in nan.failure.why


def test_a_curve_that_never_learns_fails_on_final_accuracy():
    flat = [math.log(4)] * 100
    report = check.spike_free(flat, flat, [25.0] * 100)  # percent, as the course prints
    assert not report.passed and "final test accuracy 25.0%" in report.failure.why
    assert "percent" in str(report)
    assert not check.spike_free(flat, flat)  # without accuracies the rule can't be met
    assert "none given" in check.spike_free(flat, flat).failure.why


def test_every_part_of_the_rule_is_reported_at_once():
    report = check.spike_free([1.4, 0.1, 1.0], [1.4, 0.1, 0.9], [0.3, 0.6, 0.9])
    assert report.failure.why.startswith("3 parts of the rule not met")


def test_the_report_says_it_reads_raw_per_epoch_values():
    rng = np.random.default_rng(0)
    raw = np.exp(-np.arange(60) / 10) + rng.uniform(0, 0.05, 60)
    raw[40] += 0.9  # one spike, as a plotted last-batch loss shows it
    smooth = raw.copy()  # an exponential moving average, as plotting tools offer
    for e in range(1, 60):
        smooth[e] = 0.9 * smooth[e - 1] + 0.1 * raw[e]
    assert not check.spike_free(raw, raw, [1.0] * 60)
    report = check.spike_free(smooth, smooth, [1.0] * 60)
    assert "raw per-epoch values" in str(report) and "smoothed" in str(report)
    assert "epochs counted from 1" in str(report)


def test_a_history_may_be_passed_alone():
    good = {
        "train_loss": [1.4, 0.5, 0.2],
        "test_loss": [1.4, 0.6, 0.3],
        "test_acc": [50.0, 99.0, 100.0],
    }
    assert check.spike_free(good)
    assert not check.spike_free({**good, "test_acc": [50.0, 99.0, 98.0]})


def test_spike_free_arguments_are_checked():
    with pytest.raises(TypeError, match="train_loss"):
        check.spike_free(3.0, [1.0, 0.5], [0.5, 0.9])
    with pytest.raises(TypeError, match="test_acc"):
        check.spike_free([1.0, 0.5], [1.0, 0.5], "high")
    with pytest.raises(ValueError, match="test_loss"):
        check.spike_free([1.0, 0.5], [1.0], [0.5, 0.9])


# --- B: echo ---------------------------------------------------------------------------


class Oracle(nn.Module):
    """A perfect echo written as string slicing: another correct answer."""

    max_delay = 8

    def test_run(self, s, delay=4):
        return " " * delay + s[: len(s) - delay]


class Queue(nn.Module):
    """Another correct echo: a queue of the last characters, one step at a time."""

    max_delay = 8

    def test_run(self, s, delay=4):
        queue, out = [" "] * delay, []
        for c in s:
            queue.append(c)
            out.append(queue.pop(0))
        return "".join(out)


class OffByOne(Oracle):
    def test_run(self, s, delay=4):
        return super().test_run(s, delay + 1)[: len(s)]


class WrongLength(Oracle):
    def test_run(self, s, delay=4):
        return super().test_run(s, delay)[:-1]


class Noisy(Oracle):
    """Wrong on about one character in five, at random (a softmax before the loss)."""

    def __init__(self, rate=0.2):
        super().__init__()
        self.rate, self.rng = rate, random.Random(0)

    def test_run(self, s, delay=4):
        out = super().test_run(s, delay)
        return "".join(
            c if self.rng.random() > self.rate else "q" if c != "q" else "z" for c in out
        )


class BadAtEight(Noisy):
    """Right on every delay but 8, where about a third of the characters are wrong."""

    def test_run(self, s, delay=4):
        return super().test_run(s, delay) if delay == 8 else Oracle.test_run(self, s, delay)


def test_echo_checks():
    model, _ = echo.train_echo()
    variable, _ = echo.train_variable_delay()
    for right in (model, Oracle(), Queue()):
        assert check.echo_model(right).passed
    for right in (variable, Oracle(), Queue()):
        assert check.echo_variable_delay_model(right).passed
    for wrong in [echo.GRUMemory(), OffByOne(), WrongLength()]:
        report = check.echo_model(wrong)
        assert not report.passed and report.failure.inputs["s"], str(report)
    untrained = check.echo_variable_delay_model(echo.VariableDelayGRUMemory())
    assert not untrained.passed and "accuracy" in untrained.failure.why
    short = Oracle()
    short.max_delay = 4
    assert "max_delay" in check.echo_variable_delay_model(short).failure.why


@pytest.mark.parametrize("check_fn", [check.echo_model, check.echo_variable_delay_model])
def test_a_class_passed_for_a_trained_instance_is_a_type_error(check_fn):
    with pytest.raises(TypeError, match="trained .*instance.*class Oracle"):
        check_fn(Oracle)
    with pytest.raises(TypeError, match="instance.*class GRUMemory"):
        check.echo_model(echo.GRUMemory)


def test_the_failing_string_shown_is_typical_not_a_near_miss():
    report = check.echo_model(Noisy())
    assert not report.passed
    errors = int(report.failure.label.split("(")[1].split()[0])
    assert errors >= 2, str(report)  # a 20% error rate: a near miss would show one
    assert "median" in report.failure.label
    assert "Accuracy per position" in str(report)
    assert "are 'q'" in str(report)  # the same wrong letter every time


def test_a_failure_on_one_delay_is_shown_per_delay():
    report = check.echo_variable_delay_model(BadAtEight(rate=0.35))
    assert not report.passed, str(report)
    text = str(report)
    assert "Accuracy per delay" in text and "(lowest at delay 8)" in text
    assert "at delay 8." in text  # the errors' pattern
    assert report.failure.inputs["delay"] == 8  # the typical string is from delay 8
    assert "Accuracy per delay" in str(check.echo_variable_delay_model(Oracle()))


def test_a_shifted_echo_is_named_as_such():
    report = check.echo_model(OffByOne())
    assert "one step late" in str(report)
