"""Theory 1.3 and practical C: the numbers and tables the chapter shows of its runs.

The runs it trains (the candidates of 1.3.3, the two fixes on the held-out seeds, the
runs in other arithmetic), the tables of its answers, and the numbers it glues, by glue
name. Nothing here writes prose: the page's sentences are written by hand and asserted
on the page, so a value here is a number, a table or a list of numbers.

The metric, the rule, the jumps and their explanation are :mod:`hw2.spikes`; nothing
here changes a training result.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from . import arithmetic as arith
from .loss_curves import (
    FIX,
    SECTION8,
    WINDOW,
    Config,
    History,
    LSTMClassifier,
    evaluate,
    states,
    update_ceiling,
    with_weights,
)
from .runtime import pick_device
from .spikes import (
    BIG,
    CURVES,
    JUMP,
    big_steps,
    explain_jump,
    first_perfect_epoch,
    jumps_of,
    max_rise,
    max_rise_epoch,
    summary,
)
from .temporal_order import CLASSES, TemporalOrder, decode

__all__ = ["ABLATION", "DEV_SEEDS", "HELD_OUT", "SIMPLE", "ablation_facts",
           "ablation_table", "big_step_facts", "book_runs", "cell_moves",
           "compare_table", "fix_facts", "initial_facts", "jump_table",
           "leftovers_table", "removal_counts", "rule_table", "seed_facts",
           "settings_table", "suspect_facts", "worst_facts", "worst_table"]


# Practical C's simple fix: the one change of the section's procedure that met the
# chapter's rule most often on the development seeds 1-10 among those measured (see
# the chapter): the learning rate annealed to 0 by a cosine over the run.
SIMPLE = Config(schedule="cosine")

# Question 1.3.3's candidates: the section's procedure and one change to it each, and
# the two fixes of practical C; key: (row label, procedure).
ABLATION: dict[str, tuple[str, Config]] = {
    "section": ("section: RMSprop, lr 1e-3", SECTION8),
    "clip1": ("clip gradient norm at 1.0", Config(clip=1.0)),
    "clip01": ("clip gradient norm at 0.1", Config(clip=0.1)),
    "lowlr": ("lower lr, 3e-4", Config(lr=3e-4)),
    "updclip": ("update clipping at 1 lr", Config(update_clip=1.0)),
    "simple": ("simple fix (practical C)", SIMPLE),
    "fix": ("book's fix (practical C)", FIX),
}
DEV_SEEDS = tuple(range(1, 11))  # data seeds the fixes were chosen on
HELD_OUT = tuple(range(11, 21))  # data seeds the fixes never saw


def _epochs(epochs: Iterable[int]) -> str:
    """A list of epochs for a table cell: ``"3, 5"``, or ``"–"`` for none."""
    return ", ".join(str(e) for e in epochs) or "–"


def jump_table(rows: list[dict]) -> str:
    """The jumps explained by :func:`hw2.spikes.explain_jump`, as a Markdown table."""
    lines = ["| epoch | curve | plotted loss | suspect step | gradient ÷ typical "
             "| update ÷ typical | suspect capped | every update capped "
             "| capped replay jumps later |",
             "|---:|---|---|---:|---:|---:|---:|---:|:-:|"]
    for r in sorted(rows, key=lambda r: (r["epoch"], r["curve"])):
        lines.append(
            f"| {r['epoch']} | {r['curve']} | {r['previous']:.2f} → {r['value']:.2f} "
            f"| {r['suspect']} | {r['grad_ratio']:.0f}× | {r['update_ratio']:.0f}× "
            f"| {r['capped_value']:.2f} | {r['all_capped_value']:.2f} "
            f"| {'yes' if _jumps_later(r) else 'no'} |")
    return "\n".join(lines)


def _jumps_later(r: dict) -> bool:
    """Whether the replay with the suspect capped jumps in one of the epochs it replays
    after the jump's own."""
    values = r["capped"].losses(r["curve"])
    return any(b - a > JUMP for a, b in zip(values[1:], values[2:]))


def removal_counts(rows: list[dict]) -> dict:
    """How many of the jumps ``rows`` one capped update removes, how many of those
    replays jump again in the epochs after, and how many jumps capping every update
    of the epoch removes, by glue name."""
    removed = [r for r in rows if r["removed"]]
    return {"n_explained": len(rows), "n_removed": len(removed),
            "n_later": sum(_jumps_later(r) for r in removed),
            "n_all_removed": sum(r["all_removed"] for r in rows)}


