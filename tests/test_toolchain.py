"""The kept toolchain: actions pinned by commit SHA, the test tools pinned as the README
says, and a lock that holds the book on Jupyter Book 1."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_action_is_pinned_by_commit_sha_with_its_tag():
    uses = [
        line.strip()
        for path in (ROOT / ".github" / "workflows").glob("*.yml")
        for line in path.read_text().splitlines()
        if re.match(r"\s*(- )?uses:", line)
    ]
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
    for tool in (
        "myst-nb",
        "sphinx-exercise",
        "sphinxcontrib-bibtex",
        "ruff",
        "pytest",
        "nbclient",
        "nbmake",
    ):
        assert tool in pins, tool
    nbmake = tuple(int(v) for v in pins["nbmake"].split(".")[:3])
    assert nbmake >= (1, 5, 5) and pins["pytest"].split(".")[0] == "9"  # pytest < 10
    assert "-c requirements-lock.txt" in (ROOT / "scripts" / "env.sh").read_text()


def test_nbmake_runs_the_colab_notebooks_in_a_toolchain_free_environment():
    """The design card's CI: `pytest --nbmake` on the Colab notebooks and workbooks, in
    an environment of their own that never holds the book's toolchain."""
    script = (ROOT / "scripts" / "nbmake.sh").read_text()
    assert (
        "pytest --nbmake" in script
        and "bash scripts/nbmake.sh" in (ROOT / "scripts" / "test.sh").read_text()
    )
    runtime = re.search(r"^RUNTIME=\((.*)\)$", script, re.MULTILINE).group(1).split()
    assert "nbmake" in runtime and not {"jupyter-book", "myst-nb", "sphinx"} & set(runtime)
    assert "--force-reinstall" in script and "-e ." not in script  # hw2 not editable
    assert "nothing may be trained again" in script and '"$(listing)" = "$before"' in script


def _workflow() -> dict:
    import yaml

    return yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())


def test_only_the_publishing_job_may_write_and_only_from_main():
    """The job that runs the pull request's code holds a read-only token and keeps no
    credentials in its checkout; pushing the branch colab is a main-only job of its own
    that runs no built code; the site is deployed after it."""
    flow = _workflow()
    assert flow["permissions"] == {"contents": "read"}
    jobs = flow["jobs"]
    writers = {
        name for name, job in jobs.items() if "write" in (job.get("permissions") or {}).values()
    }
    assert writers == {"publish-colab", "publish"}
    main_only = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    for name in writers:
        assert jobs[name]["if"] == main_only, name
    assert jobs["publish-colab"]["permissions"] == {"contents": "write"}
    assert "contents" not in jobs["publish"]["permissions"]
    assert set(jobs["publish"]["needs"]) == {"build-and-test", "publish-colab"}
    build = jobs["build-and-test"]
    assert build["permissions"] == {"contents": "read"}
    checkout = next(s for s in build["steps"] if "actions/checkout@" in s.get("uses", ""))
    assert checkout["with"]["persist-credentials"] is False
    assert not any("publish_colab" in s.get("run", "") for s in build["steps"])


def test_only_pull_requests_are_cancelled_and_caches_survive_a_failure():
    flow = _workflow()
    assert flow["concurrency"]["cancel-in-progress"] == (
        "${{ github.event_name == 'pull_request' }}"
    )
    steps = flow["jobs"]["build-and-test"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    restore, save = uses.index("actions/cache/restore"), uses.index("actions/cache/save")
    build = next(i for i, s in enumerate(steps) if s.get("run") == "bash scripts/build_book.sh")
    test = next(i for i, s in enumerate(steps) if s.get("run") == "bash scripts/test.sh")
    assert restore < build < save < test
    assert steps[save]["if"].startswith("always()")
    cached = set(steps[save]["with"]["path"].split())
    assert cached == set(steps[restore]["with"]["path"].split())
    assert {"_build/.jupyter_cache", "_build/.hw2-cache", "_build/.data"} <= cached
    env = flow["jobs"]["build-and-test"]["env"]
    assert env["HW2_DATA_URL"].startswith("file://") and "HW2_SHARED_ZIP" in env


def test_the_lock_holds_no_package_nothing_uses():
    lock = (ROOT / "requirements-lock.txt").read_text()
    assert "schemdraw" not in lock  # the diagrams are drawn with matplotlib
