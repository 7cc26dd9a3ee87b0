"""Benchmark for theory 1.3 / practical C: time one 100-epoch run of the section's
configuration and of the fix, from scratch, on one thread (bar: 30 s each). Not a test.

    python benchmarks/loss_curves.py
"""

from __future__ import annotations

from hw2 import loss_curves
from hw2.runtime import setup


def main() -> None:
    setup(seed=0, threads=1)
    for name, config in [("section", loss_curves.SECTION8), ("fix", loss_curves.FIX)]:
        _, h = loss_curves.train(config, use_cache=False)
        row = loss_curves.summary(h)
        print(f"{name:8}: {h['train_seconds']:5.1f} s for 100 epochs; max rise train "
              f"{row['rise_train']:.2f}, test {row['rise_test']:.2f}; final test accuracy "
              f"{row['final_acc']:.1%}; passes practical C's rule: {row['passes']}")


if __name__ == "__main__":
    main()
