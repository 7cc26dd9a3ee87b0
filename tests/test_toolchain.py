"""The kept toolchain: actions pinned by commit SHA, the test tools pinned as the README
says, and a lock that holds the book on Jupyter Book 1."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_action_is_pinned_by_commit_sha_with_its_tag():
    uses = [line.strip() for path in (ROOT / ".github" / "workflows").glob("*.yml")
            for line in path.read_text().splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert uses
    for line in uses:
        assert re.search(r"@[0-9a-f]{40}\s+#\s*v\d+\.\d+\.\d+$", line), line


def test_test_tools_are_held_where_they_work_together():
    text = (ROOT / "pyproject.toml").read_text()
    test = re.search(r"^test = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL).group(1)
    assert re.search(r'"ruff==\d', test)  # exact: lint results do not drift
    assert '"pytest>=8,<10"' in test


def test_the_lock_holds_jupyter_book_1():
    lock = (ROOT / "requirements-lock.txt").read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", lock, re.MULTILINE))
    assert pins["jupyter-book"].startswith("1.")
    for tool in ("myst-nb", "sphinx-exercise", "sphinxcontrib-bibtex", "ruff", "pytest",
                 "nbclient"):
        assert tool in pins, tool
    assert "-c requirements-lock.txt" in (ROOT / "scripts" / "env.sh").read_text()
