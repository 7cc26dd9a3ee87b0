"""Theory 1.3 and practical part C: an LSTM on the temporal-order task, its loss spikes,
and a training procedure without them.

:func:`train` runs one configuration and records everything the chapter reads: per
epoch the plotted losses (last batch, as the course plots) and the epoch means,
accuracies, weight norms and histograms; per step the loss, the global and
per-parameter gradient norms, the size of the parameter update, and the optimiser's
effective per-coordinate step ``lr / (sqrt(v) + eps)`` (RMSprop and Adam).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .cache import cached
from .temporal_order import SYMBOLS, make_generators
from .training import Timer, progress

__all__ = ["FIX", "SECTION8", "Config", "LSTMClassifier", "ablation", "evaluate",
           "first_perfect_epoch", "gradient_surprise", "jumps", "max_rise", "plot_curves",
           "plot_histograms", "plot_states", "plot_steps", "plot_weight_norms", "states",
           "train", "train_section8", "update_ceiling"]


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
class Config:
    """A training procedure. ``schedule``: ``None`` or ``"cosine"`` (to 0 over the run);
    ``clip``: max global gradient norm, or ``None``."""

    optimizer: str = "rmsprop"
    lr: float = 1e-3
    eps: float = 1e-8
    clip: float | None = None
    schedule: str | None = None
    batch_size: int = 32
    difficulty: str = "MODERATE"

    def __post_init__(self) -> None:
        if self.optimizer not in ("rmsprop", "adam", "amsgrad"):
            raise ValueError(
                f"optimizer must be 'rmsprop', 'adam' or 'amsgrad', got {self.optimizer!r}")
        if self.schedule not in (None, "cosine"):
            raise ValueError(f"schedule must be None or 'cosine', got {self.schedule!r}")
        if self.lr <= 0 or self.eps <= 0 or (self.clip is not None and self.clip <= 0):
            raise ValueError("lr, eps and clip must be positive")


SECTION8 = Config()
# The book's fix (practical C): AMSGrad keeps the largest second moment seen, so the
# per-coordinate step cannot grow when gradients vanish; clipping bounds the rare large
# gradient; batches of 100 make each step (and the plotted last-batch loss) less noisy;
# a cosine schedule anneals the step to zero.
FIX = Config(optimizer="amsgrad", lr=2e-3, clip=1.0, schedule="cosine", batch_size=100)


def max_rise(losses: list[float]) -> float:
    """The spike metric: ``max over e >= 1 of (loss[e] - min(loss[0..e-1]))``."""
    if len(losses) < 2:
        raise ValueError("need at least two epochs")
    arr = np.asarray(losses, dtype=float)
    running_min = np.minimum.accumulate(arr)[:-1]
    return float(np.max(arr[1:] - running_min))


def _make_optimizer(config: Config, params) -> torch.optim.Optimizer:
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=config.lr, eps=config.eps)
    return torch.optim.Adam(params, lr=config.lr, eps=config.eps,
                            amsgrad=config.optimizer == "amsgrad")


def _second_moment(optimizer: torch.optim.Optimizer, p: torch.Tensor) -> torch.Tensor | None:
    state = optimizer.state.get(p, {})
    for key in ("square_avg", "max_exp_avg_sq", "exp_avg_sq"):  # what divides the step
        if key in state:
            return state[key]
    return None


@cached
def train(config: Config = SECTION8, epochs: int = 100, model_seed: int = 1,
          data_seed: int = 8382, hist_bins: int = 41, show: bool = False) -> dict:
    """Run one configuration (1.3 and part C); returns the history described above,
    with the trained model under ``"model"``."""
    torch.manual_seed(model_seed)
    model = LSTMClassifier()
    train_gen, test_gen = make_generators(config.difficulty, config.batch_size, data_seed)
    optimizer = _make_optimizer(config, model.parameters())
    steps = epochs * len(train_gen)
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
                 if config.schedule == "cosine" else None)
    names = [n for n, _ in model.named_parameters()]
    params = list(model.parameters())
    h: dict = {key: [] for key in [
        "train_loss", "test_loss", "train_loss_mean", "test_loss_mean", "train_acc",
        "test_acc", "step_loss", "grad_norm", "update_norm", "step_median", "step_max",
        "lr"]}
    h["param_grad_norm"] = {n: [] for n in names}
    h["weight_norm"] = {n: [] for n in names}
    h["weight_hist"] = []
    h["snapshots"] = []  # the model after each epoch (about 1,300 numbers each)
    h["hist_edges"] = np.linspace(-3, 3, hist_bins + 1)
    with Timer() as timer:
        for _ in progress(range(epochs), desc="epochs", show=show):
            model.train()
            losses, correct, seen = [], 0, 0
            for x, y in train_gen:
                logits = model(x)
                loss = F.cross_entropy(logits, y)
                optimizer.zero_grad()
                loss.backward()
                grads = [p.grad.norm().item() for p in params]
                h["grad_norm"].append(float(np.sqrt(np.sum(np.square(grads)))))
                for n, g in zip(names, grads):
                    h["param_grad_norm"][n].append(g)
                if config.clip is not None:
                    nn.utils.clip_grad_norm_(params, config.clip)
                before = [p.detach().clone() for p in params]
                h["lr"].append(optimizer.param_groups[0]["lr"])
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                h["update_norm"].append(float(torch.sqrt(sum(
                    ((p.detach() - b) ** 2).sum() for p, b in zip(params, before)))))
                v = [_second_moment(optimizer, p) for p in params]
                step = torch.cat([(h["lr"][-1] / (s.sqrt() + config.eps)).flatten()
                                  for s in v if s is not None])
                h["step_median"].append(step.median().item())
                h["step_max"].append(step.max().item())
                h["step_loss"].append(loss.item())
                losses.append(loss.item())
                correct += int((logits.argmax(1) == y).sum())
                seen += len(y)
            h["train_loss"].append(losses[-1])
            h["train_loss_mean"].append(float(np.mean(losses)))
            h["train_acc"].append(100 * correct / seen)
            model.eval()
            losses, correct, seen = [], 0, 0
            with torch.no_grad():
                for x, y in test_gen:
                    logits = model(x)
                    losses.append(F.cross_entropy(logits, y).item())
                    correct += int((logits.argmax(1) == y).sum())
                    seen += len(y)
            h["test_loss"].append(losses[-1])
            h["test_loss_mean"].append(float(np.mean(losses)))
            h["test_acc"].append(100 * correct / seen)
            for n, p in zip(names, params):
                h["weight_norm"][n].append(p.detach().norm().item())
            h["snapshots"].append(copy.deepcopy(model.state_dict()))
            flat = torch.cat([p.detach().flatten() for p in params]).numpy()
            h["weight_hist"].append(np.histogram(flat, bins=h["hist_edges"])[0])
    h["seconds"] = timer.seconds
    h["config"] = asdict(config)
    h["weight_hist"] = np.stack(h["weight_hist"])
    h["model"] = copy.deepcopy(model).eval()
    return h


def train_section8(fix: bool, epochs: int = 100) -> dict:
    """Practical C: the section's configuration (``fix=False``: RMSprop, lr 1e-3) or the
    book's fix (``fix=True``); same model, ``torch.manual_seed(1)``, same data seed."""
    return train(FIX if fix else SECTION8, epochs=epochs)


