"""Which floating-point arithmetic a CPU run uses, named, so that a chaotic run is the same
on every x86 CPU (1.3, practical C).

A spiking LSTM amplifies the last bit of a sum into a different run within a few hundred
steps, and torch's CPU arithmetic is chosen at run time by three libraries, each for the
processor it finds: ATen's vectorised kernels (``ATEN_CPU_CAPABILITY``), MKL's BLAS
(``MKL_CBWR``, its "conditional bitwise reproducibility") and oneDNN's kernels
(``ONEDNN_MAX_CPU_ISA``). Each reads its variable once, when torch loads or first calls
it, so a setting is an *environment*: a run in a setting other than the current
process's is computed in a fresh process started with that environment
(:func:`run`), one thread each.

:data:`SETTINGS` names the settings the book uses: ``"pinned"`` (one code path on every
x86 CPU: ATen's default kernels, MKL's compatible path, oneDNN's SSE4.1 kernels; the
book's runs), ``"native"`` (whatever each library picks for this processor) and
``"aten-default"`` (ATen's default kernels, MKL and oneDNN native). A reader who sets
any of :data:`VARIABLES` in the environment gets ``"custom"``: the variables as set.
``HW2_ARITHMETIC`` names a setting explicitly. The pins are read only on x86: on ARM, or
on a GPU, a run's arithmetic is the platform's own.
"""

from __future__ import annotations

import io
import os
import platform
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from typing import Any

__all__ = [
    "CUSTOM",
    "DEFAULT",
    "SETTINGS",
    "VARIABLES",
    "cpu",
    "describe",
    "environment",
    "identity",
    "matches",
    "resolve",
    "run",
    "values",
]

# The variables that choose torch's CPU arithmetic; a setting gives each a value or
# leaves it unset (None: the library's own choice).
VARIABLES = (
    "ATEN_CPU_CAPABILITY",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
    "ONEDNN_MAX_CPU_ISA",
    "DNNL_MAX_CPU_ISA",
)
SETTINGS: dict[str, dict[str, str]] = {
    "pinned": {
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_CBWR": "COMPATIBLE",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
    },
    "native": {},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
}
DEFAULT = "pinned"  # the book's runs, unless the environment or HW2_ARITHMETIC says otherwise
CUSTOM = "custom"  # the arithmetic variables as this process's environment sets them
_WORDS = {
    "pinned": "pinned: ATen's default kernels, MKL's compatible code path and oneDNN's "
    "SSE4.1 kernels, the same code on every x86 CPU",
    "native": "native: the kernels each library picks for this processor",
    "aten-default": "ATen's default kernels, MKL's and oneDNN's native ones",
}
# The environment this process started with: the arithmetic torch runs in here.
_STARTED = {name: os.environ.get(name) for name in VARIABLES}


def resolve(setting: str | None = None) -> str:
    """``setting``; for ``None``: ``HW2_ARITHMETIC`` if set, else :data:`CUSTOM` if the
    environment sets any of :data:`VARIABLES`, else :data:`DEFAULT`."""
    if setting is None:
        setting = os.environ.get("HW2_ARITHMETIC") or (
            CUSTOM if any(_STARTED.values()) else DEFAULT
        )
    if not isinstance(setting, str):
        raise TypeError(f"setting must be a str or None, got {type(setting).__name__}")
    if setting not in SETTINGS and setting != CUSTOM:
        raise ValueError(
            f"setting must be one of {sorted(SETTINGS)} or {CUSTOM!r}, got {setting!r}"
        )
    return setting


def _x86() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


def values(setting: str | None = None) -> dict[str, str]:
    """The arithmetic variables that ``setting`` sets (the others it leaves unset). The
    pins name x86 kernels, so off x86 they are left unset."""
    setting = resolve(setting)
    if setting == CUSTOM:
        return {k: v for k, v in _STARTED.items() if v is not None}
    return SETTINGS[setting] if _x86() else {}


def environment(setting: str | None = None) -> dict[str, str]:
    """This process's environment with the variables of ``setting`` set, and the other
    arithmetic variables removed."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(values(setting))
    return env


def matches(setting: str | None = None) -> bool:
    """Whether this process already computes in ``setting``'s arithmetic."""
    return values(setting) == {k: v for k, v in _STARTED.items() if v is not None}


def cpu() -> dict[str, str]:
    """The CPU's model, core count and the vector units its libraries choose kernels for
    (from ``/proc/cpuinfo`` where there is one)."""
    info = {"model": platform.processor() or platform.machine(), "cores": str(os.cpu_count())}
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        text = cpuinfo.read_text()
        lines = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        lines = {k.strip(): v.strip() for k, v in lines.items()}
        info["model"] = lines.get("model name", info["model"])
        flags = set(lines.get("flags", "").split())
        units = [
            name
            for flag, name in [
                ("avx2", "AVX2"),
                ("avx512f", "AVX-512"),
                ("avx512_bf16", "AVX-512 bf16"),
                ("amx_bf16", "AMX bf16"),
            ]
            if flag in flags
        ]
        info["vector units"] = ", ".join(units) or "none of AVX2, AVX-512, AMX"
    return info


def identity(setting: str | None = None) -> tuple[str, ...]:
    """What a result computed in ``setting`` depends on, for the result cache: the
    setting and the platform, and for any setting that is not pinned, the CPU's
    vector units too (its libraries pick their kernels by them)."""
    setting = resolve(setting)
    machine = platform.machine()
    if setting == "pinned" and _x86():
        return (setting, "x86_64")
    pins = tuple(f"{k}={v}" for k, v in sorted(values(setting).items()))
    return (setting, *pins, machine, cpu().get("vector units", ""))


def describe(setting: str | None = None) -> str:
    """The setting in words, for the page's prose."""
    setting = resolve(setting)
    if setting == CUSTOM:
        return "as the environment sets it: " + (
            ", ".join(f"{k}={v}" for k, v in values(setting).items()) or "nothing pinned"
        )
    return _WORDS[setting]


@contextmanager
def _environment(setting: str) -> Iterator[None]:
    """``os.environ`` set to ``setting``'s environment for the block (the processes
    started inside it inherit it), restored after."""
    saved, wanted = dict(os.environ), environment(setting)
    os.environ.clear()
    os.environ.update(wanted)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _one_thread(fn: Callable[..., Any], kwargs: dict[str, Any]) -> bytes:
    """``fn(**kwargs)`` on one thread, sent back as ``torch.save`` bytes (torch's own
    pickling of tensors between processes passes a file descriptor per tensor, which
    a history of many checkpoints exhausts)."""
    import torch

    torch.set_num_threads(1)
    buffer = io.BytesIO()
    torch.save(fn(**kwargs), buffer)
    return buffer.getvalue()


def run(
    fn: Callable[..., Any],
    calls: list[dict[str, Any]],
    setting: str | None = None,
    workers: int | None = None,
) -> list[Any]:
    """``[fn(**kw) for kw in calls]``, each in ``setting``'s arithmetic on one thread:
    computed by ``workers`` fresh processes (default: ``HW2_WORKERS`` or 2) started
    with that setting's environment. ``fn`` must be importable (a module's function)."""
    setting = resolve(setting)
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    workers = int(os.environ.get("HW2_WORKERS", "2")) if workers is None else workers
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    if not calls:
        return []
    import torch

    with (
        _environment(setting),
        ProcessPoolExecutor(min(workers, len(calls)), mp_context=get_context("spawn")) as pool,
    ):
        sent = list(pool.map(_one_thread, [fn] * len(calls), calls))
    return [torch.load(io.BytesIO(data), weights_only=False) for data in sent]
