"""Named floating-point arithmetic: settings, identities, and runs in fresh processes."""

from __future__ import annotations

import os
import platform

import pytest

from hw2 import arithmetic

X86 = platform.machine().lower() in ("x86_64", "amd64")


def test_resolve(monkeypatch):
    monkeypatch.delenv("HW2_ARITHMETIC", raising=False)
    assert arithmetic.resolve() in (arithmetic.DEFAULT, arithmetic.CUSTOM)
    monkeypatch.setenv("HW2_ARITHMETIC", "native")
    assert arithmetic.resolve() == "native"
    assert arithmetic.resolve("aten-default") == "aten-default"
    with pytest.raises(ValueError, match="setting"):
        arithmetic.resolve("fast")
    with pytest.raises(TypeError, match="setting"):
        arithmetic.resolve(3)


def test_environment_sets_and_removes_the_variables(monkeypatch):
    monkeypatch.setenv("MKL_CBWR", "AVX2")
    env = arithmetic.environment("pinned")
    pins = arithmetic.values("pinned")  # x86 kernels: empty elsewhere
    assert all(env[k] == v for k, v in pins.items())
    if X86:
        assert pins["MKL_CBWR"] == "COMPATIBLE" and pins["ATEN_CPU_CAPABILITY"] == "default"
    assert "MKL_CBWR" not in arithmetic.environment("native")
    assert env["PATH"] == os.environ["PATH"]


def test_identity_keys_what_the_result_depends_on():
    assert arithmetic.identity("pinned") != arithmetic.identity("native")
    assert arithmetic.identity("native") != arithmetic.identity("aten-default")
    assert arithmetic.identity("native")[-1] == arithmetic.cpu().get("vector units", "")
    assert "pinned" in arithmetic.describe("pinned")


def _capability() -> tuple[str, str | None, str | None]:
    import torch

    return (
        torch.backends.cpu.get_cpu_capability(),
        os.environ.get("MKL_CBWR"),
        os.environ.get("HW2_TEST_MARK"),
    )


def _tensors(n: int) -> list:
    import torch

    return [torch.full((3,), float(i)) for i in range(n)]


def test_run_starts_processes_in_the_setting(monkeypatch):
    monkeypatch.setenv("HW2_TEST_MARK", "kept")  # the rest of the environment goes along
    (pinned,) = arithmetic.run(_capability, [{}], "pinned", workers=1)
    assert pinned[1:] == (arithmetic.values("pinned").get("MKL_CBWR"), "kept")
    if X86:
        assert pinned[0] == "DEFAULT"
    assert os.environ["HW2_TEST_MARK"] == "kept" and "MKL_CBWR" not in os.environ
    native = arithmetic.run(_capability, [{}, {}], "native", workers=2)
    assert native[0] == native[1] and native[0][1] is None
    # many tensors come back whole (a history holds thousands)
    (back,) = arithmetic.run(_tensors, [{"n": 5000}], "native", workers=1)
    assert len(back) == 5000 and back[-1].tolist() == [4999.0] * 3
    assert arithmetic.run(_capability, [], "native") == []
    with pytest.raises(ValueError, match="workers"):
        arithmetic.run(_capability, [{}], "native", workers=0)
    with pytest.raises(TypeError, match="fn"):
        arithmetic.run(3, [{}], "native")