@torch.no_grad()
def states(model: LSTMClassifier, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Hidden and cell states ``(T, hidden)`` for one sequence ``x`` ``(T, 8)``, from the
    LSTM's own weights step by step (``nn.LSTM`` returns only the last cell state)."""
    lstm = model.lstm
    hidden = lstm.hidden_size
    h = torch.zeros(hidden)
    c = torch.zeros(hidden)
    hs, cs = [], []
    for x_t in x:
        gates = (lstm.weight_ih_l0 @ x_t + lstm.bias_ih_l0
                 + lstm.weight_hh_l0 @ h + lstm.bias_hh_l0)
        i, f, g, o = gates.split(hidden)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
        cs.append(c)
    return torch.stack(hs), torch.stack(cs)


def jumps(losses: list[float], threshold: float = 0.5) -> list[int]:
    """Epochs whose plotted loss rose by more than ``threshold`` over the epoch before."""
    return [e for e in range(1, len(losses)) if losses[e] - losses[e - 1] > threshold]


def first_perfect_epoch(accuracies: list[float]) -> int | None:
    """The first epoch (0-based) at 100% accuracy, or ``None``."""
    return next((e for e, a in enumerate(accuracies) if a >= 100.0), None)


@torch.no_grad()
def evaluate(model: LSTMClassifier, n: int = 1000, difficulty: str = "MODERATE",
             seed: int = 0) -> dict:
    """Loss, accuracy and per-sequence losses of ``model`` on ``n`` fresh sequences."""
    from .temporal_order import TemporalOrder

    gen = TemporalOrder(difficulty, batch_size=min(n, 1000), seed=seed)
    batches = [gen.batch() for _ in range(-(-n // gen.batch_size))]
    x = torch.cat([b[0] for b in batches])[:n]
    y = torch.cat([b[1] for b in batches])[:n]
    logits = model(x)
    per_sample = F.cross_entropy(logits, y, reduction="none")
    probs = logits.softmax(1)
    return {"loss": per_sample.mean().item(), "accuracy": 100 * (logits.argmax(1) == y)
            .float().mean().item(), "per_sample": per_sample, "probs": probs, "labels": y}


def ablation(configs: dict[str, Config], epochs: int = 100) -> list[dict]:
    """One row per configuration: the spike metric on both plotted curves, the final
    and first-perfect test accuracy, and the wall time of the run."""
    rows = []
    for name, config in configs.items():
        h = train(config, epochs=epochs)
        rows.append({"name": name, "rise_train": max_rise(h["train_loss"]),
                     "rise_test": max_rise(h["test_loss"]), "final_acc": h["test_acc"][-1],
                     "first_100": first_perfect_epoch(h["test_acc"]),
                     "seconds": h["seconds"]})
    return rows


def plot_curves(h: dict, title: str = ""):
    """The section's figure: plotted losses (left) and accuracies (right) per epoch."""
    from .plotting import curves

    fig = curves({
        "loss": {"train": h["train_loss"], "test": h["test_loss"]},
        "accuracy (%)": {"train": h["train_acc"], "test": h["test_acc"]},
    })
    fig.axes[0].set_ylim(0, 4)
    fig.axes[1].set_ylim(0, 102)
    if title:
        fig.suptitle(title, y=1.02)
    return fig


def plot_steps(h: dict, ax, title: str = "") -> None:
    """Gradient norm per step (log scale) with the training loss on a second axis."""
    steps = np.arange(len(h["grad_norm"]))
    ax.semilogy(steps, h["grad_norm"], color="tab:blue", lw=0.6, label="gradient norm")
    ax.set_ylabel("global gradient norm", color="tab:blue")
    ax.set_xlabel("step")
    twin = ax.twinx()
    twin.plot(steps, h["step_loss"], color="tab:red", lw=0.6, alpha=0.8)
    twin.set_ylabel("batch loss", color="tab:red")
    twin.set_ylim(0, 4)
    ax.set_title(title)


def plot_weight_norms(h: dict, ax, title: str = "") -> None:
    """The norm of every parameter tensor after each epoch."""
    for name, values in h["weight_norm"].items():
        ax.plot(values, label=name.replace("_l0", ""))
    ax.set_xlabel("epoch")
    ax.set_ylabel("weight norm")
    ax.set_title(title)


def plot_histograms(h: dict, ax, title: str = "") -> None:
    """All weights' histogram per epoch as a heat map (log counts)."""
    edges = h["hist_edges"]
    counts = np.log1p(h["weight_hist"].T)
    ax.imshow(counts, aspect="auto", origin="lower", cmap="viridis",
              extent=[0, counts.shape[1], edges[0], edges[-1]])
    ax.set_xlabel("epoch")
    ax.set_ylabel("weight value")
    ax.set_title(title)


def plot_states(model: LSTMClassifier, sequence: str, axes) -> None:
    """Hidden and cell states over time for one sequence, symbols on the time axis."""
    from .temporal_order import encode

    x = encode([sequence])[0]
    hs, cs = states(model, x)
    for ax, values, name in [(axes[0], hs, "hidden state h"), (axes[1], cs, "cell state c")]:
        bound = float(values.abs().max())
        ax.imshow(values.T, aspect="auto", cmap="RdBu_r", vmin=-bound, vmax=bound,
                  interpolation="nearest")
        ax.set_ylabel(f"{name}\nunit")
        ax.set_yticks(range(0, values.shape[1], 2))
        ax.set_xticks(range(len(sequence)))
    # Symbols under the bottom panel, the two relevant ones in bold red.
    labels = axes[-1].set_xticklabels(list(sequence), fontsize=6)
    for label, char in zip(labels, sequence):
        if char in "XY":
            label.set_color("tab:red")
            label.set_fontweight("bold")
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[-1].set_xlabel("time step (input symbol)")


def gradient_surprise(h: dict, window: int = 100) -> np.ndarray:
    """Per step: the global gradient norm divided by the RMS of the ``window`` norms
    before it (NaN for the first ``window`` steps). RMSprop's denominator is a running
    RMS of the same kind, per coordinate; a ratio far above 1 is a step it cannot damp."""
    g = np.asarray(h["grad_norm"])
    out = np.full(len(g), np.nan)
    squares = np.concatenate([[0.0], np.cumsum(g**2)])
    for t in range(window, len(g)):
        out[t] = g[t] / np.sqrt((squares[t] - squares[t - window]) / window)
    return out


def update_ceiling(config: Config, n_params: int, alpha: float = 0.99) -> float:
    """The largest RMSprop update norm: when one gradient dwarfs the running mean of
    squares, each coordinate moves ``lr / sqrt(1 - alpha)``, so the whole update has
    norm ``lr * sqrt(n_params / (1 - alpha))``."""
    return config.lr * float(np.sqrt(n_params / (1 - alpha)))
