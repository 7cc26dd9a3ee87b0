"""ruff on the book's MyST pages: their code cells checked (``ruff check``) and formatted
(``ruff format``) with book/ruff-pages.toml (the repository's rules, lines of at most 79
characters, so a code box at 1280 px never scrolls sideways).

ruff does not read MyST, so each page's code cells become one notebook in a temporary
folder, where ruff sees the cell boundaries and IPython's magics as in Jupyter. Cell
options (``:tags:`` lines, a ``---`` block) stay as they are.

    python scripts/ruff_pages.py         # fails on a lint error or an unformatted cell
    python scripts/ruff_pages.py --fix   # fixes what ruff can and formats, in place
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "book" / "ruff-pages.toml"
CELL = re.compile(r"^(`{3,})\{code-cell\}([^\n]*)\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def split_options(body: str) -> tuple[str, str]:
    """A code cell's body as (its MyST options, verbatim; its Python code)."""
    lines = body.split("\n")
    n = 0
    if lines and lines[0].strip() == "---" and "---" in lines[1:]:
        n = lines.index("---", 1) + 1
    while n < len(lines) and lines[n].startswith(":"):
        n += 1
    if n and n < len(lines) and not lines[n].strip():
        n += 1  # the blank line after the options
    return "\n".join(lines[:n]) + ("\n" if n else ""), "\n".join(lines[n:])


def notebook(text: str) -> dict:
    cells = [
        {
            "cell_type": "code",
            "id": f"cell-{i}",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": split_options(m.group(3))[1].rstrip("\n"),
        }
        for i, m in enumerate(CELL.finditer(text))
    ]
    meta = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def write_back(text: str, nb: dict) -> str:
    """``text`` with each code cell's code replaced by the notebook's, options kept."""
    codes = iter(
        c["source"] if isinstance(c["source"], str) else "".join(c["source"]) for c in nb["cells"]
    )

    def replace(m: re.Match) -> str:
        options, _ = split_options(m.group(3))
        code = next(codes).rstrip("\n")
        return f"{m.group(1)}{{code-cell}}{m.group(2)}\n{options}{code}\n{m.group(1)}"

    return CELL.sub(replace, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fix", action="store_true", help="fix and format in place")
    parser.add_argument("pages", nargs="*", type=Path, default=sorted((ROOT / "book").glob("*.md")))
    args = parser.parse_args()
    pages = [p for p in args.pages if CELL.search(p.read_text(encoding="utf-8"))]
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for page in pages:
            target = Path(tmp) / f"{page.stem}.ipynb"
            target.write_text(json.dumps(notebook(page.read_text(encoding="utf-8"))))
            files.append(str(target))
        ruff = [sys.executable, "-m", "ruff"]
        config = ["--config", str(CONFIG)]
        if args.fix:
            subprocess.run([*ruff, "check", "--fix", "-q", *config, *files])
            subprocess.run([*ruff, "format", "-q", *config, *files], check=True)
            for page, file in zip(pages, files):
                fixed = write_back(
                    page.read_text(encoding="utf-8"), json.loads(Path(file).read_text())
                )
                page.write_text(fixed, encoding="utf-8")
        checked = subprocess.run([*ruff, "check", *config, *files])
        formatted = subprocess.run([*ruff, "format", "--check", *config, *files])
    return checked.returncode or formatted.returncode


if __name__ == "__main__":
    sys.exit(main())
