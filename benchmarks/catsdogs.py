"""Benchmark for practical part A, in one process on the threads given. Not a test.

    python benchmarks/catsdogs.py                       # utilisation of the book's recipe
    python benchmarks/catsdogs.py --precision fp32      # ... in another precision
    python benchmarks/catsdogs.py --plain-malloc        # ... with freed memory unmapped
    python benchmarks/catsdogs.py --recipes --seeds 0 1 2
    python benchmarks/catsdogs.py --recipes --only book --precision fp32

The first form measures the matmul peak of each precision the CPU runs natively (fp32,
and bf16 where it has bf16 units), then trains the book's recipe for ``--epochs`` epochs
exactly as the book does and prints its training throughput (``train_flops`` over the
training steps' seconds: model FLOPs per image, counted by ``torch.utils.flop_counter``,
times images per second) as a fraction of the peak of the precision in use and of the
best native peak. ``--plain-malloc`` trains without :func:`hw2.book.memory.kept_memory`, as
glibc's malloc does by default, to measure what keeping freed memory pays.

``--recipes`` trains whole recipes from scratch for each seed and records, in
``benchmarks/results/catsdogs.json`` (one entry per recipe and precision, replaced when
rerun), the compute spent, the time, the validation and test accuracy of each seed
(test accuracy's mean and minimum), and every test-time augmentation's validation and
test accuracy, so that its choice is made on validation.

Needs the data (``HW2_DATA_URL`` / ``HW2_DATA_DIR``, see the README).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import time
from dataclasses import asdict, replace
from pathlib import Path
from unittest import mock

import torch

from hw2 import catsdogs
from hw2.catsdogs_report import DTYPES
from hw2.runtime import matmul_peak, native_bf16, setup

RESULTS = Path(__file__).parent / "results" / "catsdogs.json"

BOOK = catsdogs.RECIPE
RECIPES = {
    "book": BOOK,
    "128px, strided stem, 110 epochs": replace(BOOK, epochs=110, tta="flip"),
    "112px, strided stem, 80 epochs": replace(BOOK, size=112, store=128, epochs=80),
    "64px, 3x3 stem, 60 epochs": replace(BOOK, size=64, store=72, stem_stride=1, epochs=60),
}


def utilisation(
    precision: str | None, epochs: int, threads: int, plain_malloc: bool = False
) -> dict:
    """Peaks, throughput and utilisation of the book's recipe over ``epochs`` epochs
    (``plain_malloc``: without keeping freed memory)."""
    native = ["fp32", "bf16"] if native_bf16() else ["fp32"]
    peaks = {p: matmul_peak(DTYPES[p]) for p in native}
    plain = (
        mock.patch.object(catsdogs, "kept_memory", contextlib.nullcontext)
        if plain_malloc
        else contextlib.nullcontext()
    )
    with plain:
        model, h = catsdogs.train(
            replace(BOOK, epochs=epochs),
            seed=0,
            threads=threads,
            device="cpu",
            precision=precision,
            show=False,
            use_cache=False,
        )
    throughput = h.train_flops / h.train_seconds
    used = h.precision
    peaks.setdefault(used, matmul_peak(DTYPES[used]))  # bf16 asked for, but emulated
    best = max(peaks[p] for p in native)
    per_image = catsdogs.step_flops(model, BOOK.size, BOOK.batch_size)
    return {
        "precision": used,
        "native": native,
        "kept_memory": not plain_malloc,
        "peak_gflops": {p: round(v / 1e9, 1) for p, v in peaks.items()},
        "train_gflop_per_image": round(per_image / 1e9, 4),
        "throughput_gflops": round(throughput / 1e9, 1),
        "utilisation": round(throughput / peaks[used], 3),
        "utilisation_of_best": round(throughput / best, 3),
        "seconds_per_epoch": round(h.train_seconds / epochs, 2),
    }


def recipes(names: list[str] | None, seeds: list[int], precision: str | None, threads: int) -> None:
    """Train each recipe for each seed; record the results in :data:`RESULTS`."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name, recipe in RECIPES.items():
        if names and name not in names:
            continue
        runs = []
        for seed in seeds:
            model, h = catsdogs.train(
                recipe,
                seed=seed,
                threads=threads,
                device="cpu",
                precision=precision,
                show=False,
                use_cache=False,
            )
            data = catsdogs.load_tensors(str(catsdogs.cats_and_dogs()), recipe.store)
            by_tta = {
                tta: [
                    round(
                        catsdogs.evaluate(
                            model, *split, recipe.size, tta=tta, precision=h.precision
                        )[1],
                        4,
                    )
                    for split in (data.val, data.test)
                ]
                for tta in catsdogs.TTA
            }
            runs.append(
                {
                    "seed": seed,
                    "train_seconds": round(h.train_seconds, 1),
                    "wall_seconds": round(h.wall_seconds, 1),
                    "val_acc_tta": round(h.val_acc_tta, 4),
                    "test_acc": round(h.test_acc, 4),
                    "train_acc": round(h.train_acc[-1], 4),
                    "val_test_acc_by_tta": by_tta,
                }
            )
            print(name, h.precision, runs[-1], flush=True)
        tests = [r["test_acc"] for r in runs]
        results[f"{name} ({h.precision})"] = {
            "recipe": asdict(recipe),
            "precision": h.precision,
            "train_tflop": round(h.train_flops / 1e12, 2),
            "test_acc_mean": round(sum(tests) / len(tests), 4),
            "test_acc_min": min(tests),
            "runs": runs,
            "threads": threads,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
            f"{torch.backends.cpu.get_cpu_capability()}, "
            f"native bf16: {native_bf16()}",
            "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d"),
        }
        RESULTS.parent.mkdir(exist_ok=True)
        tmp = RESULTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=1) + "\n")
        os.replace(tmp, RESULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", action="store_true", help="train whole recipes")
    parser.add_argument("--only", nargs="*", help="names of recipes to run")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0])
    parser.add_argument(
        "--precision",
        choices=catsdogs.PRECISIONS,
        default=None,
        help="default: bf16 where the CPU has bf16 units, else fp32",
    )
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed (utilisation)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--plain-malloc",
        action="store_true",
        help="train without keeping freed memory (glibc's default)",
    )
    args = parser.parse_args()
    setup(seed=0, threads=args.threads)
    if args.recipes:
        recipes(args.only, args.seeds, args.precision, args.threads)
        return
    result = utilisation(args.precision, args.epochs, args.threads, args.plain_malloc)
    peak = result["peak_gflops"]
    print("matmul peak (2048^3): " + ", ".join(f"{p} {v:.0f} GFLOP/s" for p, v in peak.items()))
    print(
        f"training ({result['precision']}): {result['train_gflop_per_image']} GFLOP per "
        f"image, {result['throughput_gflops']:.0f} GFLOP/s, "
        f"{result['seconds_per_epoch']:.1f} s per epoch"
    )
    print(
        f"utilisation: {result['utilisation']:.0%} of the {result['precision']} peak, "
        f"{result['utilisation_of_best']:.0%} of the best native peak"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
