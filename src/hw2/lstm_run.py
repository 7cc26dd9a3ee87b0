"""Theory 1.3 and practical part C: what one training run of the section's LSTM is.

The model (:class:`LSTMClassifier`), the training procedure it follows
(:class:`Recipe`), the record a run keeps (:class:`History`), and :class:`Run`: the
model, optimiser, schedule and data stream of one run, and its training step with the
bounds a recipe may put on an update. :mod:`hw2.loss_curves` trains and replays runs
with it; everything here determines a run's result.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .temporal_order import SYMBOLS, make_generators

__all__ = [
    "HIST_EDGES",
    "WINDOW",
    "History",
    "LSTMClassifier",
    "Recipe",
    "Run",
    "cap_update",
    "clip_update",
    "lr_factor",
    "typical",
    "with_weights",
]

HIST_EDGES = np.linspace(-3, 3, 42)  # bins of the weight histograms
WINDOW = 100  # a step is compared with the median of this many steps before it


class LSTMClassifier(nn.Module):
    """The section's model: an LSTM (8 inputs, 12 hidden units) and a linear layer from
    the last step's hidden state to the four classes."""

    def __init__(self, hidden_size: int = 12):
        super().__init__()
        self.lstm = nn.LSTM(len(SYMBOLS), hidden_size, batch_first=True)
        self.linear = nn.Linear(hidden_size, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.linear(out[:, -1])


@dataclass(frozen=True)
class Recipe:
    """A training procedure (practical C changes only this): RMSprop, as the section
    trains, and the bounds, schedule and batches around it."""

    lr: float = 1e-3  # RMSprop's learning rate (the peak, with a schedule)
    eps: float = 1e-8  # RMSprop's epsilon, added to the root of the mean square
    clip: float | None = None  # largest global gradient norm, or None
    update_clip: float | None = None  # largest root-mean-square of one tensor's update,
    # in units of the learning rate (Adafactor's update clipping), or None
    update_cap: float | None = None  # cap on each update's norm, as a multiple of the
    # typical update (the median of the 100 before it, typical()), or None
    warmup: int = 0  # steps over which the rate rises linearly from lr / warmup to lr
    schedule: str | None = None  # None, or "cosine": from lr to 0 ...
    anneal_from: float = 0.0  # ... starting once this fraction of the run has passed
    batch_size: int = 32  # sequences per batch, train and test
    epochs: int = 100  # passes over the training stream (each its own batches)
    difficulty: str = "MODERATE"  # the temporal-order task's level

    def __post_init__(self) -> None:
        if self.schedule not in (None, "cosine"):
            raise ValueError(f"schedule must be None or 'cosine', got {self.schedule!r}")
        for name in ("lr", "eps", "clip", "update_clip", "update_cap"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        if not 0 <= self.anneal_from < 1:
            raise ValueError(f"anneal_from must be in [0, 1), got {self.anneal_from!r}")
        if self.warmup < 0:
            raise ValueError(f"warmup must be >= 0, got {self.warmup!r}")
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive int, got {self.epochs!r}")


def lr_factor(recipe: Recipe, t: int, total: int) -> float:
    """The schedule: step ``t``'s learning rate as a fraction of ``recipe.lr`` in a run of
    ``total`` steps (a linear warm-up, then constant or cosine annealing to 0)."""
    warm = min(1.0, (t + 1) / recipe.warmup) if recipe.warmup else 1.0
    start = recipe.anneal_from * total
    decay = (
        0.5 * (1 + math.cos(math.pi * max(0.0, t - start) / (total - start)))
        if recipe.schedule
        else 1.0
    )
    return warm * decay


@torch.no_grad()
def clip_update(
    params: list[torch.Tensor], before: list[torch.Tensor], delta: list[torch.Tensor], limit: float
) -> None:
    """Adafactor's update clipping: scale each tensor's update ``delta`` (in place, and
    its parameter with it) so that its root-mean-square is at most ``limit``."""
    for p, b, d in zip(params, before, delta):
        scale = limit / max(float(d.pow(2).mean().sqrt()), 1e-30)
        if scale < 1:
            d.mul_(scale)
            p.copy_(b + d)


@torch.no_grad()
def cap_update(
    params: list[torch.Tensor],
    before: list[torch.Tensor],
    delta: list[torch.Tensor],
    size: float,
    cap: float,
) -> float:
    """Cap the whole update's norm ``size`` at ``cap`` (scaling every tensor's update
    alike); returns the norm of the update made."""
    if size <= cap:
        return size
    for p, b, d in zip(params, before, delta):
        p.copy_(b + d * (cap / size))
    return float(cap)


def typical(values: list[float], t: int, window: int = WINDOW) -> float:
    """The median of ``values`` over the ``window`` steps before step ``t``: what a
    step's gradient or update is compared with."""
    return float(np.median(values[max(0, t - window) : t])) if t else float(values[0])


@dataclass
class History:
    """One run's record: what :func:`hw2.loss_curves.train` returns beside the model,
    and what :func:`hw2.loss_curves.replay` returns for the epochs it re-ran. Per-epoch
    lists hold one value per epoch; per-step lists one per training step, the first
    being global step ``first_step`` (0 for a whole run)."""

    recipe: Recipe  # the training procedure (its epochs: the run's, for a replay too)
    model_seed: int  # torch.manual_seed before the model is built
    data_seed: int  # seed of the temporal-order data stream
    steps_per_epoch: int  # train batches per epoch
    device: str  # where it ran ("cpu", "cuda:0")
    arithmetic: str  # the CPU's floating-point setting (hw2.arithmetic)
    first_step: int = 0  # global index of the first step recorded here
    # per epoch
    train_loss: list[float] = field(default_factory=list)  # the epoch's last train batch
    test_loss: list[float] = field(default_factory=list)  # the epoch's last test batch
    train_acc: list[float] = field(default_factory=list)  # fraction right, all train batches
    test_acc: list[float] = field(default_factory=list)  # fraction right, all test batches
    weight_norm: dict[str, list[float]] = field(default_factory=dict)  # per parameter tensor
    weight_hist: np.ndarray | None = None  # (epochs, bins): counts of all weights, HIST_EDGES
    # per step
    step_loss: list[float] = field(default_factory=list)  # the batch's loss
    grad_norm: list[float] = field(default_factory=list)  # before any bound
    update_norm: list[float] = field(default_factory=list)  # of the update made
    lr: list[float] = field(default_factory=list)  # the learning rate used
    # kept by a replay with keep=True
    weights: list[list[torch.Tensor]] = field(default_factory=list, repr=False)  # per step
    last_train_batch: list[tuple] = field(default_factory=list, repr=False)  # per epoch
    last_test_batch: list[tuple] = field(default_factory=list, repr=False)  # per epoch
    # a whole run: its state at each epoch start and after the last epoch (for replay)
    checkpoints: list[dict] = field(default_factory=list, repr=False)
    train_seconds: float = 0.0  # the epochs
    wall_seconds: float = 0.0  # the whole call

    @property
    def epochs(self) -> int:
        """Epochs of the run (for a replay: of the run it replays)."""
        return self.recipe.epochs

    def epoch_of(self, step: int) -> int:
        """The epoch that global step ``step`` belongs to."""
        return step // self.steps_per_epoch

    def steps_of(self, epoch: int) -> range:
        """The global steps of epoch ``epoch``."""
        return range(epoch * self.steps_per_epoch, (epoch + 1) * self.steps_per_epoch)

    def losses(self, curve: str) -> list[float]:
        """The plotted loss per epoch of ``curve``, ``"train"`` or ``"test"``."""
        if curve not in ("train", "test"):
            raise ValueError(f"curve must be 'train' or 'test', got {curve!r}")
        return self.train_loss if curve == "train" else self.test_loss

    def last_batch(self, curve: str, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch behind the ``index``-th recorded epoch's plotted ``curve`` value."""
        self.losses(curve)  # checks the name
        return (self.last_train_batch if curve == "train" else self.last_test_batch)[index]

    def weights_after(self, step: int) -> list[torch.Tensor]:
        """The weights right after global step ``step`` (a replay with ``keep=True``)."""
        if not self.first_step <= step < self.first_step + len(self.weights):
            raise ValueError(f"step: no weights kept after step {step}")
        return self.weights[step - self.first_step]


class Run:
    """Everything a training run changes: model, optimiser, schedule, data stream, and
    the update norms so far (what ``update_cap`` compares with)."""

    def __init__(self, recipe: Recipe, model_seed: int, data_seed: int, device: torch.device):
        torch.manual_seed(model_seed)
        self.recipe, self.device = recipe, device
        self.model_seed, self.data_seed = model_seed, data_seed
        self.model = LSTMClassifier().to(device)
        self.params = list(self.model.parameters())
        self.names = [n for n, _ in self.model.named_parameters()]
        self.train_gen, self.test_gen = make_generators(
            recipe.difficulty, recipe.batch_size, data_seed
        )
        self.steps_per_epoch = len(self.train_gen)
        total = recipe.epochs * self.steps_per_epoch
        self.optimizer = torch.optim.RMSprop(self.params, lr=recipe.lr, eps=recipe.eps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda t: lr_factor(recipe, t, total)
        )
        self.updates: list[float] = []  # every update norm so far (History.update_norm)

    def history(self, arithmetic: str, first_step: int = 0) -> History:
        """An empty record of this run, its steps counted from ``first_step``."""
        return History(
            self.recipe,
            self.model_seed,
            self.data_seed,
            self.steps_per_epoch,
            str(self.device),
            arithmetic,
            first_step,
            weight_norm={n: [] for n in self.names},
        )

    def checkpoint(self) -> dict:
        """The run's state, on the CPU (so a history works anywhere)."""
        return copy.deepcopy(
            {
                "model": _on_cpu(self.model.state_dict()),
                "optimizer": _on_cpu(self.optimizer.state_dict()),
                "scheduler": self.scheduler.state_dict(),
                "rng": self.train_gen.rng.get_state(),
            }
        )

    def restore(self, checkpoint: dict, updates: list[float]) -> None:
        """Back to ``checkpoint``, with the run's ``updates`` before it."""
        checkpoint = copy.deepcopy(checkpoint)  # load_state_dict may alias its tensors
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.scheduler.load_state_dict(checkpoint["scheduler"])
        self.train_gen.rng.set_state(checkpoint["rng"])
        self.updates = list(updates)

    def step(
        self, x: torch.Tensor, y: torch.Tensor, h: History, action: float | str | None, keep: bool
    ) -> tuple[float, int]:
        """One training step on ``(x, y)``, recorded in ``h``; ``action``: ``"skip"`` (no
        update), a number (a cap on the update's norm) or ``None``. Returns the batch's
        loss and number of correct predictions."""
        recipe, params, t = self.recipe, self.params, self.scheduler.last_epoch
        logits = self.model(x)
        loss = F.cross_entropy(logits, y)
        self.optimizer.zero_grad()
        loss.backward()
        h.grad_norm.append(math.sqrt(sum(g * g for g in (p.grad.norm().item() for p in params))))
        if recipe.clip is not None:
            nn.utils.clip_grad_norm_(params, recipe.clip)
        before = [p.detach().clone() for p in params]
        lr = self.optimizer.param_groups[0]["lr"]
        if action != "skip":
            self.optimizer.step()
        delta = [p.detach() - b for p, b in zip(params, before)]
        if recipe.update_clip is not None:
            clip_update(params, before, delta, recipe.update_clip * lr)
        size = math.sqrt(sum(float((d * d).sum()) for d in delta))
        cap = action if isinstance(action, float | int) else math.inf
        if recipe.update_cap is not None and self.updates:
            cap = min(cap, recipe.update_cap * typical(self.updates, t))
        size = cap_update(params, before, delta, size, cap)
        self.updates.append(size)
        self.scheduler.step()
        h.update_norm.append(size)
        h.lr.append(lr)
        h.step_loss.append(loss.item())
        if keep:
            h.weights.append([p.detach().cpu().clone() for p in params])
        return loss.item(), int((logits.argmax(1) == y).sum())

    def epoch(self, h: History, intervene: dict[int, float | str], keep: bool) -> None:
        """One epoch: every train batch, then every test batch; appends to ``h``.
        ``intervene`` maps a global step to ``"skip"`` (no update, optimiser state
        untouched) or a number (the update's norm is capped at it). ``keep`` also keeps
        the weights after every step and the batches behind the plotted values."""
        self.model.train()
        loss, correct, seen = math.nan, 0, 0
        for x, y in self.train_gen:
            x, y = x.to(self.device), y.to(self.device)
            loss, hits = self.step(x, y, h, intervene.get(self.scheduler.last_epoch), keep)
            correct, seen = correct + hits, seen + len(y)
        h.train_loss.append(loss)  # the plotted value: the epoch's last batch
        h.train_acc.append(correct / seen)
        if keep:
            h.last_train_batch.append((x.cpu(), y.cpu()))
        self.test(h, keep)
        for n, p in zip(self.names, self.params):
            h.weight_norm[n].append(p.detach().norm().item())

    def histogram(self) -> np.ndarray:
        """The counts of all weights now, in the bins :data:`HIST_EDGES`."""
        flat = torch.cat([p.detach().flatten() for p in self.params]).cpu().numpy()
        return np.histogram(flat, bins=HIST_EDGES)[0]

    @torch.no_grad()
    def test(self, h: History, keep: bool) -> None:
        """Every test batch in one forward pass (the same numbers, far fewer calls): the
        last batch's loss (the plotted value) and the accuracy over all."""
        self.model.eval()
        batches = list(self.test_gen)
        x, y = (torch.cat(parts).to(self.device) for parts in zip(*batches))
        logits = self.model(x)
        per_sample = F.cross_entropy(logits, y, reduction="none")
        h.test_loss.append(per_sample[-len(batches[-1][1]) :].mean().item())
        h.test_acc.append(int((logits.argmax(1) == y).sum()) / len(y))
        if keep:
            h.last_test_batch.append(batches[-1])


def _on_cpu(state: object) -> object:
    """``state`` (nested dicts and lists of tensors) with every tensor on the CPU."""
    if isinstance(state, torch.Tensor):
        return state.cpu()
    if isinstance(state, dict):
        return {k: _on_cpu(v) for k, v in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(_on_cpu(v) for v in state)
    return state


def with_weights(weights: list[torch.Tensor]) -> LSTMClassifier:
    """The section's model holding ``weights`` (one tensor per parameter, in order),
    in evaluation mode."""
    model = LSTMClassifier()
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights, strict=True):
            p.copy_(w)
    return model.eval()
