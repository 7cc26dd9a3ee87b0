"""The book's HTML passes WCAG 2.1 A and AA (tests/test_a11y.py): fixes made where the
HTML is written.

**Citation lists.** docutils writes a bibliography's entries as
``<div role="list" class="citation-list">`` holding ``<div role="doc-biblioentry">``;
a list may hold list items only (ARIA), and DPUB-ARIA has deprecated doc-biblioentry in
favour of listitem. Each entry is written as a list item.

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


def setup(app):
    # The HTML build and the single-page build behind the PDF.
    app.add_node(nodes.citation, override=True, html=(visit_citation, depart_citation),
                 singlehtml=(visit_citation, depart_citation))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
