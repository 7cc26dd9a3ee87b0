"""Benchmark for practical part A: train cats-vs-dogs recipes from scratch, on the
threads given, and record training time and accuracies in
``benchmarks/results/catsdogs.json`` (one entry per recipe, replaced when rerun).
The CNN chapter reads that file to show what was tried. Not a test.

    python benchmarks/catsdogs.py                 # every recipe below
    python benchmarks/catsdogs.py --only book

Needs the data (``HW2_DATA_URL`` / ``HW2_DATA_DIR``, see the README).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from hw2 import catsdogs
from hw2.runtime import setup

RESULTS = Path(__file__).parent / "results" / "catsdogs.json"

BOOK = catsdogs.RECIPE
RECIPES = {
    "book": BOOK,
    "128px, strided stem, 110 epochs": replace(BOOK, epochs=110, tta="flip"),
    "112px, strided stem, 80 epochs": replace(BOOK, size=112, store=128, epochs=80),
    "64px, 3x3 stem, 60 epochs": replace(BOOK, size=64, store=72, stem_stride=1, epochs=60),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="names of recipes to run")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    setup(seed=0, threads=args.threads)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name, recipe in RECIPES.items():
        if args.only and name not in args.only:
            continue
        model, h = catsdogs.train(recipe, seed=0, threads=args.threads, show=False,
                                  use_cache=False)
        data = catsdogs.load_tensors(str(catsdogs.cats_and_dogs()), recipe.store)
        # Every test-time augmentation, so that the choice is made on validation.
        by_tta = {tta: [round(catsdogs.evaluate(model, *data[split], recipe.size,
                                                tta=tta)[1], 4)
                        for split in ("val", "test")]
                  for tta in catsdogs.TTA}
        results[name] = {
            "recipe": asdict(recipe),
            "train_seconds": round(h["train_seconds"], 1),
            "wall_seconds": round(h["wall_seconds"], 1),
            "val_test_acc_by_tta": by_tta,
            "val_acc": round(h["val_acc"][-1], 4),
            "val_acc_tta": round(h["val_acc_tta"], 4),
            "test_acc": round(h["test_acc"], 4),
            "train_acc": round(h["train_acc"][-1], 4),
            "threads": args.threads,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d"),
        }
        print(name, results[name], flush=True)
        RESULTS.parent.mkdir(exist_ok=True)
        tmp = RESULTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=1) + "\n")
        os.replace(tmp, RESULTS)


if __name__ == "__main__":
    main()
