"""Small Sphinx fixes for this book.

sphinx-thebe registers its inline configuration script once per read phase; when
Sphinx re-reads pages in the same build, the same ``const THEBE_JS_URL = ...`` script is
emitted twice and the browser reports a SyntaxError. Drop exact duplicate scripts.
"""

from __future__ import annotations


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
    # Late, after the other extensions have added their scripts for this page.
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