def suspect_facts(h: History, rows: list[dict]) -> dict:
    """What 1.3.1's evidence says of the suspect updates ``rows``
    (:func:`hw2.spikes.explain_jumps`) and of the run's other big updates, by glue
    name: numbers only."""
    big = big_steps(h.update_norm)
    jumped = {r["epoch"] for r in rows}
    n_params = sum(p.numel() for p in LSTMClassifier().parameters())
    facts = {f"{glued}_{end}": fn(r[name] for r in rows)
             for name, glued in (("grad_ratio", "grad_ratio"),
                                 ("update_ratio", "update_ratio"),
                                 ("update_norm", "suspect_update"))
             for end, fn in (("min", min), ("max", max))}
    ceiling = update_ceiling(h.config, n_params)
    return {**facts, "n_params": n_params, "ceiling": ceiling,
            "suspect_share_min": 100 * facts["suspect_update_min"] / ceiling,
            "typical_update_median": float(np.median([r["typical_update"]
                                                      for r in rows])),
            "n_big": len(big),
            "n_big_elsewhere": sum(h.epoch_of(t) not in jumped for t in big),
            "big_factor": BIG, "window": WINDOW}


def _after_suspect(worst: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """The plotted batch of the jump ``worst`` and the model's probabilities on it
    right after the suspect update."""
    x, y = worst["replayed"].last_batch(worst["curve"], 1)
    weights = worst["replayed"].weights_after(worst["suspect"])
    with torch.no_grad():
        return with_weights(weights)(x).softmax(1), y


def worst_facts(rows: list[dict]) -> dict:
    """Question 1.3.2 on the highest jump of ``rows``: the plotted batch right after the
    suspect update (its mean loss, how many sequences are wrong and how many cost more
    than ln 4, the worst sequence's loss and its probability of the true class, in %),
    by glue name."""
    worst = max(rows, key=lambda r: r["value"])
    probs, y = _after_suspect(worst)
    p_true = probs[torch.arange(len(y)), y]
    loss = -p_true.log()  # per sequence
    wrong = probs.argmax(1) != y
    return {"worst_epoch": worst["epoch"], "worst_value": worst["value"],
            "ln4": float(np.log(4)), "batch_after": float(loss.mean()),
            "n_batch": len(y), "n_wrong": int(wrong.sum()),
            "worst_sample": float(loss.max()),
            "worst_p": 100 * float(p_true.min()),
            "n_over_ln4": int((loss > np.log(4)).sum())}


def worst_table(rows: list[dict]) -> str:
    """The plotted batch of the highest jump of ``rows`` right after its suspect update,
    one Markdown row per true class: sequences, how many the model gets right, what it
    predicts for the others, their mean loss."""
    worst = max(rows, key=lambda r: r["value"])
    probs, y = _after_suspect(worst)
    loss = -probs[torch.arange(len(y)), y].log()
    predicted = probs.argmax(1)
    lines = ["| true class | sequences | predicted right | predicted instead "
             "| mean loss |", "|---|---:|---:|---|---:|"]
    for c, name in enumerate(CLASSES):
        mine = y == c
        if not mine.any():
            continue
        others = sorted({CLASSES[int(p)] for p in predicted[mine] if int(p) != c})
        lines.append(f"| {name} | {int(mine.sum())} | {int((predicted[mine] == c).sum())} "
                     f"| {', '.join(others) or '–'} | {float(loss[mine].mean()):.2f} |")
    return "\n".join(lines)


def ablation_table(rows: dict[str, dict]) -> str:
    """Question 1.3.3's table: one :func:`hw2.spikes.summary` per :data:`ABLATION`
    key, each one run."""
    table = ["| training procedure | max rise train | max rise test | big updates "
             "| first epoch at 100% | final test acc |", "|---|---:|---:|---:|---:|---:|"]
    for key, r in rows.items():
        first = "never" if r["first_100"] is None else r["first_100"]
        table.append(f"| {ABLATION[key][0]} | {r['rise_train']:.2f} "
                     f"| {r['rise_test']:.2f} | {r['big_updates']} | {first} "
                     f"| {r['final_acc']:.1%} |")
    return "\n".join(table)


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
    start = evaluate(LSTMClassifier().eval(), n=n, difficulty=h.config.difficulty,
                     seed=seed)
    probs = start["probs"]
    uniform = torch.full_like(probs, 0.25)
    kl = (uniform * (uniform / probs).log()).sum(1)  # KL(uniform || p) per sequence
    share = torch.bincount(start["labels"], minlength=4) / len(start["labels"])
    return {"init_loss": start["loss"], "init_acc": 100 * start["accuracy"],
            "init_pmin": probs.min().item(), "init_pmax": probs.max().item(),
            "init_kl": kl.mean().item(), "share_min": 100 * share.min().item(),
            "share_max": 100 * share.max().item(), "epoch0_loss": h.train_loss[0],
            "epoch0_acc": 100 * h.train_acc[0], "n_init": n}


def fix_facts(base: History, fixed: History) -> dict:
    """Practical C on the homework's data: the fix's run ``fixed`` against the
    section's ``base``, by glue name."""
    row = summary(fixed)
    return {"fix_lr": fixed.config.lr, "fix_cap": fixed.config.update_cap,
            "fix_rms": fixed.config.update_clip, "fix_batch": fixed.config.batch_size,
            "fix_rise_train": row["rise_train"], "fix_rise_test": row["rise_test"],
            "fix_final_acc": 100 * row["final_acc"], "fix_seconds": row["train_seconds"],
            "base_rise_train": max_rise(base.train_loss),
            "base_rise_test": max_rise(base.test_loss)}


def _first(h: History) -> str:
    first = first_perfect_epoch(h.test_acc)
    return "never" if first is None else str(first)


def rule_table(named: list[tuple[str, History]], label: str = "run") -> str:
    """Runs held against practical C's rule (:func:`hw2.spikes.passes`), a Markdown
    row per ``(name, history)``."""
    lines = [f"| {label} | max rise train | max rise test | first epoch at 100% "
             "| final test acc | meets the rule |", "|---|---:|---:|---:|---:|:-:|"]
    for name, h in named:
        f = summary(h)
        lines.append(f"| {name} | {f['rise_train']:.2f} | {f['rise_test']:.2f} "
                     f"| {_first(h)} | {f['final_acc']:.1%} "
                     f"| {'yes' if f['passes'] else 'no'} |")
    return "\n".join(lines)


def compare_table(seeds: Iterable[int], simple: list[History],
                  fixed: list[History]) -> str:
    """Two procedures on the same data seeds, a Markdown row per seed: each one's max
    rise (the larger of its two curves), final test accuracy and whether it meets the
    rule."""
    lines = ["| data seed | simple: max rise | final test acc | meets the rule "
             "| book's fix: max rise | final test acc | meets the rule |",
             "|---:|---:|---:|:-:|---:|---:|:-:|"]
    for seed, a, b in zip(seeds, simple, fixed, strict=True):
        cells = []
        for h in (a, b):
            f = summary(h)
            cells.append(f"{max(f['rise_train'], f['rise_test']):.2f} "
                         f"| {f['final_acc']:.1%} | {'yes' if f['passes'] else 'no'}")
        lines.append(f"| {seed} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def seed_facts(runs: list[History], prefix: str) -> dict:
    """A procedure over several data seeds, by glue name (``prefix_...``): how many
    runs meet the rule, and the median and largest max rise and the median and
    lowest final test accuracy (%)."""
    rows = [summary(h) for h in runs]
    rises = [max(r["rise_train"], r["rise_test"]) for r in rows]
    accs = [100 * r["final_acc"] for r in rows]
    return {f"{prefix}_pass": sum(r["passes"] for r in rows), f"{prefix}_n": len(rows),
            f"{prefix}_rise_median": float(np.median(rises)),
            f"{prefix}_rise_max": max(rises),
            f"{prefix}_acc_median": float(np.median(accs)),
            f"{prefix}_acc_min": min(accs)}


def settings_table(rows: list[tuple[str, History, History]]) -> str:
    """The section's run and the fix in each arithmetic, a Markdown row per
    ``(setting, section's history, fix's history)``."""
    lines = ["| arithmetic | section: train curve jumps at | test curve jumps at "
             "| fix: max rise train | max rise test | final test acc "
             "| meets the rule |",
             "|---|---|---|---:|---:|---:|:-:|"]
    for setting, section, fix in rows:
        found, f = jumps_of(section), summary(fix)
        lines.append(f"| {setting} | {_epochs(found['train'])} "
                     f"| {_epochs(found['test'])} | {f['rise_train']:.2f} "
                     f"| {f['rise_test']:.2f} | {f['final_acc']:.1%} "
                     f"| {'yes' if f['passes'] else 'no'} |")
    return "\n".join(lines)


def leftovers_table(named: list[tuple[str, History]], bar: float) -> str:
    """Where runs ``(name, history)`` rise more than ``bar``: each one's largest rise
    taken apart (batch part and steps part, :func:`hw2.spikes.explain_jump`), a
    Markdown row per run; a table with a single row of dashes if none does."""
    lines = ["| run | curve | epoch | change of the plotted loss | batch part "
             "| steps part | suspect update ÷ typical | value with it capped |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    above = [(name, h) for name, h in named
             if max(max_rise(h.train_loss), max_rise(h.test_loss)) > bar]
    calls = []
    for _, h in above:
        curve = max(CURVES, key=lambda c: max_rise(h.losses(c)))
        calls.append(dict(h=h, epoch=max_rise_epoch(h.losses(curve)), curve=curve))
    explained: dict[int, dict] = {}
    for setting in dict.fromkeys(c["h"].arithmetic for c in calls):
        mine = [i for i, c in enumerate(calls) if c["h"].arithmetic == setting]
        if pick_device(calls[mine[0]]["h"].device).type != "cpu":
            found = [explain_jump(**calls[i]) for i in mine]
        else:  # two worker processes in the runs' arithmetic
            found = arith.run(explain_jump, [calls[i] for i in mine], setting)
        explained.update(zip(mine, found))
    for i, ((name, _), c) in enumerate(zip(above, calls)):
        r = explained[i]
        lines.append(f"| {name} | {c['curve']} | {c['epoch']} "
                     f"| {r['value'] - r['previous']:+.2f} "
                     f"| {r['batch_part']:+.2f} | {r['steps_part']:+.2f} "
                     f"| {r['update_ratio']:.1f}× | {r['capped_value']:.2f} |")
    if len(lines) == 2:
        lines.append("| – | – | – | – | – | – | – | – |")
    return "\n".join(lines)


def book_runs(settings: Iterable[str]) -> list[dict]:
    """Every run the chapter reads, as :func:`hw2.loss_curves.train_many` arguments: the
    candidates of 1.3.3, the simple fix and the book's fix on the held-out data seeds,
    and the section's procedure and the fix in each other arithmetic ``settings``."""
    return ([dict(config=config) for _, config in ABLATION.values()]
            + [dict(config=c, data_seed=seed) for c in (SIMPLE, FIX)
               for seed in HELD_OUT]
            + [dict(config=c, arithmetic=s) for s in settings for c in (SECTION8, FIX)])


def big_step_facts(before: History, after: History) -> dict:
    """The extra credit's counts: big updates and big gradients before and after the
    fix, by glue name."""
    return {"before_big": len(big_steps(before.update_norm)),
            "after_big": len(big_steps(after.update_norm)),
            "before_grad_spikes": len(big_steps(before.grad_norm)),
            "after_grad_spikes": len(big_steps(after.grad_norm))}


def cell_moves(model: LSTMClassifier, n: int = 200, seed: int = 1,
               difficulty: str = "MODERATE") -> np.ndarray:
    """For ``n`` fresh test sequences: how much more the cell state moves at the two
    relevant symbols (``X``, ``Y``) than at a distractor, the ratio of the mean
    absolute change of the cell units, one ratio per sequence."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    x, _ = TemporalOrder(difficulty, batch_size=n, seed=seed).batch()
    ratios = []
    for xi in x:
        sequence = decode(xi[None])[0]
        _, cs = states(model, xi[len(xi) - len(sequence):])
        moves = (cs[1:] - cs[:-1]).abs().mean(1)  # mean change of the cell units
        relevant = torch.tensor([c in "XY" for c in sequence[1:]])
        ratios.append((moves[relevant].mean() / moves[~relevant].mean()).item())
    return np.asarray(ratios)
