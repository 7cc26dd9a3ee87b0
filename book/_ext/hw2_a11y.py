"""The book's HTML passes WCAG 2.1 A and AA (tests/test_a11y.py): fixes made where the
HTML is written.

**Citation lists.** docutils writes a bibliography's entries as
``<div role="list" class="citation-list">`` holding ``<div role="doc-biblioentry">``;
a list may hold list items only (ARIA), and DPUB-ARIA has deprecated doc-biblioentry in
favour of listitem. Each entry is written as a list item.

**Folded code cells.** myst-nb names the ``<summary>`` of a cell whose code is hidden
"Toggle hidden content", which leaves out its visible text ("Show code cell source"):
WCAG 2.5.3 (label in name). The label is dropped, so the visible text is the name.

The theme's own fixes are templates (book/_templates), styles (book/_static/hw2.css) and
the book's script (book/_static/hw2.js: a table or equation that scrolls sideways takes
the keyboard's focus).
"""

from __future__ import annotations

from docutils import nodes


def visit_citation(self, node: nodes.citation) -> None:
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def depart_citation(self, node: nodes.citation) -> None:
    self.body.append("</div>\n")
    if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
        self.body.append("</div>\n")


def visit_hidden_input(self, node) -> None:
    from myst_nb.sphinx_ import visit_HideCellInput

    start = len(self.body)
    visit_HideCellInput(self, node)
    self.body[start:] = [
        part.replace(' aria-label="Toggle hidden content"', "") for part in self.body[start:]
    ]


def _handlers(app) -> None:
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    # The HTML build and the single-page build behind the PDF; set once every extension
    # has set its own (myst-nb sets the folded cells' after this extension loads).
    for builder in ("html", "singlehtml"):
        app.registry.add_translation_handlers(
            nodes.citation, **{builder: (visit_citation, depart_citation)}
        )
        app.registry.add_translation_handlers(
            HideCodeCellNode, **{builder: (visit_hidden_input, depart_HideCellInput)}
        )


def setup(app):
    app.connect("builder-inited", _handlers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
