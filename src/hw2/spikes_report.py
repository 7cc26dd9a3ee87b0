"""Theory 1.3 and practical C: what the chapter says of the runs, chosen from their
numbers: the runs it trains (the candidates of 1.3.3, the held-out seeds), the
sentences and tables of its answers, and the numbers it glues, by glue name.

The metric, the rule, the jumps and their explanation are :mod:`hw2.spikes`; nothing
here changes a training result.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from . import words
from .loss_curves import (
    FIX,
    SECTION8,
    WINDOW,
    Config,
    History,
    LSTMClassifier,
    describe,
    evaluate,
    states,
    update_ceiling,
    with_weights,
)
from .spikes import (
    BAR,
    BIG,
    CURVES,
    FINAL_ACC,
    JUMP,
    big_steps,
    explain_jump,
    fingerprint,
    first_perfect_epoch,
    jumps_of,
    max_rise,
    max_rise_epoch,
    passes,
    summary,
)
from .temporal_order import CLASSES, decode

__all__ = ["ABLATION", "HELD_OUT", "SURE", "ablation_facts", "ablation_table",
           "big_step_facts", "book_runs", "cell_move_ratio", "collapse_text", "cost_text",
           "findings", "fix_facts", "initial_facts", "jump_table", "leftovers",
           "reference_check", "rule_table", "settings_jumps_text", "settings_table",
           "shared_suspects", "sure_wrong_text", "suspect_facts", "together", "verdicts",
           "worst_facts"]


SURE = 0.9  # a prediction is sure when its largest probability exceeds this

# Question 1.3.3's candidates: the section's procedure and one change to it each, and the
# fix; key: (row label, procedure).
ABLATION: dict[str, tuple[str, Config]] = {
    "section": ("section: RMSprop, lr 1e-3", SECTION8),
    "clip1": ("clip gradient norm at 1.0", Config(clip=1.0)),
    "clip01": ("clip gradient norm at 0.1", Config(clip=0.1)),
    "lowlr": ("lower lr, 3e-4", Config(lr=3e-4)),
    "updclip": ("update clipping at 1 lr", Config(update_clip=1.0)),
    "fix": ("**the fix** (practical C)", FIX),
}
HELD_OUT = tuple(range(11, 21))  # data seeds the fix never saw (it was chosen on 1-10)


def together(found: dict[str, list[int]]) -> str:
    """A sentence on where the two curves' jumps (:func:`jumps_of`) coincide."""
    both = sorted(set(found["train"]) & set(found["test"]))
    if not both:
        return "The two curves never jump in the same epoch."
    if both == found["train"] == found["test"]:
        return "The two curves jump together, in the same epochs."
    return (f"The two curves jump together at {words.epochs(both)}; each of the other "
            "jumps is on one curve only.")


