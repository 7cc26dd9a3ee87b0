"""Theory 1.3 and practical C: the numbers and tables the chapter shows of its runs.

The runs it trains (the candidates of 1.3.3, the two fixes on the held-out seeds, the
runs in other arithmetic) and the tables of its answers; the numbers it glues, by glue
name, are :mod:`hw2.spikes_facts` (re-exported here, so a page reads both as one
report). Nothing here writes prose: the page's sentences are written by hand and
asserted on the page, so a value here is a number, a table or a list of numbers.

The metric, the rule and the jumps are :mod:`hw2.spikes`, a jump's explanation is
:mod:`hw2.counterfactual`; nothing here changes a training result.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from . import arithmetic as arith
from .counterfactual import Jump, explain_jump
from .loss_curves import FIX, SECTION8, History, Recipe
from .runtime import pick_device
from .spikes import CURVES, first_perfect_epoch, jumps_of, max_rise, max_rise_epoch, summary
from .spikes_facts import (
    ablation_facts,
    after_suspect,
    big_step_facts,
    cell_moves,
    fix_facts,
    initial_facts,
    jumps_later,
    removal_counts,
    seed_facts,
    suspect_facts,
    worst_facts,
)
from .temporal_order import CLASSES

__all__ = [
    "ABLATION",
    "DEV_SEEDS",
    "HELD_OUT",
    "SIMPLE",
    "ablation_facts",
    "ablation_table",
    "big_step_facts",
    "book_runs",
    "cell_moves",
    "compare_table",
    "fix_facts",
    "initial_facts",
    "jump_table",
    "leftovers_table",
    "removal_counts",
    "rule_table",
    "seed_facts",
    "settings_table",
    "suspect_facts",
    "worst_facts",
    "worst_table",
]


# Practical C's simple fix: the one change of the section's procedure that met the
# chapter's rule most often on the development seeds 1-10 among those measured (see
# the chapter): the learning rate annealed to 0 by a cosine over the run.
SIMPLE = Recipe(schedule="cosine")

# Question 1.3.3's candidates: the section's procedure and one change to it each, and
# the two fixes of practical C; key: (row label, procedure).
ABLATION: dict[str, tuple[str, Recipe]] = {
    "section": ("section: RMSprop, lr 1e-3", SECTION8),
    "clip1": ("clip gradient norm at 1.0", Recipe(clip=1.0)),
    "clip01": ("clip gradient norm at 0.1", Recipe(clip=0.1)),
    "lowlr": ("lower lr, 3e-4", Recipe(lr=3e-4)),
    "updclip": ("update clipping at 1 lr", Recipe(update_clip=1.0)),
    "simple": ("simple fix (practical C)", SIMPLE),
    "fix": ("book's fix (practical C)", FIX),
}
DEV_SEEDS = tuple(range(1, 11))  # data seeds the fixes were chosen on
HELD_OUT = tuple(range(11, 21))  # data seeds the fixes never saw


def _epochs(epochs: Iterable[int]) -> str:
    """A list of epochs for a table cell: ``"3, 5"``, or ``"–"`` for none."""
    return ", ".join(str(e) for e in epochs) or "–"


def jump_table(rows: list[Jump]) -> str:
    """The jumps explained by :func:`hw2.counterfactual.explain_jump`, as a Markdown table."""
    lines = [
        "| epoch | curve | plotted loss | suspect step | gradient ÷ typical "
        "| update ÷ typical | suspect capped | every update capped "
        "| capped replay jumps later |",
        "|---:|---|---|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in sorted(rows, key=lambda r: (r.epoch, r.curve)):
        lines.append(
            f"| {r.epoch} | {r.curve} | {r.previous:.2f} → {r.value:.2f} "
            f"| {r.suspect} | {r.grad_ratio:.0f}× | {r.update_ratio:.0f}× "
            f"| {r.capped_value:.2f} | {r.all_capped_value:.2f} "
            f"| {'yes' if jumps_later(r) else 'no'} |"
        )
    return "\n".join(lines)


def worst_table(rows: list[Jump]) -> str:
    """The plotted batch of the highest jump of ``rows`` right after its suspect update,
    one Markdown row per true class: sequences, how many the model gets right, what it
    predicts for the others, their mean loss."""
    worst = max(rows, key=lambda r: r.value)
    probs, y = after_suspect(worst)
    loss = -probs[torch.arange(len(y)), y].log()
    predicted = probs.argmax(1)
    lines = [
        "| true class | sequences | predicted right | predicted instead | mean loss |",
        "|---|---:|---:|---|---:|",
    ]
    for c, name in enumerate(CLASSES):
        mine = y == c
        if not mine.any():
            continue
        others = sorted({CLASSES[int(p)] for p in predicted[mine] if int(p) != c})
        lines.append(
            f"| {name} | {int(mine.sum())} | {int((predicted[mine] == c).sum())} "
            f"| {', '.join(others) or '–'} | {float(loss[mine].mean()):.2f} |"
        )
    return "\n".join(lines)


def ablation_table(rows: dict[str, dict]) -> str:
    """Question 1.3.3's table: one :func:`hw2.spikes.summary` per :data:`ABLATION`
    key, each one run."""
    table = [
        "| training procedure | max rise train | max rise test | big updates "
        "| first epoch at 100% | final test acc |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, r in rows.items():
        first = "never" if r["first_100"] is None else r["first_100"]
        table.append(
            f"| {ABLATION[key][0]} | {r['rise_train']:.2f} "
            f"| {r['rise_test']:.2f} | {r['big_updates']} | {first} "
            f"| {r['final_acc']:.1%} |"
        )
    return "\n".join(table)


def _first(h: History) -> str:
    first = first_perfect_epoch(h.test_acc)
    return "never" if first is None else str(first)


def rule_table(named: list[tuple[str, History]], label: str = "run") -> str:
    """Runs held against practical C's rule (:func:`hw2.spikes.passes`), a Markdown
    row per ``(name, history)``."""
    lines = [
        f"| {label} | max rise train | max rise test | first epoch at 100% "
        "| final test acc | meets the rule |",
        "|---|---:|---:|---:|---:|:-:|",
    ]
    for name, h in named:
        f = summary(h)
        lines.append(
            f"| {name} | {f['rise_train']:.2f} | {f['rise_test']:.2f} "
            f"| {_first(h)} | {f['final_acc']:.1%} "
            f"| {'yes' if f['passes'] else 'no'} |"
        )
    return "\n".join(lines)


def compare_table(seeds: Iterable[int], simple: list[History], fixed: list[History]) -> str:
    """Two procedures on the same data seeds, a Markdown row per seed: each one's max
    rise (the larger of its two curves), final test accuracy and whether it meets the
    rule."""
    lines = [
        "| data seed | simple: max rise | final test acc | meets the rule "
        "| book's fix: max rise | final test acc | meets the rule |",
        "|---:|---:|---:|:-:|---:|---:|:-:|",
    ]
    for seed, a, b in zip(seeds, simple, fixed, strict=True):
        cells = []
        for h in (a, b):
            f = summary(h)
            cells.append(
                f"{max(f['rise_train'], f['rise_test']):.2f} "
                f"| {f['final_acc']:.1%} | {'yes' if f['passes'] else 'no'}"
            )
        lines.append(f"| {seed} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def settings_table(rows: list[tuple[str, History, History]]) -> str:
    """The section's run and the fix in each arithmetic, a Markdown row per
    ``(setting, section's history, fix's history)``."""
    lines = [
        "| arithmetic | section: train curve jumps at | test curve jumps at "
        "| fix: max rise train | max rise test | final test acc "
        "| meets the rule |",
        "|---|---|---|---:|---:|---:|:-:|",
    ]
    for setting, section, fix in rows:
        found, f = jumps_of(section), summary(fix)
        lines.append(
            f"| {setting} | {_epochs(found['train'])} "
            f"| {_epochs(found['test'])} | {f['rise_train']:.2f} "
            f"| {f['rise_test']:.2f} | {f['final_acc']:.1%} "
            f"| {'yes' if f['passes'] else 'no'} |"
        )
    return "\n".join(lines)


def leftovers_table(named: list[tuple[str, History]], bar: float) -> str:
    """Where runs ``(name, history)`` rise more than ``bar``: each one's largest rise
    taken apart (batch part and steps part, :func:`hw2.counterfactual.explain_jump`), a
    Markdown row per run; a table with a single row of dashes if none does."""
    lines = [
        "| run | curve | epoch | change of the plotted loss | batch part "
        "| steps part | suspect update ÷ typical | value with it capped |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    above = [
        (name, h) for name, h in named if max(max_rise(h.train_loss), max_rise(h.test_loss)) > bar
    ]
    calls = []
    for _, h in above:
        curve = max(CURVES, key=lambda c: max_rise(h.losses(c)))
        calls.append(dict(h=h, epoch=max_rise_epoch(h.losses(curve)), curve=curve))
    explained: dict[int, Jump] = {}
    for setting in dict.fromkeys(c["h"].arithmetic for c in calls):
        mine = [i for i, c in enumerate(calls) if c["h"].arithmetic == setting]
        if pick_device(calls[mine[0]]["h"].device).type != "cpu":
            found = [explain_jump(**calls[i]) for i in mine]
        else:  # two worker processes in the runs' arithmetic
            found = arith.run(explain_jump, [calls[i] for i in mine], setting)
        explained.update(zip(mine, found))
    for i, ((name, _), c) in enumerate(zip(above, calls)):
        r = explained[i]
        lines.append(
            f"| {name} | {c['curve']} | {c['epoch']} "
            f"| {r.value - r.previous:+.2f} "
            f"| {r.batch_part:+.2f} | {r.steps_part:+.2f} "
            f"| {r.update_ratio:.1f}× | {r.capped_value:.2f} |"
        )
    if len(lines) == 2:
        lines.append("| – | – | – | – | – | – | – | – |")
    return "\n".join(lines)


def book_runs(settings: Iterable[str]) -> list[dict]:
    """Every run the chapter reads, as :func:`hw2.loss_curves.train_many` arguments: the
    candidates of 1.3.3, the simple fix and the book's fix on the held-out data seeds,
    and the section's procedure and the fix in each other arithmetic ``settings``."""
    return (
        [dict(recipe=recipe) for _, recipe in ABLATION.values()]
        + [dict(recipe=c, data_seed=seed) for c in (SIMPLE, FIX) for seed in HELD_OUT]
        + [dict(recipe=c, arithmetic=s) for s in settings for c in (SECTION8, FIX)]
    )
