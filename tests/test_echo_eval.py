"""hw2.echo_eval: the homework's check on models that are right or wrong by design, and
the book's aims."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from hw2 import echo_eval as evaluation


class Oracle(torch.nn.Module):
    """A perfect echo, to test the checks themselves."""

    max_delay = 8

    def test_run(self, s, delay=4):
        return " " * delay + s[: len(s) - delay]


class Broken(Oracle):
    def test_run(self, s, delay=4):
        return "a" * len(s)


class BadAtEight(Oracle):
    """Perfect except at delay 8, where it repeats nothing."""

    def test_run(self, s, delay=4):
        return " " * len(s) if delay == 8 else super().test_run(s, delay)


def test_checks_score_a_perfect_and_a_broken_model():
    assert evaluation.homework_accuracy(Oracle()) == 1.0
    assert evaluation.variable_delay_accuracy(Oracle()) == 1.0
    assert evaluation.homework_accuracy(Broken()) < 0.1
    assert evaluation.variable_delay_accuracy(Broken()) < 0.1
    per = evaluation.accuracy_per_delay(Broken())
    assert set(per) == set(range(9)) and max(per.values()) < 0.1


def test_per_delay_and_overall_accuracy_read_the_same_strings():
    per = evaluation.accuracy_per_delay(BadAtEight(), n=300, seed=2)
    assert per[8] == 0.0 and all(per[d] == 1.0 for d in range(8))
    overall = evaluation.variable_delay_accuracy(BadAtEight(), n=300, seed=2)
    strings = list(evaluation.homework_strings(300, 2, (20, 20), max_delay=8))
    missed = sum(20 - d for _, d in strings if d == 8)
    assert overall == pytest.approx(1 - missed / sum(20 - d for _, d in strings))


@pytest.mark.parametrize("kwargs", [dict(n=0), dict(seq_length=8), dict(n=1.5)])
def test_the_variable_check_rejects_bad_arguments(kwargs):
    with pytest.raises((ValueError, TypeError), match=next(iter(kwargs))):
        evaluation.variable_delay_accuracy(Oracle(), **kwargs)


def test_aims_are_read_from_the_package():
    aim = evaluation.AIM_VARIABLE
    assert evaluation.aims()["aim_fixed_s"] == evaluation.AIM_FIXED.seconds
    assert evaluation.aims()["homework_minutes"] == 10
    assert evaluation.aims()["aim_worst"] == pytest.approx(100 * aim.worst_delay)
    assert evaluation.meets(aim, aim.accuracy, aim.seconds, aim.worst_delay)
    assert not evaluation.meets(aim, aim.accuracy, aim.seconds + 1)
    assert not evaluation.meets(aim, 1.0, 1.0, aim.worst_delay - 0.01)
    assert not evaluation.meets(aim, aim.accuracy - 0.001, aim.seconds)
    with pytest.raises(TypeError, match="aim"):
        evaluation.meets(0.99, 1.0, 1.0)


def test_aim_table_shows_the_aim_the_measurement_and_the_verdict():
    aim = evaluation.AIM_VARIABLE
    rows = evaluation.aim_table(aim, 0.99972, 41.24, 0.9987).splitlines()
    assert len(rows) == 6  # header, rule, accuracy, time, worst delay, met
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows[2:]]
    assert cells[0][1:] == [f"at least {100 * aim.accuracy:g}%", "99.97%"]
    assert cells[1][1:] == [f"at most {aim.seconds:g} s", "41.2 s"]
    assert cells[2][2] == "99.87%" and cells[3][2] == "yes"
    late = evaluation.aim_table(aim, 0.99972, aim.seconds + 1, 0.9987).splitlines()
    assert late[-1].rstrip(" |").endswith("no")
    fixed = evaluation.aim_table(evaluation.AIM_FIXED, 0.9995, 10.0).splitlines()
    assert len(fixed) == 5 and fixed[-1].rstrip(" |").endswith("yes")


def test_first_difference_finds_the_first_character_that_fails():
    assert evaluation.first_difference("abcdef", 2, "  abcd") is None
    assert evaluation.first_difference("abcdef", 2, "  abXd") == 4
    assert evaluation.first_difference("abcdef", 2, "  ab") == 4  # a missing character counts
    assert evaluation.first_difference("abc", 0, "abd") == 2
    hits, n = evaluation.echo_hits("abcdef", 2, "  abXd")
    assert (hits, n) == (3, 4)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=30), st.data())
def test_a_perfect_echo_hits_every_character(s, draw):
    d = draw.draw(st.integers(0, len(s)))
    echoed = " " * d + s[: len(s) - d]
    assert evaluation.echo_hits(s, d, echoed) == (len(s) - d if d else len(s),) * 2
    assert evaluation.first_difference(s, d, echoed) is None
