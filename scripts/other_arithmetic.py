"""Execute the loss-curves page in floating-point arithmetic other than the build's, on a
fresh result cache, and fail if the page fails (issue: claims that hold on every
machine).

For each setting of ``hw2.arithmetic.SETTINGS`` other than the build's, it first checks
that the setting really changes the section's run (its fingerprint differs from the
build's run, read from the build's cache): a setting that changes nothing would test
nothing, and fails. Then it executes ``book/loss_curves.md`` with ``HW2_ARITHMETIC``
set to it, in a kernel of the build's environment, with every run trained again (one
fresh cache, shared by the settings), so that every claim the page asserts is checked
in that arithmetic too, and prints the numbers the page glues.

    python scripts/other_arithmetic.py [SETTING ...]   # default: every other setting
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from myst_nb.core.read import read_myst_markdown_notebook
from nbclient import NotebookClient

from hw2 import arithmetic, loss_curves, spikes
from hw2.runtime import setup

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "book" / "loss_curves.md"
OUT = ROOT / "_build" / "other-arithmetic"
SHOWN = (
    "n_jumps",
    "n_removed",
    "n_all_removed",
    "batch_after",
    "fix_rise_train",
    "fix_rise_test",
    "fix_final_acc",
    "simple_pass",
    "strong_pass",
)  # for the log


def glued(nb: nbformat.NotebookNode) -> dict[str, str]:
    """The plain-text values glued by an executed notebook."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook", {})
            if "name" in record:
                data = output.get("data", {})
                values[record["name"]] = data.get(f"{record.get('mime_prefix', '')}text/plain", "")
    return values


def main(settings: list[str]) -> int:
    setup(threads=1)  # as every run of the book: a run here is the page's run
    build = arithmetic.resolve()
    settings = settings or [s for s in arithmetic.SETTINGS if s != build]
    book_run = loss_curves.train(loss_curves.SECTION8, arithmetic=build)[1]  # build's cache
    shutil.rmtree(OUT, ignore_errors=True)
    os.environ["HW2_CACHE_DIR"] = str(OUT / "cache")  # fresh: every run is trained again
    failed = []
    for setting in settings:
        if arithmetic.resolve(setting) == build:
            print(f"{setting}: that is the build's own arithmetic", file=sys.stderr)
            return 2
        run = loss_curves.train(loss_curves.SECTION8, arithmetic=setting)[1]
        same = spikes.fingerprint(run) == spikes.fingerprint(book_run)
        print(
            f"==> {setting}: the section's run jumps at {spikes.jumps_of(run)}; the "
            f"build's at {spikes.jumps_of(book_run)}"
            + (": THE SAME TRAJECTORY, so this setting tests nothing" if same else "")
        )
        if same:
            failed.append(setting)
            continue
        nb = read_myst_markdown_notebook(PAGE.read_text(encoding="utf-8"), path=PAGE)
        os.environ["HW2_ARITHMETIC"] = setting
        start = time.perf_counter()
        try:
            NotebookClient(
                nb,
                timeout=1800,
                kernel_name="python3",
                resources={"metadata": {"path": str(PAGE.parent)}},
            ).execute()
        except Exception as err:  # the page failed: report it, go on with the others
            print(f"==> {setting}: the page FAILED:\n{err}")
            failed.append(setting)
            continue
        finally:
            del os.environ["HW2_ARITHMETIC"]
            OUT.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, OUT / f"loss_curves.{setting}.ipynb")
        values = glued(nb)
        print(f"==> {setting}: the page ran in {time.perf_counter() - start:.0f} s")
        for key in SHOWN:
            print(f"    {key}: {values.get(key, '(not glued)')}")
    print(f"==> other arithmetic: {len(settings) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
