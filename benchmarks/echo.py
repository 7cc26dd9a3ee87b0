"""Benchmark for practical part B: train both echo models from scratch and print
training time and the homework's checks. Not a test: timings depend on the machine.

    python benchmarks/echo.py            # the book's recipes
    python benchmarks/echo.py --compare  # also the delay-as-input encoding, same budget
"""

from __future__ import annotations

import argparse

from hw2 import echo
from hw2.runtime import setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    setup(seed=0, threads=args.threads)

    model, history = echo.train_echo(seed=0, show=False, use_cache=False)
    print(
        f"fixed delay    : {history.train_seconds:6.1f} s  "
        f"check accuracy {echo.homework_accuracy(model):.5f}"
    )
    encodings = ["heads", "input"] if args.compare else ["heads"]
    for encoding in encodings:
        model, history = echo.train_variable_delay(
            seed=0, encoding=encoding, show=False, use_cache=False
        )
        acc, per = echo.variable_delay_accuracy(model), echo.accuracy_per_delay(model)
        print(
            f"variable ({encoding:5s}): {history.train_seconds:6.1f} s  "
            f"check accuracy {acc:.5f}  worst delay {min(per.values()):.4f}"
        )


if __name__ == "__main__":
    main()
