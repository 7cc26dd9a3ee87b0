"""Print the whole book to one PDF: every page, math rendered, figures in, solutions open.

Called by build_book.sh after the single-page build (``_build/pdf/_build/singlehtml``).
It opens that page in the machine's own headless browser (browser.py says which),
unfolds every solution, waits for MathJax, and prints to A4:

- links inside the book point inside the PDF (the single page's links to itself are
  made same-document anchors);
- a bookmark outline by chapter and section (the browser's, from the headings), its
  titles then made to read as the headings do: the browser leaves out the math in a
  heading (MathJax's text is hidden from it) and the space where a printed heading
  breaks its line, so such a title is written again from the heading, its TeX as plain
  text (``$W_x$`` -> "Wₓ", ``$\\infty$`` -> "∞");
- each chapter starts a page, and pages are numbered; the contents list gives each
  chapter's page: a first print finds the pages (the PDF's named destinations), a
  second print writes them in, and the two must agree;
- no interface text (fold buttons, "Hide code cell source"), wide code wraps, tables
  and equations fit the page width (hw2.js, with a smaller least scale for print).

Without a browser the HTML book is still complete: this says in one line how to get
the PDF and exits 0, unless ``HW2_REQUIRE_BROWSER=1`` (CI), where it fails.
The PDF is written beside the target and renamed into place, so a reader never downloads
half a file.

    python scripts/book_pdf.py SINGLEHTML_DIR OUTPUT.pdf
"""

from __future__ import annotations

import html as htmllib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import browser

# A4 at 96 CSS px per inch, and the page's margins: the window is the page's width, so
# the page is laid out (and hw2.js fits its equations) as it will be printed.
PAGE_WIDTH_PX = 794
PRINT_STYLE = """
<style>
@page { size: A4; margin: 16mm 14mm 18mm;
  @bottom-center { content: counter(page); font: 9pt sans-serif; color: #555; } }
html, body { margin: 0 !important; padding: 0 !important; }
.toggle-hidden, details > * { display: block !important; }
.bd-sidebar-primary, .bd-sidebar-secondary, .bd-header, .bd-footer, .bd-header-article,
.header-article, .prev-next-area, button.toggle-button, a.headerlink, details > summary,
#pst-back-to-top, .bd-footer-content, .bd-footer-article { display: none !important; }
.bd-container, .bd-container__inner, .bd-main, .bd-content, .bd-article-container,
.bd-article { max-width: none !important; padding: 0 !important; margin: 0 !important; }
pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }
.pst-scrollable-table-container, div.cell_output, div.cell_output .output, figure {
  overflow: visible !important; }
table { font-size: 0.78em; }
td, th { overflow-wrap: anywhere; }
img { max-width: 100% !important; height: auto !important; }
span[id^="document-"] { display: block; break-before: page; }
h1, h2, h3 { break-after: avoid; }
img, figure, tr, mjx-container[display="true"] { break-inside: avoid; }
.bd-main .bd-content #jb-print-toc .section-nav li.toc-entry {
  display: flex !important; align-items: baseline; list-style: none; }
#jb-print-toc li::after { content: ""; order: 1; flex: 1; border-bottom: 1px dotted #999;
  margin: 0 0.4em; }
#jb-print-toc .hw2-page { order: 2; font-variant-numeric: tabular-nums; }
</style>
<script>window.HW2_MIN_SCALE = 0.5;</script>
<script>
window.addEventListener("load", () => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  document.querySelectorAll(".toggle-hidden").forEach(e => e.classList.remove("toggle-hidden"));
  document.querySelectorAll("button.toggle-button").forEach(b => b.remove());
});
</script>
"""
# The contents list's chapter links, to each of which a page number is added.
TOC_LINK = re.compile(r'(<a class="reference internal nav-link" href="#(document-[^"]+)">.*?</a>)')
LOCAL_LINK = re.compile(r'<a\b[^>]*\bhref="(?!#|[a-z]+:)[^"]*"[^>]*>(.*?)</a>', re.DOTALL)
# Characters the usual fonts lack, and what prints instead.
GLYPHS = {"\u2705": "\u2713", "\u274c": "\u2717"}


def printable(text: str, page: str, pages: dict[str, int] | None) -> str:
    """The single page ready to print: ``page`` is its own file name (links to it become
    same-document anchors); ``pages`` maps a chapter's anchor to its page (None: a
    placeholder of the same width)."""
    text = re.sub(r'href="(?:\.\./)*(?:book/)?' + re.escape(page) + r"#", 'href="#', text)
    # A relative link to another file (the PDF itself, a download) leads nowhere from a
    # copy of the PDF: its text stays, unlinked.
    text = LOCAL_LINK.sub(r"\1", text)
    for glyph, stand_in in GLYPHS.items():
        text = text.replace(glyph, stand_in)
    toc_start = text.find('id="jb-print-toc"')
    toc_end = text.find("</nav>", toc_start)
    if toc_start >= 0 and toc_end >= 0:

        def numbered(match: re.Match) -> str:
            number = "000" if pages is None else str(pages.get(match.group(2), "?"))
            return f'{match.group(1)}<span class="hw2-page">{number}</span>'

        text = text[:toc_start] + TOC_LINK.sub(numbered, text[toc_start:toc_end]) + text[toc_end:]
    return text.replace("</head>", PRINT_STYLE + "</head>", 1)


