"""hw2.echo: datasets, encoding, models' contracts, the checks, a training smoke run."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from hw2 import echo


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=40))
def test_decode_inverts_encode(s):
    assert echo.decode(echo.encode(s)) == s


@pytest.mark.parametrize("bad", ["Hello", "abc1", "a b", "é"])
def test_encode_rejects_non_lowercase(bad):
    with pytest.raises(ValueError, match="lowercase letters"):
        echo.encode(bad)


def test_encode_rejects_non_strings():
    with pytest.raises(TypeError):
        echo.encode(["a"])


@pytest.mark.parametrize("delay", [0, 1, 4, 14])
def test_echo_dataset_targets_are_shifted_inputs(delay):
    data = echo.EchoDataset(delay=delay, seq_length=15, size=50, seed=3)
    items = list(data)
    assert len(items) == len(data) == 50
    for x, y in items:
        assert x.shape == (15, echo.N_SYMBOLS) and y.shape == (15,)
        idx = x.argmax(-1)
        assert (idx >= 1).all()
        assert (y[:delay] == 0).all()
        assert torch.equal(y[delay:], idx[: 15 - delay])


def test_variable_dataset_targets_and_delays():
    data = echo.VariableDelayEchoDataset(max_delay=8, seq_length=20, size=400, seed=1)
    seen = set()
    for x, d, y in data:
        seen.add(d)
        idx = x.argmax(-1)
        assert (y[:d] == 0).all()
        assert torch.equal(y[d:], idx[: 20 - d])
    assert seen == set(range(9))


def test_datasets_are_seeded():
    a = [y for _, y in echo.EchoDataset(size=5, seed=7)]
    b = [y for _, y in echo.EchoDataset(size=5, seed=7)]
    assert all(torch.equal(p, q) for p, q in zip(a, b))


@pytest.mark.parametrize("kwargs", [dict(delay=-1), dict(size=0)])
def test_dataset_arguments(kwargs):
    with pytest.raises(ValueError):
        echo.EchoDataset(**kwargs)


def test_echo_batch_needs_one_delay_kind():
    with pytest.raises(ValueError, match="exactly one"):
        echo.echo_batch(2, 5)
    with pytest.raises(ValueError, match="exactly one"):
        echo.echo_batch(2, 5, delay=1, max_delay=2)


@pytest.mark.parametrize("encoding", ["heads", "input"])
def test_variable_model_shapes_and_errors(encoding):
    model = echo.VariableDelayGRUMemory(16, max_delay=3, encoding=encoding)
    x = torch.nn.functional.one_hot(torch.randint(1, 27, (4, 9)), 27).float()
    assert model(x, torch.tensor([0, 1, 2, 3])).shape == (4, 9, 27)
    assert len(model.test_run("hello", 2)) == 5
    with pytest.raises(ValueError, match="0 ... 3"):
        model.test_run("hello", 4)
    with pytest.raises(ValueError, match="0 ... 3"):
        model(x, torch.tensor([0, 1, 2, 9]))
    with pytest.raises(ValueError, match="delays must have shape"):
        model(x, torch.tensor([0, 1]))
    with pytest.raises(TypeError):
        model.test_run("hello", 1.0)
    with pytest.raises(ValueError, match="lowercase"):
        model.test_run("Hello", 1)


def test_variable_model_heads_select_the_delay():
    model = echo.VariableDelayGRUMemory(8, max_delay=2)
    x = torch.nn.functional.one_hot(torch.randint(1, 27, (3, 5)), 27).float()
    every = model.all_heads(x)
    chosen = model(x, torch.tensor([2, 0, 1]))
    for b, d in enumerate([2, 0, 1]):
        assert torch.equal(chosen[b], every[b, :, d])


def test_each_model_scores_its_training_batch():
    x, delays, y = echo.echo_batch(3, 6, delay=2, generator=torch.Generator().manual_seed(0))
    fixed = echo.GRUMemory(8)
    logits, targets = fixed.scored(x, delays)
    assert torch.equal(targets, y) and logits.shape == (3, 6, 27)
    heads = echo.VariableDelayGRUMemory(8, max_delay=2)
    assert heads.draw == {"delay": 0}
    logits, targets = heads.scored(x, delays)
    assert logits.shape == (3, 6, 3, 27) and targets.shape == (3, 6, 3)
    for k in range(3):  # every head is scored on its own delay, whatever delays says
        assert torch.equal(targets[:, :, k], echo.echo_batch(3, 6, delay=k, generator=(
            torch.Generator().manual_seed(0)))[2])
    routed = echo.VariableDelayGRUMemory(8, max_delay=2, encoding="input")
    assert routed.draw == {"max_delay": 2}
    logits, targets = routed.scored(x, torch.tensor([0, 1, 2]))
    assert logits.shape == (3, 6, 27) and torch.equal(targets[2], y[2])


def test_model_constructor_errors():
    with pytest.raises(ValueError, match="encoding"):
        echo.VariableDelayGRUMemory(8, encoding="bits")
    with pytest.raises(ValueError, match="max_delay"):
        echo.VariableDelayGRUMemory(8, max_delay=-1)
    with pytest.raises(ValueError, match="x must have shape"):
        echo.GRUMemory(8)(torch.zeros(2, 3, 5))


class Oracle(torch.nn.Module):
    """A perfect echo, to test the checks themselves."""

    max_delay = 8

    def test_run(self, s, delay=4):
        return " " * delay + s[: len(s) - delay]


class Broken(Oracle):
    def test_run(self, s, delay=4):
        return "a" * len(s)


def test_checks_score_a_perfect_and_a_broken_model():
    assert echo.test_model(Oracle()) == 1.0
    assert echo.test_variable_delay_model(Oracle()) == 1.0
    assert echo.test_model(Broken()) < 0.1
    acc, per = echo.test_variable_delay_model(Broken(), per_delay=True)
    assert acc < 0.1 and set(per) == set(range(9))


def test_training_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    model, history = echo.train_echo(echo.Recipe(steps=40, hidden_size=32), show=False)
    assert isinstance(model, echo.GRUMemory) and not hasattr(model, "history")
    assert len(history["train_loss"]) == len(history["train_acc"]) == 40
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert all(0 <= a <= 1 for a in history["train_acc"])
    assert 0 < history["train_seconds"] <= history["wall_seconds"]
    assert len(model.test_run("abcdefghijklmnop")) == 16
    vmodel, _ = echo.train_variable_delay(echo.Recipe(steps=20, hidden_size=16), show=False)
    assert vmodel.max_delay == 8 and not vmodel.training
    assert len(vmodel.test_run("abcdefghij", 8)) == 10
    with pytest.raises(TypeError, match="recipe"):
        echo.train_echo({"steps": 40}, use_cache=False)


def test_training_runs_on_each_device(tmp_path, monkeypatch, device):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    recipe = echo.Recipe(steps=3, hidden_size=8)
    for train in (echo.train_echo, echo.train_variable_delay):
        model, history = train(recipe, device=device, use_cache=False)
        assert next(model.parameters()).device.type == "cpu"  # returned on the CPU
        assert len(history["train_loss"]) == 3


def test_aims_are_read_from_the_package():
    assert echo.aims()["aim_fixed_s"] == echo.AIM["fixed"].seconds
    assert echo.aims()["homework_minutes"] == 10
    assert echo.aims()["aim_worst"] == pytest.approx(100 * echo.AIM["variable"].worst_delay)
    aim = echo.AIM["variable"]
    assert echo.meets(aim, aim.accuracy, aim.seconds, aim.worst_delay)
    assert not echo.meets(aim, aim.accuracy, aim.seconds + 1)
    assert not echo.meets(aim, 1.0, 1.0, aim.worst_delay - 0.01)
    assert not echo.meets(aim, aim.accuracy - 0.001, aim.seconds)
    with pytest.raises(TypeError, match="aim"):
        echo.meets(0.99, 1.0, 1.0)


def test_aim_table_shows_the_aim_the_measurement_and_the_verdict():
    aim = echo.AIM["variable"]
    rows = echo.aim_table(aim, 0.99972, 41.24, 0.9987).splitlines()
    assert len(rows) == 6  # header, rule, accuracy, time, worst delay, met
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows[2:]]
    assert cells[0][1:] == [f"at least {100 * aim.accuracy:g}%", "99.97%"]
    assert cells[1][1:] == [f"at most {aim.seconds:g} s", "41.2 s"]
    assert cells[2][2] == "99.87%" and cells[3][2] == "yes"
    late = echo.aim_table(aim, 0.99972, aim.seconds + 1, 0.9987).splitlines()
    assert late[-1].rstrip(" |").endswith("no")
    fixed = echo.aim_table(echo.AIM["fixed"], 0.9995, 10.0).splitlines()
    assert len(fixed) == 5 and fixed[-1].rstrip(" |").endswith("yes")


def test_first_difference_finds_the_first_character_that_fails():
    assert echo.first_difference("abcdef", 2, "  abcd") is None
    assert echo.first_difference("abcdef", 2, "  abXd") == 4
    assert echo.first_difference("abcdef", 2, "  ab") == 4  # a missing character counts
    assert echo.first_difference("abc", 0, "abd") == 2
    hits, n = echo.echo_hits("abcdef", 2, "  abXd")
    assert (hits, n) == (3, 4)