def jump_table(rows: list[dict]) -> str:
    """The jumps explained by :func:`explain_jump`, as a Markdown table."""
    lines = ["| epoch | curve | plotted loss: before → at the jump | suspect step "
             "| its rise of the plotted batch | gradient ÷ typical | update ÷ typical "
             "| with it capped | with every update capped |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: (r["epoch"], r["curve"])):
        lines.append(
            f"| {r['epoch']} | {r['curve']} | {r['previous']:.2f} → {r['value']:.2f} "
            f"| {r['suspect']} | +{r['suspect_rise']:.2f} | {r['grad_ratio']:.0f}× "
            f"| {r['update_ratio']:.0f}× | {r['capped_value']:.2f} "
            f"| {r['all_capped_value']:.2f} |")
    return "\n".join(lines)


def shared_suspects(rows: list[dict]) -> str:
    """A sentence on whether, in epochs where both curves jump, one step is the suspect
    of both."""
    by_epoch: dict[int, set[int]] = {}
    for r in rows:
        by_epoch.setdefault(r["epoch"], set()).add(r["suspect"])
    both = [e for e in sorted(by_epoch) if sum(r["epoch"] == e for r in rows) == 2]
    same = [e for e in both if len(by_epoch[e]) == 1]
    if not both:
        return ""
    if len(same) == len(both):
        return (f"Where both curves jump in one epoch ({words.epochs(both)}), one step is "
                "the suspect of both.")
    if not same:
        return (f"Where both curves jump in one epoch ({words.epochs(both)}), each curve "
                "has its own suspect step.")
    return (f"Where both curves jump in one epoch, one step is the suspect of both in "
            f"{words.epochs(same)}, and each curve has its own in the others.")


def _jumps_later(r: dict) -> bool:
    """Whether the replay with the suspect capped jumps in one of the epochs it replays
    after the jump's own."""
    values = r["capped"].losses(r["curve"])
    return any(b - a > JUMP for a, b in zip(values[1:], values[2:]))


def _later_text(later: int, removed: int) -> str:
    epochs = "the replayed epochs that follow"
    if removed == 1:
        return (f"But the capped replay jumps in {epochs}: the cliff is still there, and "
                "capping one update postpones the fall.")
    which = "every one" if later == removed else f"{later}"
    return (f"But in {which} of those {removed} capped replays the run jumps in {epochs}: "
            "the cliff is still there, and capping one update postpones the fall.")


def findings(rows: list[dict]) -> str:
    """What the counterfactuals of :func:`explain_jump` say about a run's jumps
    (``rows``), in sentences chosen for this run: how many jumps one capped update
    removes, and for each it does not, what does (question 1.3.1)."""
    if not rows:
        return "The run has no jump to explain."
    removed = [r for r in rows if r["removed"]]
    n = len(rows)
    if len(removed) == n:
        head = ("Capping that single update removes the jump." if n == 1 else
                f"Capping that single update removes every one of the {n} jumps.")
    elif not removed:
        head = ("Capping that single update does not remove the jump." if n == 1 else
                f"Capping that single update removes none of the {n} jumps.")
    else:
        head = f"Capping that single update removes {len(removed)} of the {n} jumps."
    parts = [head]
    later = [r for r in removed if _jumps_later(r)]
    if later:
        parts.append(_later_text(len(later), len(removed)))
    for r in rows:
        if r["removed"]:
            continue
        text = (f"The {r['curve']} curve's jump at epoch {r['epoch']} ({r['previous']:.2f} to "
                f"{r['value']:.2f}) stays: with step {r['suspect']} capped it reads "
                f"{r['capped_value']:.2f}")
        if r["capped_big"]:
            noun = "step" if len(r["capped_big"]) == 1 else "steps"
            text += (f", because the cliff passes to {noun} {words.series(r['capped_big'])}, "
                     "more than 10 times the typical update in that replay")
        if r["all_removed"]:
            text += (f"; with every update of its epoch capped at the typical size it reads "
                     f"{r['all_capped_value']:.2f}: a run of large updates, not one.")
        else:
            text += (f"; even with every update of its epoch capped at the typical size it "
                     f"reads {r['all_capped_value']:.2f}. Of its rise of "
                     f"{r['value'] - r['previous']:+.2f}, {r['batch_part']:+.2f} is the "
                     f"plotted batch being harder than the previous one and "
                     f"{r['steps_part']:+.2f} what the epoch's steps did to it.")
        parts.append(text)
    return " ".join(parts)


def sure_wrong_text(n: int) -> str:
    """The clause on how many sequences a collapsed model gets wrong with more than 90%
    on a wrong class (question 1.3.2)."""
    sure = f"more than {SURE:.0%} on a wrong class"
    cost = f"−ln {1 - SURE:.1f} ≈ {-np.log(1 - SURE):.1f}"
    if n == 0:
        return f", none of them with {sure}"
    if n == 1:
        return f", one of them with {sure}, which costs more than {cost}"
    return f", {n} of them with {sure}, each costing more than {cost}"


def collapse_text(predicted: list[str]) -> str:
    """What a model predicts after a jump: ``predicted`` is the sorted list of classes
    it predicts on a batch."""
    if len(predicted) == 4:
        return "still predicts all four classes"
    noun = "class" if len(predicted) == 1 else "classes"
    return f"predicts only {noun} {words.series(predicted)}"


def reference_check(h: History, reference: dict | None = None) -> str:
    """Whether the run ``h`` followed the trajectory recorded in ``reference`` (default:
    the book's record of the section's pinned run, made by ``benchmarks/loss_curves.py
    --record``), in a sentence."""
    if reference is None:
        reference = json.loads((Path(__file__).parent / "manifests" /
                                "loss_curves_pinned.json").read_text())
    mine = fingerprint(h)
    if h.arithmetic != "pinned" or h.device != "cpu":
        return ("This build did not use the pinned arithmetic, so its run is not compared "
                "with the recorded one.")
    if reference["torch"] != torch.__version__:
        return (f"The recorded pinned run was computed with torch {reference['torch']}, this "
                f"build has {torch.__version__}: the two are not compared.")
    if mine == reference["fingerprint"]:
        return (f"Checked: this run's fingerprint (a hash of every step's loss and gradient "
                f"norm) is {mine}, the one recorded on {reference['cpu']}.")
    return (f"Not so here: this run's fingerprint (a hash of every step's loss and gradient "
            f"norm) is {mine}, the one recorded on {reference['cpu']} is "
            f"{reference['fingerprint']}: on this CPU the pins did not give the same "
            "arithmetic.")


def cost_text(pinned: History, native: History) -> str:
    """What pinning cost: the section's run's training time pinned and native."""
    ratio = pinned.train_seconds / native.train_seconds
    return (f"Pinning costs little: the section's run took {pinned.train_seconds:.1f} s "
            f"pinned and {native.train_seconds:.1f} s in the processor's native "
            f"arithmetic ({ratio:.2f} times as long)." if ratio < 1.5 else
            f"Pinning has a cost: the section's run took {pinned.train_seconds:.1f} s "
            f"pinned and {native.train_seconds:.1f} s native ({ratio:.2f} times as long).")


def _first(h: History) -> str:
    first = first_perfect_epoch(h.test_acc)
    return "never" if first is None else str(first)


def rule_table(named: list[tuple[str, History]], label: str = "run") -> str:
    """Runs held against practical C's rule (:func:`passes`), a Markdown row per
    ``(name, history)``."""
    lines = [f"| {label} | max rise train | max rise test | first epoch at 100% "
             "| final test acc | passes |", "|---|---:|---:|---:|---:|:-:|"]
    for name, h in named:
        f = summary(h)
        lines.append(f"| {name} | {f['rise_train']:.2f} | {f['rise_test']:.2f} | {_first(h)} "
                     f"| {f['final_acc']:.1%} | {'yes' if f['passes'] else 'no'} |")
    return "\n".join(lines)


def settings_table(rows: list[tuple[str, History, History]]) -> str:
    """The section's run and the fix in each arithmetic, a Markdown row per
    ``(setting, section's history, fix's history)``."""
    lines = ["| arithmetic | section: train curve jumps at | test curve jumps at "
             "| fix: max rise train | max rise test | final test acc | passes |",
             "|---|---|---|---:|---:|---:|:-:|"]
    for setting, section, fix in rows:
        found, f = jumps_of(section), summary(fix)
        lines.append(f"| {setting} | {words.series(found['train']) or 'none'} "
                     f"| {words.series(found['test']) or 'none'} | {f['rise_train']:.2f} "
                     f"| {f['rise_test']:.2f} | {f['final_acc']:.1%} "
                     f"| {'yes' if f['passes'] else 'no'} |")
    return "\n".join(lines)


def verdicts(named: list[tuple[str, History]]) -> str:
    """A sentence on how many of the runs ``(name, history)`` pass practical C's rule."""
    failed = [name for name, h in named if not passes(h)]
    n = len(named)
    if not failed:
        return f"All {n} pass." if n > 2 else ("Both pass." if n == 2 else "It passes.")
    if len(failed) == n:
        return f"None of the {n} passes." if n > 2 else ("Neither passes." if n == 2 else
                                                          "It does not pass.")
    return (f"{n - len(failed)} of the {n} pass; {words.series(failed)} "
            f"{'does' if len(failed) == 1 else 'do'} not.")


def leftovers(named: list[tuple[str, History]]) -> tuple[str, str]:
    """What is left where runs ``(name, history)`` miss practical C's rule: a Markdown
    table that takes each run's largest rise above :data:`BAR` apart (batch part and
    steps part, :func:`explain_jump`), and sentences that say what it shows."""
    slow = [(name, h.test_acc[-1]) for name, h in named if h.test_acc[-1] < FINAL_ACC]
    text = ("Every run ends at or above the accuracy bar." if not slow else
            "The last epoch's test accuracy is below the bar on " + words.series(
                f"{name} ({acc:.1%})" for name, acc in slow) + ".")
    spiky = [(name, h) for name, h in named
             if max(max_rise(h.train_loss), max_rise(h.test_loss)) > BAR]
    if not spiky:
        return "", text + " No run rises above the bar: there is nothing to take apart."
    lines = ["| data | curve | epoch | change of the plotted loss | batch part | steps part "
             "| suspect update ÷ typical | value with it capped |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    batch_led = 0
    for name, h in spiky:
        curve = max(CURVES, key=lambda c: max_rise(h.losses(c)))
        e = max_rise_epoch(h.losses(curve))
        r = explain_jump(h, e, curve)
        batch_led += r["batch_part"] > r["steps_part"]
        lines.append(f"| {name} | {curve} | {e} | {r['value'] - r['previous']:+.2f} "
                     f"| {r['batch_part']:+.2f} | {r['steps_part']:+.2f} "
                     f"| {r['update_ratio']:.1f}× | {r['capped_value']:.2f} |")
    n = len(spiky)
    led = ("all" if batch_led == n else "none" if not batch_led else f"{batch_led}") \
        if n > 1 else ("it is" if batch_led else "it is not")
    if n == 1:
        text += (f" One run rises above the bar, and {led} led by the batch part: "
                 + ("the plotted batch was already harder than the previous one before "
                    "any of the epoch's steps, the noise of a single batch rather than a "
                    "spike." if batch_led else "the epoch's steps raised it; the last two "
                    "columns say whether one update, at the cap's size, still does it."))
    else:
        text += (f" Of the {n} runs that rise above the bar, {led} "
                 f"{'is' if batch_led == 1 else 'are'} led by the batch part (the plotted "
                 "batch was already harder than the previous one before any of the epoch's "
                 "steps: the noise of a single batch rather than a spike)"
                 + ("." if batch_led == n else "; in the others the epoch's steps raised "
                    "it, and the last two columns say whether one update, at the cap's "
                    "size, still does it."))
    return "\n".join(lines), text


def book_runs(settings: Iterable[str]) -> list[dict]:
    """Every run the chapter reads, as :func:`hw2.loss_curves.train_many` arguments: the
    candidates of 1.3.3, the fix on the held-out data seeds, and the section's procedure
    and the fix in each other arithmetic ``settings``."""
    return ([dict(config=config) for _, config in ABLATION.values()]
            + [dict(config=FIX, data_seed=seed) for seed in HELD_OUT]
            + [dict(config=c, arithmetic=s) for s in settings for c in (SECTION8, FIX)])


def suspect_facts(h: History, rows: list[dict]) -> dict:
    """What 1.3.1's answer says of the suspect updates ``rows`` (:func:`explain_jumps`)
    and of the run's other big updates and gradients, by glue name."""
    big = big_steps(h.update_norm)
    jumped = {r["epoch"] for r in rows}
    elsewhere = sum(h.epoch_of(t) not in jumped for t in big)
    largest = int(np.argmax(h.grad_norm))
    n_params = sum(p.numel() for p in LSTMClassifier().parameters())
    facts = {f"{glued}_{end}": fn(r[name] for r in rows)
             for name, glued in (("grad_ratio", "grad_ratio"), ("update_ratio", "update_ratio"),
                                 ("update_norm", "suspect_update"))
             for end, fn in (("min", min), ("max", max))}
    return {**facts, "n_params": n_params, "ceiling": update_ceiling(h.config, n_params),
            "typical_update_median": float(np.median([r["typical_update"] for r in rows])),
            "n_big": words.count(len(big), "update") + (" was" if len(big) == 1 else " were"),
            "n_big_elsewhere": ("none of them" if not elsewhere else "all of them"
                                if elsewhere == len(big) else f"{elsewhere} of them"),
            "largest_grad": float(h.grad_norm[largest]), "largest_grad_step": largest,
            "largest_is_suspect": "is" if largest in {r["suspect"] for r in rows} else "is not",
            "big_factor": f"{BIG:g}", "window": WINDOW}


def worst_facts(rows: list[dict]) -> dict:
    """Question 1.3.2 on the highest jump of ``rows``: the plotted batch right after the
    suspect update (its loss against ln 4, how many sequences are wrong, and sure of it)."""
    worst = max(rows, key=lambda r: r["value"])
    x, y = worst["replayed"].last_batch(worst["curve"], 1)
    with torch.no_grad():
        probs = with_weights(worst["replayed"].weights_after(worst["suspect"]))(x).softmax(1)
    loss = -probs[torch.arange(len(y)), y].log()  # per sequence
    wrong = probs.argmax(1) != y
    predicted = sorted({CLASSES[c] for c in probs.argmax(1).tolist()})
    return {"worst_epoch": worst["epoch"], "worst_curve": worst["curve"],
            "worst_value": worst["value"], "ln4": float(np.log(4)),
            "batch_after": float(loss.mean()), "n_batch": len(y), "n_wrong": int(wrong.sum()),
            "worst_sample": float(loss.max()),
            "sure_wrong": sure_wrong_text(int((wrong & (probs.max(1).values > SURE)).sum())),
            "vs_ln4": "above" if loss.mean() > np.log(4) else "below",
            "collapse": collapse_text(predicted)}


def ablation_table(rows: dict[str, dict]) -> str:
    """Question 1.3.3's table: one :func:`summary` per :data:`ABLATION` key."""
    table = ["| training procedure | max rise train | max rise test | big updates "
             "| first epoch at 100% | final test acc |", "|---|---:|---:|---:|---:|---:|"]
    for key, r in rows.items():
        first = "never" if r["first_100"] is None else r["first_100"]
        table.append(f"| {ABLATION[key][0]} | {r['rise_train']:.2f} | {r['rise_test']:.2f} "
                     f"| {r['big_updates']} | {first} | {r['final_acc']:.1%} |")
    return "\n".join(table)


def ablation_facts(rows: dict[str, dict]) -> dict:
    """What 1.3.3's list says of each candidate (``rows``: one :func:`summary` per
    :data:`ABLATION` key), by glue name."""
    rise = {key: max(r["rise_train"], r["rise_test"]) for key, r in rows.items()}
    facts: dict = {"section_rise": rise["section"]}
    for key in ("clip1", "clip01", "lowlr", "updclip"):
        facts[f"{key}_rise"], facts[f"{key}_big"] = rise[key], rows[key]["big_updates"]
        facts[f"{key}_vs"] = "lower than" if rise[key] < rise["section"] else "no lower than"
    for key in ("lowlr", "updclip"):
        first = rows[key]["first_100"]
        facts[f"{key}_learning"] = ("test accuracy never reaches 100% in the "
                                    f"{rows[key]['epochs']} epochs" if first is None
                                    else f"100% test accuracy comes at epoch {first}")
    clipped, section = rows["clip01"]["big_updates"], rows["section"]["big_updates"]
    facts["clip01_big_text"] = (
        f"yet {words.count(clipped, 'update')} {'was' if clipped == 1 else 'were'} more "
        f"than {BIG:g} times the typical one, against {section} without clipping" if clipped
        else f"and no update was more than {BIG:g} times the typical one")
    facts["updclip_enough"] = ("On its own it meets the rule here" if rows["updclip"]["passes"]
                               else "On its own it is not enough")
    return facts


def initial_facts(h: History, n: int = 2000, seed: int = 0) -> dict:
    """Question 1.3.4: the run's model before training on ``n`` fresh sequences (loss,
    accuracy in %, the range of its probabilities, the mean KL(uniform || p), the class
    shares in %) and the run's first plotted epoch, by glue name."""
    torch.manual_seed(h.model_seed)
    start = evaluate(LSTMClassifier().eval(), n=n, difficulty=h.config.difficulty, seed=seed)
    probs = start["probs"]
    uniform = torch.full_like(probs, 0.25)
    kl = (uniform * (uniform / probs).log()).sum(1)  # KL(uniform || p) per sequence
    share = torch.bincount(start["labels"], minlength=4) / len(start["labels"])
    return {"init_loss": start["loss"], "init_acc": 100 * start["accuracy"],
            "init_pmin": probs.min().item(), "init_pmax": probs.max().item(),
            "init_kl": kl.mean().item(), "share_min": 100 * share.min().item(),
            "share_max": 100 * share.max().item(), "epoch0_loss": h.train_loss[0],
            "epoch0_acc": 100 * h.train_acc[0]}


def fix_facts(base: History, fixed: History) -> dict:
    """Practical C on the homework's data: the fix's run ``fixed`` against the section's
    ``base``, by glue name."""
    row = summary(fixed)
    rise = max(row["rise_train"], row["rise_test"])
    return {"fix_text": describe(fixed.config), "fix_cap": fixed.config.update_cap,
            "fix_rise_train": row["rise_train"], "fix_rise_test": row["rise_test"],
            "fix_final_acc": 100 * row["final_acc"], "bar": BAR, "final_bar": 100 * FINAL_ACC,
            "fix_seconds": row["train_seconds"], "base_rise_train": max_rise(base.train_loss),
            "base_rise_test": max_rise(base.test_loss),
            "fix_verdict": ("meets practical C's rule" if row["passes"]
                            else "does not meet practical C's rule"),
            "fix_bar": "within" if rise <= BAR else "above"}


def settings_jumps_text(sections: list[History]) -> str:
    """Whether the section's runs in several arithmetic settings jump alike."""
    distinct = len({str(jumps_of(h)) for h in sections})
    if distinct == len(sections):
        return "The section's run jumps in other epochs in each arithmetic setting."
    if distinct > 1:
        return ("Some arithmetic settings give the section's run the same jumps, others "
                "other ones.")
    return "Here every arithmetic setting gives the section's run the same jumps."


def big_step_facts(before: History, after: History) -> dict:
    """The extra credit's counts: big updates and big gradients before and after the fix,
    by glue name."""
    big_before, big_after = len(big_steps(before.update_norm)), len(big_steps(after.update_norm))
    grads_after = len(big_steps(after.grad_norm))
    return {
        "before_big": words.count(big_before, "update") + (" was" if big_before == 1
                                                            else " were"),
        "after_big": words.count(big_after, "update"),
        "after_big_verb": "does" if big_after == 1 else "do",
        "before_grad_spikes": len(big_steps(before.grad_norm)),
        "after_grad_text": (f"the gradient still exceeds {BIG:g} times its typical size at "
                            f"{words.count(grads_after, 'step')}, since the cliffs belong to "
                            "the model and the task, but" if grads_after else
                            f"no gradient exceeds {BIG:g} times its typical size, and"),
    }


def cell_move_ratio(model: LSTMClassifier, x: torch.Tensor) -> float:
    """How much more the cell state moves at the two relevant symbols (``X``, ``Y``) than
    at a distractor, for one padded sequence ``x`` ``(T, 8)``: the ratio of the mean
    absolute change of the cell units."""
    sequence = decode(x[None])[0]
    _, cs = states(model, x[len(x) - len(sequence):])
    moves = (cs[1:] - cs[:-1]).abs().mean(1)  # mean change of the cell units at each symbol
    relevant = torch.tensor([c in "XY" for c in sequence[1:]])
    return (moves[relevant].mean() / moves[~relevant].mean()).item()
