"""The three trainers on a CUDA device, as a student's GPU runtime would run them.
(Not named cuda.py: a script's folder comes first on the import path, and torch imports
a package named ``cuda``.)

Which question it serves: do the book's trainers run on a GPU (Colab's), with the same
recipes, how long do they take there, and do they reach the book's accuracies? The
echo and loss-curve trainers run their full recipes; the CNN runs its full recipe on
the images of ``--data`` (any folder with ``train/`` and ``validation/``, each with
``cats/`` and ``dogs/``: the whole archive, or a few hundred of its photos where the
archive cannot travel). Every run is fresh (no result cache) and runs twice, to see
whether a seed repeats a run on the same device.

    python benchmarks/gpu.py --data PATH --out results/cuda.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from hw2 import catsdogs, echo, loss_curves, spikes


def _runs(name: str, train, report, results: dict, out: Path) -> None:
    first_model, first = train()
    _, second = train()
    reported = report(first_model, first)
    # every chapter's history is a record with these three fields
    results[name] = dict(
        reported,
        wall_seconds=round(first.wall_seconds, 1),
        train_seconds=round(first.train_seconds, 1),
        repeat_same_losses=list(first.train_loss) == list(second.train_loss),
    )
    print(name, results[name], flush=True)
    out.write_text(json.dumps(results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="cats-vs-dogs folder for the CNN")
    parser.add_argument("--out", required=True, help="where to write the results (JSON)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument(
        "--only", choices=["echo", "cnn", "loss_curves"], help="run one chapter's trainers only"
    )
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("no CUDA device here")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu",
        "torch": torch.__version__,
    }
    start = time.perf_counter()

    def wanted(chapter: str) -> bool:
        return args.only in (None, chapter)

    if wanted("echo"):
        _runs(
            "echo fixed delay",
            lambda: echo.train_echo(device=args.device, use_cache=False),
            lambda m, h: {"accuracy": echo.homework_accuracy(m)},
            results,
            out,
        )
        _runs(
            "echo variable delay",
            lambda: echo.train_variable_delay(device=args.device, use_cache=False),
            lambda m, h: {"accuracy": echo.variable_delay_accuracy(m)},
            results,
            out,
        )
    if wanted("cnn"):
        _runs(
            "cnn (images of --data)",
            lambda: catsdogs.train(data_dir=args.data, device=args.device, use_cache=False),
            lambda m, h: {
                "val_acc": h.val_acc[-1],
                "test_acc": h.test_acc,
                "test_images": len(h.test_labels),
            },
            results,
            out,
        )
    if wanted("loss_curves"):
        for name, recipe in [
            ("loss curves, the course's setting", loss_curves.SECTION8),
            ("loss curves, the fix", loss_curves.FIX),
        ]:
            _runs(
                name,
                lambda recipe=recipe: loss_curves.train(
                    recipe, device=args.device, use_cache=False
                ),
                lambda m, h: {
                    k: v
                    for k, v in spikes.summary(h).items()
                    if k in ("final_acc", "passes", "rise_train", "rise_test")
                },
                results,
                out,
            )
    results["total_seconds"] = round(time.perf_counter() - start, 1)
    out.write_text(json.dumps(results, indent=1))
    print("total", results["total_seconds"], "s")


if __name__ == "__main__":
    main()
