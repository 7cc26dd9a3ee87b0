"""Theory 1.3 and practical C: the numbers the chapter glues, by glue name.

Each function here reads the chapter's runs (:mod:`hw2.loss_curves`) or explained jumps
(:class:`hw2.counterfactual.Jump`) and returns a dict from the page's glue names to
numbers: the glue names are the page's vocabulary, so these stay dicts (and the page
passes them to ``glue_all``). Nothing here writes prose or changes a training result.
The tables are :mod:`hw2.spikes_report`.
"""

from __future__ import annotations

import numpy as np
import torch

from .counterfactual import Jump
from .loss_curves import (
    WINDOW,
    History,
    LSTMClassifier,
    evaluate,
    states,
    update_ceiling,
    with_weights,
)
from .spikes import BIG, JUMP, big_steps, max_rise, summary
from .temporal_order import TemporalOrder, decode

__all__ = [
    "ablation_facts",
    "after_suspect",
    "big_step_facts",
    "cell_moves",
    "fix_facts",
    "initial_facts",
    "jumps_later",
    "removal_counts",
    "seed_facts",
    "suspect_facts",
    "worst_facts",
]


def jumps_later(r: Jump) -> bool:
    """Whether the replay with the suspect capped jumps in one of the epochs it replays
    after the jump's own."""
    values = r.capped.losses(r.curve)
    return any(b - a > JUMP for a, b in zip(values[1:], values[2:]))


def removal_counts(rows: list[Jump]) -> dict:
    """How many of the jumps ``rows`` one capped update removes, how many of those
    replays jump again in the epochs after, and how many jumps capping every update
    of the epoch removes, by glue name."""
    removed = [r for r in rows if r.removed]
    return {
        "n_explained": len(rows),
        "n_removed": len(removed),
        "n_later": sum(jumps_later(r) for r in removed),
        "n_all_removed": sum(r.all_removed for r in rows),
    }


def suspect_facts(h: History, rows: list[Jump]) -> dict:
    """What 1.3.1's evidence says of the suspect updates ``rows``
    (:func:`hw2.counterfactual.explain_jumps`) and of the run's other big updates, by glue
    name: numbers only."""
    big = big_steps(h.update_norm)
    jumped = {r.epoch for r in rows}
    n_params = sum(p.numel() for p in LSTMClassifier().parameters())
    facts = {
        f"{glued}_{end}": fn(getattr(r, name) for r in rows)
        for name, glued in (
            ("grad_ratio", "grad_ratio"),
            ("update_ratio", "update_ratio"),
            ("update_norm", "suspect_update"),
        )
        for end, fn in (("min", min), ("max", max))
    }
    ceiling = update_ceiling(h.recipe, n_params)
    return {
        **facts,
        "n_params": n_params,
        "ceiling": ceiling,
        "suspect_share_min": 100 * facts["suspect_update_min"] / ceiling,
        "typical_update_median": float(np.median([r.typical_update for r in rows])),
        "n_big": len(big),
        "n_big_elsewhere": sum(h.epoch_of(t) not in jumped for t in big),
        "big_factor": BIG,
        "window": WINDOW,
    }


def after_suspect(worst: Jump) -> tuple[torch.Tensor, torch.Tensor]:
    """The plotted batch of the jump ``worst`` and the model's probabilities on it
    right after the suspect update."""
    x, y = worst.replayed.last_batch(worst.curve, 1)
    weights = worst.replayed.weights_after(worst.suspect)
    with torch.no_grad():
        return with_weights(weights)(x).softmax(1), y


def worst_facts(rows: list[Jump]) -> dict:
    """Question 1.3.2 on the highest jump of ``rows``: the plotted batch right after the
    suspect update (its mean loss, how many sequences are wrong and how many cost more
    than ln 4, the worst sequence's loss and its probability of the true class, in %),
    by glue name."""
    worst = max(rows, key=lambda r: r.value)
    probs, y = after_suspect(worst)
    p_true = probs[torch.arange(len(y)), y]
    loss = -p_true.log()  # per sequence
    wrong = probs.argmax(1) != y
    return {
        "worst_epoch": worst.epoch,
        "worst_value": worst.value,
        "ln4": float(np.log(4)),
        "batch_after": float(loss.mean()),
        "n_batch": len(y),
        "n_wrong": int(wrong.sum()),
        "worst_sample": float(loss.max()),
        "worst_p": 100 * float(p_true.min()),
        "n_over_ln4": int((loss > np.log(4)).sum()),
    }


