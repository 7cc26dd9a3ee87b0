"""Benchmark for theory 1.3 / practical C: one 100-epoch run of the section's
configuration and of the fix, from scratch, on one thread, in each arithmetic setting
(:mod:`hw2.arithmetic`), one after the other; prints the time of each and what pinning
the arithmetic costs (pinned ÷ native, measured in this process's run). Not a test.

    python benchmarks/loss_curves.py               # measure
    python benchmarks/loss_curves.py --record      # also record the pinned section run's
                                                   # fingerprint in hw2/manifests/
    python benchmarks/loss_curves.py --candidates  # the simple fixes tried, on the
                                                   # development data seeds

``--candidates`` runs each one-change candidate for practical C's simple fix on the
development data seeds (``hw2.spikes_report.DEV_SEEDS``; the chapter reports the chosen
one on the held-out seeds) in the book's arithmetic, two worker processes, and prints
each seed's max rise and final test accuracy and how many seeds meet the rule.

The record is what the chapter compares a rebuild with: a pinned run on another x86 CPU
should have the same fingerprint (same torch version).
"""

from __future__ import annotations

import argparse
import json

import torch

from hw2 import arithmetic, loss_curves, spikes
from hw2.book.exec_report import RECORD
from hw2.spikes_report import DEV_SEEDS

# The simple fixes tried: one change each to the section's procedure.
CANDIDATES = {
    "cosine from lr 1e-3": loss_curves.Recipe(schedule="cosine"),
    "lr 5e-4": loss_curves.Recipe(lr=5e-4),
    "lr 3e-4": loss_curves.Recipe(lr=3e-4),
    "cosine from lr 3e-4": loss_curves.Recipe(lr=3e-4, schedule="cosine"),
    "cosine from lr 5e-4": loss_curves.Recipe(lr=5e-4, schedule="cosine"),
}


def candidates() -> None:
    """Each candidate of :data:`CANDIDATES` on the development data seeds."""
    for name, recipe in CANDIDATES.items():
        runs = loss_curves.train_many([dict(recipe=recipe, data_seed=s) for s in DEV_SEEDS])
        rows = [spikes.summary(h) for _, h in runs]
        print(f"{name}: meets the rule on {sum(r['passes'] for r in rows)} of {len(rows)} seeds")
        for seed, r in zip(DEV_SEEDS, rows):
            print(
                f"    seed {seed:2}: max rise {max(r['rise_train'], r['rise_test']):.2f}, "
                f"final test accuracy {r['final_acc']:.1%}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--record", action="store_true", help="record the pinned section run's fingerprint"
    )
    parser.add_argument(
        "--candidates",
        action="store_true",
        help="the simple fixes tried, on the development data seeds",
    )
    args = parser.parse_args()
    if args.candidates:
        candidates()
        return
    seconds = {}
    for setting in arithmetic.SETTINGS:
        for name, config in [("section", loss_curves.SECTION8), ("fix", loss_curves.FIX)]:
            _, h = loss_curves.train(config, arithmetic=setting, use_cache=False)
            row = spikes.summary(h)
            seconds[setting, name] = h.train_seconds
            found = spikes.jumps_of(h)
            print(
                f"{setting:12} {name:8}: {h.train_seconds:5.1f} s; jumps train "
                f"{found['train']}, test {found['test']}; max rise train "
                f"{row['rise_train']:.2f}, test {row['rise_test']:.2f}; final test "
                f"accuracy {row['final_acc']:.1%}; passes: {row['passes']}; "
                f"fingerprint {spikes.fingerprint(h)}"
            )
            if args.record and setting == "pinned" and name == "section":
                cpu = arithmetic.cpu()
                record = {
                    "fingerprint": spikes.fingerprint(h),
                    "cpu": f"{cpu['model']} ({cpu.get('vector units', '')})",
                    "torch": torch.__version__,
                }
                RECORD.write_text(json.dumps(record, indent=1) + "\n")
                print(f"recorded in {RECORD}")
    for name in ("section", "fix"):
        ratio = seconds["pinned", name] / seconds["native", name]
        print(f"pinned / native time, {name}: {ratio:.2f}")


if __name__ == "__main__":
    main()
