"""hw2.echo_train: the recipe's checks, a training smoke run, each device."""

from __future__ import annotations

import dataclasses

import pytest

from hw2 import echo_models as models
from hw2 import echo_train as train


def test_training_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    model, history = train.train_echo(train.Recipe(steps=40, hidden_size=32), show=False)
    assert isinstance(model, models.GRUMemory) and isinstance(history, train.History)
    assert len(history.train_loss) == len(history.train_acc) == 40
    assert history.train_loss[-1] < history.train_loss[0]
    assert all(0 <= a <= 1 for a in history.train_acc)
    assert 0 < history.train_seconds <= history.wall_seconds
    assert len(model.test_run("abcdefghijklmnop")) == 16
    vmodel, _ = train.train_variable_delay(train.Recipe(steps=20, hidden_size=16), show=False)
    assert vmodel.max_delay == 8 and not vmodel.training
    assert len(vmodel.test_run("abcdefghij", 8)) == 10
    with pytest.raises(TypeError, match="recipe"):
        train.train_echo({"steps": 40}, use_cache=False)


def test_a_cached_run_returns_the_same_record(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    recipe = train.Recipe(steps=8, hidden_size=8)
    _, first = train.train_echo(recipe, show=False)
    _, again = train.train_echo(recipe, show=False)
    assert again == first and again is not first


def test_training_runs_on_each_device(tmp_path, monkeypatch, device):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    recipe = train.Recipe(steps=3, hidden_size=8)
    for trainer in (train.train_echo, train.train_variable_delay):
        model, history = trainer(recipe, device=device, use_cache=False)
        assert next(model.parameters()).device.type == "cpu"  # returned on the CPU
        assert len(history.train_loss) == 3


@pytest.mark.parametrize(
    "change", [dict(steps=0), dict(batch_size=-1), dict(hidden_size=2.5), dict(lr=0.0)]
)
def test_a_recipe_rejects_what_cannot_train(change):
    with pytest.raises(ValueError, match=next(iter(change))):
        dataclasses.replace(train.FIXED, **change)