def ablation_facts(rows: dict[str, dict]) -> dict:
    """The numbers 1.3.3's text quotes (``rows``: one :func:`hw2.spikes.summary` per
    :data:`ABLATION` key): each candidate's max rise (the larger of its two curves)
    and big updates, by glue name."""
    facts: dict = {}
    for key, r in rows.items():
        facts[f"{key}_rise"] = max(r["rise_train"], r["rise_test"])
        facts[f"{key}_big"] = r["big_updates"]
    return facts


def initial_facts(h: History, n: int = 2000, seed: int = 0) -> dict:
    """Question 1.3.4: the run's model before training on ``n`` fresh sequences (loss,
    accuracy in %, the range of its probabilities, the mean KL(uniform || p), the class
    shares in %) and the run's first plotted epoch, by glue name."""
    torch.manual_seed(h.model_seed)
    start = evaluate(LSTMClassifier().eval(), n=n, difficulty=h.recipe.difficulty, seed=seed)
    probs = start.probs
    uniform = torch.full_like(probs, 0.25)
    kl = (uniform * (uniform / probs).log()).sum(1)  # KL(uniform || p) per sequence
    share = torch.bincount(start.labels, minlength=4) / len(start.labels)
    return {
        "init_loss": start.loss,
        "init_acc": 100 * start.accuracy,
        "init_pmin": probs.min().item(),
        "init_pmax": probs.max().item(),
        "init_kl": kl.mean().item(),
        "share_min": 100 * share.min().item(),
        "share_max": 100 * share.max().item(),
        "epoch0_loss": h.train_loss[0],
        "epoch0_acc": 100 * h.train_acc[0],
        "n_init": n,
    }


def fix_facts(base: History, fixed: History) -> dict:
    """Practical C on the homework's data: the fix's run ``fixed`` against the
    section's ``base``, by glue name."""
    row = summary(fixed)
    return {
        "fix_lr": fixed.recipe.lr,
        "fix_cap": fixed.recipe.update_cap,
        "fix_rms": fixed.recipe.update_clip,
        "fix_batch": fixed.recipe.batch_size,
        "fix_rise_train": row["rise_train"],
        "fix_rise_test": row["rise_test"],
        "fix_final_acc": 100 * row["final_acc"],
        "fix_seconds": row["train_seconds"],
        "base_rise_train": max_rise(base.train_loss),
        "base_rise_test": max_rise(base.test_loss),
    }


def seed_facts(runs: list[History], prefix: str) -> dict:
    """A procedure over several data seeds, by glue name (``prefix_...``): how many
    runs meet the rule, and the median and largest max rise and the median and
    lowest final test accuracy (%)."""
    rows = [summary(h) for h in runs]
    rises = [max(r["rise_train"], r["rise_test"]) for r in rows]
    accs = [100 * r["final_acc"] for r in rows]
    return {
        f"{prefix}_pass": sum(r["passes"] for r in rows),
        f"{prefix}_n": len(rows),
        f"{prefix}_rise_median": float(np.median(rises)),
        f"{prefix}_rise_max": max(rises),
        f"{prefix}_acc_median": float(np.median(accs)),
        f"{prefix}_acc_min": min(accs),
    }


def big_step_facts(before: History, after: History) -> dict:
    """The extra credit's counts: big updates and big gradients before and after the
    fix, by glue name."""
    return {
        "before_big": len(big_steps(before.update_norm)),
        "after_big": len(big_steps(after.update_norm)),
        "before_grad_spikes": len(big_steps(before.grad_norm)),
        "after_grad_spikes": len(big_steps(after.grad_norm)),
    }


def cell_moves(
    model: LSTMClassifier, n: int = 200, seed: int = 1, difficulty: str = "MODERATE"
) -> np.ndarray:
    """For ``n`` fresh test sequences: how much more the cell state moves at the two
    relevant symbols (``X``, ``Y``) than at a distractor, the ratio of the mean
    absolute change of the cell units, one ratio per sequence."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    x, _ = TemporalOrder(difficulty, batch_size=n, seed=seed).batch()
    ratios = []
    for xi in x:
        sequence = decode(xi[None])[0]
        _, cs = states(model, xi[len(xi) - len(sequence) :])
        moves = (cs[1:] - cs[:-1]).abs().mean(1)  # mean change of the cell units
        relevant = torch.tensor([c in "XY" for c in sequence[1:]])
        ratios.append((moves[relevant].mean() / moves[~relevant].mean()).item())
    return np.asarray(ratios)