# TeX in a heading as plain text: symbols, letters drawn smaller below or above the line.
TEX_SYMBOLS = {
    "infty": "\u221e",
    "ell": "\u2113",
    "cdot": "\u00b7",
    "times": "\u00d7",
    "le": "\u2264",
    "leq": "\u2264",
    "ge": "\u2265",
    "geq": "\u2265",
    "ne": "\u2260",
    "neq": "\u2260",
    "to": "\u2192",
    "rightarrow": "\u2192",
    "in": "\u2208",
    "sum": "\u2211",
    "partial": "\u2202",
    "nabla": "\u2207",
    "odot": "\u2299",
    "otimes": "\u2297",
    "approx": "\u2248",
    "pm": "\u00b1",
    "ldots": "\u2026",
    "dots": "\u2026",
    "top": "\u1d40",
    "intercal": "\u1d40",
    "R": "\u211d",
    "alpha": "\u03b1",
    "beta": "\u03b2",
    "gamma": "\u03b3",
    "delta": "\u03b4",
    "epsilon": "\u03b5",
    "varepsilon": "\u03b5",
    "zeta": "\u03b6",
    "eta": "\u03b7",
    "theta": "\u03b8",
    "iota": "\u03b9",
    "kappa": "\u03ba",
    "lambda": "\u03bb",
    "mu": "\u03bc",
    "nu": "\u03bd",
    "xi": "\u03be",
    "pi": "\u03c0",
    "rho": "\u03c1",
    "sigma": "\u03c3",
    "tau": "\u03c4",
    "phi": "\u03c6",
    "varphi": "\u03c6",
    "chi": "\u03c7",
    "psi": "\u03c8",
    "omega": "\u03c9",
    "Gamma": "\u0393",
    "Delta": "\u0394",
    "Theta": "\u0398",
    "Lambda": "\u039b",
    "Xi": "\u039e",
    "Pi": "\u03a0",
    "Sigma": "\u03a3",
    "Phi": "\u03a6",
    "Psi": "\u03a8",
    "Omega": "\u03a9",
}
SUBSCRIPT = dict(
    zip(
        "0123456789+-=()aehijklmnoprstuvx",
        "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089\u208a\u208b\u208c"
        "\u208d\u208e\u2090\u2091\u2095\u1d62\u2c7c\u2096\u2097\u2098\u2099\u2092"
        "\u209a\u1d63\u209b\u209c\u1d64\u1d65\u2093",
        strict=True,
    )
)
SUPERSCRIPT = dict(
    zip(
        "0123456789+-=()inT\u1d40",
        "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b"
        "\u207c\u207d\u207e\u2071\u207f\u1d40\u1d40",
        strict=True,
    )
)
# A command whose argument is kept as it is (fonts, text).
TEX_STYLE = re.compile(
    r"\\(?:mathrm|mathbf|mathit|mathsf|mathcal|boldsymbol|operatorname|"
    r"text|textrm|textbf|textit)\s*\{([^{}]*)\}"
)
TEX_SCRIPT = re.compile(r"([_^])\s*(\{[^{}]*\}|\\?[A-Za-z0-9\u0370-\u03ff\u2200-\u22ff])")


def readable(tex: str) -> str:
    """A heading's TeX as plain text: ``W_x`` -> "Wₓ", ``\\infty`` -> "∞", ``h^{(t)}`` ->
    "h⁽ᵗ⁾" where every character has a small form, else "h^(t)"."""
    text = re.sub(r"\\mathbb\s*\{?R\}?", "\u211d", tex)
    text = TEX_STYLE.sub(r"\1", text)
    text = re.sub(r"\\(left|right|big|Big|bigg|Bigg)\b", "", text)
    text = re.sub(r"\\[,;:! ]", " ", text)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: TEX_SYMBOLS.get(m.group(1), m.group(1)), text)

    def script(match: re.Match) -> str:
        body = match.group(2).strip("{}").replace(" ", "")
        small = SUBSCRIPT if match.group(1) == "_" else SUPERSCRIPT
        if body and all(c in small for c in body):
            return "".join(small[c] for c in body)
        bracketed = len(body) == 1 or (body[0] + body[-1] == "()")
        return match.group(1) + (body if bracketed else f"({body})")

    text = TEX_SCRIPT.sub(script, text)
    return " ".join(text.replace("{", "").replace("}", "").split())


# A heading: h1 to h6, or an element with the ARIA role (the contents list's captions).
HEADING = re.compile(
    r'<(h[1-6]|[a-z]+(?=\s[^>]*\brole="heading"))(?:\s[^>]*)?>(.*?)</\1>', re.DOTALL
)
HEADER_LINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.DOTALL)
INLINE_MATH = re.compile(
    r'<span class="math notranslate nohighlight">\\\((.*?)\\\)</span>', re.DOTALL
)


