"""Benchmark for theory 1.3 / practical C: time one 100-epoch run of the section's
configuration and of the fix, from scratch, on one thread. Not a test.

    python benchmarks/seqcls.py
"""

from __future__ import annotations

from hw2 import seqcls
from hw2.utils import setup


def main() -> None:
    setup(seed=0, threads=1)
    for fix in (False, True):
        config = seqcls.FIX if fix else seqcls.SECTION8
        h = seqcls.train(config, use_cache=False)
        print(f"fix={fix!s:5}: {h['seconds']:5.1f} s for 100 epochs; "
              f"max rise train {seqcls.max_rise(h['train_loss']):.2f}, "
              f"test {seqcls.max_rise(h['test_loss']):.2f}; "
              f"final test accuracy {h['test_acc'][-1]:.1f}%")


if __name__ == "__main__":
    main()
