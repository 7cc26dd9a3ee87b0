"""The book's Sphinx extension: pages that follow the package, and a small fix.

**Pages never go stale.** A page's text does not change when a ``hw2`` module it runs
does, so by default neither Sphinx (which re-reads a page when its file changes) nor
myst-nb's jupyter-cache (which keys an executed page on its code cells) would run it
again. While a page is read, :func:`_follow_package` therefore

- notes every ``hw2`` module the page imports, directly or through other modules, as a
  Sphinx dependency of the page: Sphinx re-reads the page when one of them is newer
  than the page's last read;
- writes the fingerprint of those modules' source (:func:`hw2.book.sources.fingerprint`)
  and the versions of the numerical packages (:data:`VERSIONED`) into the metadata of
  the page's first code cell, which jupyter-cache hashes: the executed copy is reused
  only while those modules and versions are unchanged.

So an edit to one module re-executes exactly the pages that import it. A page reverted
to an earlier source finds its earlier executed copy again.

**The single-page build** (the PDF's source) needs myst-nb's hidden-input cells drawn
as in the HTML build.

**Static files stay current.** Sphinx 7.4 does not overwrite a file in the output's
``_static`` that differs from its source (it logs "will overwrite data" and keeps the
old one), so an edit to ``book/_static/hw2.css`` or ``hw2.js`` would never reach the
built book. :func:`_fresh_static` brings the built copies of the book's own static
files up to date before Sphinx looks at them.

**Duplicate scripts.** sphinx-thebe registers its inline configuration script once per
read phase; when Sphinx re-reads pages in the same build, the same
``const THEBE_JS_URL = ...`` script is emitted twice and the browser reports a
SyntaxError. Drop exact duplicate scripts.
"""

from __future__ import annotations

import json
import re
import shutil
from importlib import metadata
from pathlib import Path

from hw2.book import sources

STAMP = "hw2_source"
# Packages whose version changes what a page computes: a new version runs it again.
VERSIONED = ("torch", "torchvision", "numpy", "matplotlib")
_FIRST_CODE_CELL = re.compile(r"^(`{3,})\{code-cell\}[^\n]*\n", re.MULTILINE)


def stamp_page(text: str, suffix: str) -> tuple[str, list[Path]]:
    """``text`` with the fingerprint of the ``hw2`` source it runs in its first code
    cell's metadata, and the module files it depends on. Unchanged if it runs none."""
    modules = sources.imported_modules(sources.page_code(text, suffix))
    if not modules:
        return text, []
    files = [sources.module_path(m) for m in sources.dependencies(modules)]
    versions = ",".join(f"{name}=={metadata.version(name)}" for name in VERSIONED)
    stamp = sources.fingerprint(modules) + " " + versions
    if suffix == ".ipynb":
        nb = json.loads(text)
        first = next(c for c in nb["cells"] if c["cell_type"] == "code")
        first.setdefault("metadata", {})[STAMP] = stamp
        return json.dumps(nb, indent=1, ensure_ascii=False), files
    match = _FIRST_CODE_CELL.search(text)
    rest = text[match.end() :]
    if rest.startswith("---\n"):  # options as a YAML block
        option = f"---\n{STAMP}: {stamp}\n"
        rest = rest[len("---\n") :]
    else:
        option = f":{STAMP}: {stamp}\n"
    return text[: match.end()] + option + rest, files


def _follow_package(app, docname, source):
    path = Path(app.env.doc2path(docname))
    if path.suffix not in (".md", ".ipynb"):
        return
    source[0], files = stamp_page(source[0], path.suffix)
    for file in files:
        app.env.note_dependency(str(file))


def _fresh_static(app):
    own = Path(__file__).resolve().parents[1] / "_static"  # book/_static
    for source in own.rglob("*"):
        copy = Path(app.outdir) / "_static" / source.relative_to(own)
        if source.is_file() and copy.is_file() and copy.read_bytes() != source.read_bytes():
            shutil.copyfile(source, copy)


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    seen = set()
    unique = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {}) or {}
        # An inline script's filename is None or "" depending on who registered it.
        filename = getattr(script, "filename", script) or ""
        key = (str(filename), tuple(sorted(attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    context["script_files"][:] = unique


def setup(app):
    app.connect("source-read", _follow_package)
    app.connect("builder-inited", _fresh_static)
    # myst-nb draws hidden-input cells for the html builder only; the single-page build
    # behind the PDF needs the same (another builder name, the same HTML).
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput

    app.add_node(
        HideCodeCellNode, override=True, singlehtml=(visit_HideCellInput, depart_HideCellInput)
    )
    # Late, after the other extensions have added their scripts for this page.
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