def headings(page: str) -> list[tuple[str, str]]:
    """Each heading of an HTML page: its text as the browser's outline has it (math left
    out) and as it reads (math as plain text, :func:`readable`)."""
    found = []
    for match in HEADING.finditer(page):
        inner = HEADER_LINK.sub("", match.group(2))
        pair = []
        for math in (lambda m: "", lambda m: readable(htmllib.unescape(m.group(1)))):
            text = re.sub(r"<[^>]+>", "", INLINE_MATH.sub(math, inner))
            pair.append(" ".join(htmllib.unescape(text).split()))
        found.append((pair[0], pair[1]))
    return found


def fix_outline(pdf: Path, page: str) -> int:
    """Write again each bookmark title of ``pdf`` that does not read as its heading in
    ``page`` (the printed HTML): the browser leaves out a heading's math, and the space
    where the printed heading breaks its line. A title is matched, in order, to the next
    heading whose text without math and spaces is the title's without spaces. Returns
    how many titles were written; fails if a heading with math found no bookmark."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    def bare(text: str) -> str:
        return "".join(text.split())

    remaining = headings(page)
    writer = PdfWriter(pdf, incremental=True)
    fixed, lost = 0, []

    def walk(node) -> None:
        nonlocal fixed, remaining
        item = node.get("/First")
        while item is not None:
            item = item.get_object()
            title = str(item.get("/Title", ""))
            for index, (plain, full) in enumerate(remaining):
                if bare(title) == bare(plain):
                    if title != full:
                        item[NameObject("/Title")] = TextStringObject(full)
                        fixed += 1
                    lost.extend(f for p, f in remaining[:index] if p != f)
                    remaining = remaining[index + 1 :]
                    break
            walk(item)
            item = item.get("/Next")

    outlines = writer.root_object.get("/Outlines")
    if outlines is not None:
        walk(outlines.get_object())
    lost.extend(f for p, f in remaining if p != f)
    if lost:
        raise SystemExit(
            "book_pdf: no bookmark for the heading(s) with math "
            + "; ".join(repr(full) for full in lost)
        )
    with tempfile.NamedTemporaryFile(dir=pdf.parent, suffix=".pdf", delete=False) as out:
        writer.write(out)
    os.replace(out.name, pdf)
    return fixed


def chapter_pages(pdf: Path) -> dict[str, int]:
    """The page (from 1) of each chapter's anchor in a printed PDF."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    return {
        name.lstrip("/"): reader.get_destination_page_number(dest) + 1
        for name, dest in reader.named_destinations.items()
        if name.lstrip("/").startswith("document-")
    }


def print_pdf(chrome: str, html: Path, pdf: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chrome,
                *browser.FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={PAGE_WIDTH_PX},1123",
                "--virtual-time-budget=60000",
                "--no-pdf-header-footer",
                "--generate-pdf-document-outline",
                f"--print-to-pdf={pdf}",
                html.resolve().as_uri(),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=600,
        )
    if pdf.stat().st_size < 100_000:
        raise SystemExit(f"book_pdf: the printed PDF is only {pdf.stat().st_size} bytes")


def main(singlehtml: Path, output: Path) -> int:
    chrome = browser.chrome()
    if chrome is None or not os.access(chrome, os.X_OK):
        if os.environ.get("HW2_REQUIRE_BROWSER") == "1":
            print(
                f"book_pdf: HW2_REQUIRE_BROWSER=1 but no browser was found; {browser.HINT}",
                file=sys.stderr,
            )
            return 1
        print(f"==> no PDF: this machine has no Chrome, Chromium or Edge; {browser.HINT}")
        return 0
    index = singlehtml / "index.html"
    text = index.read_text(encoding="utf-8")
    redirect = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', text)
    if redirect:  # Jupyter Book's root is a page of its own: index.html only points to it
        index = singlehtml / redirect.group(1)
        text = index.read_text(encoding="utf-8")
    # The printable page sits at the output root, as the single page links its assets
    # from there (_static/, _images/).
    html = singlehtml / "print.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent) as work:
        first, second = Path(work) / "first.pdf", Path(work) / "second.pdf"
        html.write_text(printable(text, index.name, None), encoding="utf-8")
        print_pdf(chrome, html, first)
        pages = chapter_pages(first)
        html.write_text(printable(text, index.name, pages), encoding="utf-8")
        print_pdf(chrome, html, second)
        if chapter_pages(second) != pages:
            raise SystemExit("book_pdf: the page numbers moved between the two prints")
        fix_outline(second, html.read_text(encoding="utf-8"))
        os.replace(second, output)
    print(
        f"==> PDF: {output} ({output.stat().st_size / 1e6:.1f} MB, chapters start on "
        f"pages {', '.join(str(p) for p in sorted(pages.values()))})"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
