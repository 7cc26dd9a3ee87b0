import random

import numpy as np
import pytest
import torch

from hw2.runtime import (
    matmul_peak,
    native_bf16,
    pick_device,
    progress,
    seed_everything,
    set_threads,
    setup,
    using_threads,
)


def draw() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_seed_everything_repeats_all_three_generators():
    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first
    seed_everything(124)
    assert draw() != first


def test_set_threads_sets_torch():
    before = torch.get_num_threads()
    try:
        assert set_threads(2) == 2
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_setup_reads_env(monkeypatch):
    monkeypatch.setenv("HW2_THREADS", "1")
    setup(seed=0)
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -1])
def test_set_threads_rejects_non_positive(bad):
    with pytest.raises(ValueError, match="threads"):
        set_threads(bad)


@pytest.mark.parametrize("bad", [1.5, "2", True])
def test_bad_types(bad):
    with pytest.raises(TypeError):
        set_threads(bad)
    with pytest.raises(TypeError):
        seed_everything(bad)


def test_negative_seed():
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-3)


def test_using_threads_restores_the_count():
    before = torch.get_num_threads()
    with using_threads(1) as n:
        assert n == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), using_threads(1):
        raise RuntimeError("the count is restored on errors too")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "env, show, printed",
    [("1", None, True), ("0", None, False), ("0", True, True), ("1", False, False)],
)
def test_progress_follows_one_rule(monkeypatch, capsys, env, show, printed):
    monkeypatch.setenv("HW2_PROGRESS", env)
    assert list(progress(range(3), desc="steps", show=show)) == [0, 1, 2]
    assert ("steps" in capsys.readouterr().out) == printed


def test_a_hidden_bar_reports_to_the_progress_log(monkeypatch, capsys, tmp_path):
    log = tmp_path / "progress.log"
    monkeypatch.setenv("HW2_PROGRESS", "0")
    monkeypatch.setenv("HW2_PROGRESS_LOG", str(log))
    assert list(progress(range(4), desc="epochs", every=0.0)) == [0, 1, 2, 3]
    assert capsys.readouterr().out == ""  # nothing in the page
    lines = log.read_text().splitlines()
    assert lines[0].startswith("epochs:") and "0/4" in lines[0]
    assert "4/4" in lines[-1] and len(lines) == 6  # the start, each step, the end
    monkeypatch.setenv("HW2_PROGRESS", "1")
    list(progress(range(2), desc="shown"))
    assert "shown" in capsys.readouterr().out and "shown" not in log.read_text()


def test_pick_device_follows_one_rule(monkeypatch):
    monkeypatch.delenv("HW2_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device().type == expected
    monkeypatch.setenv("HW2_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert pick_device("meta") == torch.device("meta")  # an argument beats the setting
    with pytest.raises(ValueError, match="device"):
        pick_device("gpu")
    with pytest.raises(TypeError, match="device"):
        pick_device(0.5)


def test_matmul_peak_is_a_rate_and_native_bf16_a_fact():
    assert 0 < matmul_peak(torch.float32, n=64, repeats=2) < float("inf")
    assert isinstance(native_bf16(), bool)
    with pytest.raises(TypeError, match="dtype"):
        matmul_peak("float32")
    with pytest.raises(ValueError, match="n"):
        matmul_peak(torch.float32, n=0)
