"""hw2.loss_curves: the recipe, the training loop and its exact replay."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from conftest import EASY
from hw2 import loss_curves
from hw2.temporal_order import encode


def test_recipe_errors():
    with pytest.raises(ValueError, match="schedule"):
        loss_curves.Recipe(schedule="step")
    with pytest.raises(ValueError, match="clip"):
        loss_curves.Recipe(clip=0.0)
    with pytest.raises(ValueError, match="lr"):
        loss_curves.Recipe(lr=-1.0)
    with pytest.raises(ValueError, match="warmup"):
        loss_curves.Recipe(warmup=-1)
    with pytest.raises(ValueError, match="epochs"):
        loss_curves.Recipe(epochs=0)
    with pytest.raises(TypeError, match="recipe"):
        loss_curves.train({"lr": 1e-3})


def test_training_records_every_step_and_epoch(easy_run, easy_model):
    h = easy_run
    assert len(h.train_loss) == len(h.test_acc) == 4
    assert all(0 <= a <= 1 for a in h.train_acc + h.test_acc)  # fractions
    assert 0 < h.train_seconds <= h.wall_seconds
    assert isinstance(h, loss_curves.History) and not easy_model.training
    assert h.steps_per_epoch == 10
    assert len(h.grad_norm) == len(h.update_norm) == len(h.lr) == 4 * 10
    assert len(h.checkpoints) == 5
    assert h.weight_hist.shape == (4, len(loss_curves.HIST_EDGES) - 1)
    assert np.isfinite(h.update_norm).all()
    # warm-up then cosine: the learning rate rises for 5 steps, then falls
    assert np.argmax(h.lr) == 4 and h.lr[-1] < h.lr[4]
    # the plotted train loss is the last step's batch loss
    assert h.train_loss[-1] == h.step_loss[-1]
    hs, cs = loss_curves.states(easy_model, encode(["BaXbYcE"])[0])
    assert hs.shape == cs.shape == (7, 12)
    out, _ = easy_model.lstm(encode(["BaXbYcE"]))
    torch.testing.assert_close(hs, out[0])


def test_replay_reproduces_the_run_exactly(easy_run):
    h = easy_run
    r = loss_curves.replay(h, 1, 3)
    for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
        assert getattr(r, key) == getattr(h, key)[1:4]
    assert r.grad_norm == h.grad_norm[10:40]
    assert r.first_step == 10 == h.steps_of(1).start and h.epoch_of(39) == 3
    kept = loss_curves.replay(h, 1, 1, keep=True)
    assert len(kept.weights) == 10 and kept.last_batch("test", 0) == kept.last_test_batch[0]
    with pytest.raises(ValueError, match="step"):
        kept.weights_after(9)
    with pytest.raises(ValueError, match="curve"):
        kept.losses("val")
    with pytest.raises(TypeError, match="h must"):
        loss_curves.replay({"train_loss": [1.0]}, 0, 0)


def test_replay_changes_only_the_chosen_update(easy_run):
    h = easy_run
    capped = loss_curves.replay(h, 1, 2, intervene={15: 1e-3})
    skipped = loss_curves.replay(h, 1, 2, intervene={15: "skip"})
    for r in (capped, skipped):
        # steps 10..15 see the same weights and data, so the same gradients
        assert r.grad_norm[:6] == h.grad_norm[10:16]
        assert r.grad_norm[6] != h.grad_norm[16]
    assert capped.update_norm[5] == pytest.approx(1e-3)
    assert skipped.update_norm[5] == 0.0
    assert capped.update_norm[4] == h.update_norm[14]


def test_replay_arguments(easy_run):
    with pytest.raises(ValueError, match="first, last"):
        loss_curves.replay(easy_run, 2, 1)
    with pytest.raises(ValueError, match="first, last"):
        loss_curves.replay(easy_run, 0, 4)


def test_update_clipping_and_cap_bound_every_update(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    model, clipped = loss_curves.train(
        loss_curves.Recipe(difficulty="EASY", batch_size=100, update_clip=0.5, epochs=2)
    )
    n = sum(p.numel() for p in model.parameters())
    # each tensor's update has RMS <= 0.5 lr, so the whole update has norm <= 0.5 lr sqrt(n)
    assert max(clipped.update_norm) <= 0.5 * 1e-3 * n**0.5 * (1 + 1e-6)
    _, capped = loss_curves.train(
        loss_curves.Recipe(difficulty="EASY", batch_size=100, update_cap=1.5, epochs=2)
    )
    u = capped.update_norm
    assert all(u[t] <= 1.5 * loss_curves.typical(u, t) * (1 + 1e-6) for t in range(1, len(u)))
    # the cap compares with the updates before the checkpoint: a replay still reproduces
    again = loss_curves.replay(capped, 1, 1)
    assert again.update_norm == u[10:20] and again.train_loss == capped.train_loss[1:]


def test_lr_factor_is_the_schedule_the_run_follows(easy_run):
    recipe = loss_curves.Recipe(warmup=4, schedule="cosine", anneal_from=0.5)
    factors = [loss_curves.lr_factor(recipe, t, 20) for t in range(20)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0] and factors[4:11] == [1.0] * 7
    assert factors[11] == pytest.approx(0.5 * (1 + np.cos(np.pi / 10)))
    assert all(a > b for a, b in zip(factors[10:], factors[11:]))
    assert loss_curves.lr_factor(loss_curves.Recipe(), 7, 20) == 1.0
    total = easy_run.epochs * easy_run.steps_per_epoch
    easy = easy_run.recipe
    assert easy_run.lr == pytest.approx(
        [easy.lr * loss_curves.lr_factor(easy, t, total) for t in range(total)], rel=1e-12
    )


def test_update_bounds_scale_the_update_and_the_parameters():
    before = [torch.zeros(4), torch.zeros(2)]
    delta = [torch.tensor([3.0, -3.0, 3.0, -3.0]), torch.tensor([0.1, -0.1])]
    params = [b + d for b, d in zip(before, delta)]
    loss_curves.clip_update(params, before, delta, limit=1.0)  # RMS 3 -> 1; 0.1 stays
    torch.testing.assert_close(delta[0], torch.tensor([1.0, -1.0, 1.0, -1.0]))
    torch.testing.assert_close(params[1], torch.tensor([0.1, -0.1]))
    size = float(torch.cat(delta).norm())
    assert loss_curves.cap_update(params, before, delta, size, cap=10.0) == size  # under
    assert loss_curves.cap_update(params, before, delta, size, cap=size / 2) == size / 2
    torch.testing.assert_close(torch.cat(params).norm(), torch.tensor(size / 2))


def test_late_annealing_keeps_the_rate_then_decays(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    recipe = loss_curves.Recipe(
        difficulty="EASY", batch_size=100, schedule="cosine", anneal_from=0.5, epochs=2
    )
    lr = loss_curves.train(recipe)[1].lr
    assert lr[:11] == [1e-3] * 11 and lr[-1] < lr[15] < 1e-3
    with pytest.raises(ValueError, match="anneal_from"):
        loss_curves.Recipe(anneal_from=1.0)


def test_training_runs_on_each_device(tmp_path, monkeypatch, device):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    model, h = loss_curves.train(replace(EASY, epochs=1), device=device, use_cache=False)
    assert next(model.parameters()).device.type == "cpu" and h.device.startswith(device)
    assert all(v.device.type == "cpu" for v in h.checkpoints[-1]["model"].values())
    assert loss_curves.replay(h, 0, 0).train_loss == h.train_loss[:1]


def test_runs_in_another_arithmetic_run_elsewhere_and_replay_there(tmp_path, monkeypatch):
    """This test process computes natively; a pinned run is computed in a pinned process,
    and its replay (in that process's arithmetic again) reproduces it exactly."""
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    easy = replace(EASY, epochs=2)
    _, pinned = loss_curves.train(easy, arithmetic="pinned")
    _, native = loss_curves.train(easy, arithmetic="native")
    assert (pinned.arithmetic, native.arithmetic) == ("pinned", "native")
    again = loss_curves.replay(pinned, 0, 1)
    assert again.train_loss == pinned.train_loss
    assert again.grad_norm == pinned.grad_norm
    # a second pinned call is the cached one; a native one is another cache entry
    assert loss_curves.train(easy, arithmetic="pinned")[1].wall_seconds == (pinned.wall_seconds)
    with pytest.raises(ValueError, match="setting"):
        loss_curves.train(easy, arithmetic="fast")
