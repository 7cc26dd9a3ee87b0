"""Practical part B's training: the recipe, the run's record, and the two trainers.

Both trainers follow the book's contract: ``train_*(recipe, ..., seed, device, show)``
returns ``(model, history)``, the model on the CPU in evaluation mode and a
:class:`History`. Batches are drawn on the CPU from the seed (:mod:`hw2.echo_data`), so
a seed gives the same data on any device.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch.nn import functional as F

from .book.cache import cached
from .echo_data import N_SYMBOLS, Draw
from .echo_models import GRUMemory, VariableDelayGRUMemory
from .runtime import Timer, pick_device, progress

__all__ = ["FIXED", "VARIABLE", "History", "Recipe", "train_echo", "train_variable_delay"]


@dataclass(frozen=True)
class Recipe:
    """How an echo model is trained (parts B.3 and B.5): Adam with a one-cycle schedule
    on ``steps`` fresh batches."""

    hidden_size: int = 128  # the GRU's state size
    steps: int = 800  # optimizer steps, one fresh batch each (the run's length)
    batch_size: int = 64  # strings per batch
    seq_length: int = 20  # characters per training string
    lr: float = 1e-2  # Adam's peak learning rate, reached after the first 20% of steps

    def __post_init__(self) -> None:
        for name in ("hidden_size", "steps", "batch_size", "seq_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")


# The book's recipes, chosen with benchmarks/echo.py.
FIXED = Recipe()
VARIABLE = Recipe(hidden_size=192, steps=2000, lr=7e-3)


@dataclass
class History:
    """One training run's record: what the trainers return beside the model."""

    train_loss: list[float] = field(default_factory=list)  # per step: the batch's
    # cross-entropy per character (with heads: over every head)
    train_acc: list[float] = field(default_factory=list)  # per step: fraction of the
    # batch's characters whose argmax is right (with heads: over every head)
    train_seconds: float = 0.0  # the steps' time, seconds
    wall_seconds: float = 0.0  # the whole call's (building the model too), seconds


def _train(
    recipe: Recipe,
    model: GRUMemory | VariableDelayGRUMemory,
    draw: Draw,
    seed: int,
    device: torch.device,
    show: bool | None,
) -> History:
    """One loop for both models: Adam with a one-cycle schedule on fresh batches drawn
    as ``draw`` says, each scored by the model (``model.scored``)."""
    r = recipe
    model.to(device)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=r.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=r.lr, total_steps=r.steps, pct_start=0.2
    )
    history = History()
    model.train()
    with Timer() as timer:
        for _ in progress(range(r.steps), desc="training", show=show):
            x, delays, _ = draw.batch(r.batch_size, r.seq_length, generator)
            logits, y = model.scored(x.to(device), delays.to(device))
            loss = F.cross_entropy(logits.reshape(-1, N_SYMBOLS), y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            history.train_loss.append(loss.item())
            history.train_acc.append((logits.argmax(-1) == y).float().mean().item())
    model.eval().cpu()
    history.train_seconds = timer.seconds
    return history


def _check_recipe(recipe: Recipe) -> None:
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be an echo.Recipe, got {type(recipe).__name__}")


@cached(keys={"device": pick_device})
def train_echo(
    recipe: Recipe = FIXED,
    delay: int = 4,
    seed: int = 0,
    device: str | torch.device | None = None,
    show: bool | None = None,
) -> tuple[GRUMemory, History]:
    """Part B.3: train a :class:`GRUMemory` to echo at ``delay``; returns
    ``(model, history)`` as the module docstring says."""
    start = time.perf_counter()
    _check_recipe(recipe)
    torch.manual_seed(seed)
    model = GRUMemory(recipe.hidden_size)
    history = _train(recipe, model, Draw(delay=delay), seed, pick_device(device), show)
    history.wall_seconds = time.perf_counter() - start
    return model, history


@cached(keys={"device": pick_device})
def train_variable_delay(
    recipe: Recipe = VARIABLE,
    max_delay: int = 8,
    encoding: str = "heads",
    seed: int = 0,
    device: str | torch.device | None = None,
    show: bool | None = None,
) -> tuple[VariableDelayGRUMemory, History]:
    """Part B.5: train a :class:`VariableDelayGRUMemory` for delays ``0 ... max_delay``
    (``encoding`` as that class says); returns ``(model, history)`` as the module
    docstring says."""
    start = time.perf_counter()
    _check_recipe(recipe)
    torch.manual_seed(seed)
    model = VariableDelayGRUMemory(recipe.hidden_size, max_delay, encoding=encoding)
    history = _train(recipe, model, model.draw, seed, pick_device(device), show)
    history.wall_seconds = time.perf_counter() - start
    return model, history
