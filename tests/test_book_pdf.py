"""The PDF (scripts/book_pdf.py) works on paper and on screen, and the PDF step finds the
reader's own browser or steps aside.

The built PDF is read with pypdf: links inside the book point inside it, a bookmark
outline by chapter and section whose titles read as the headings do (math included), a
contents list with each chapter's page, each chapter
on a page of its own, no interface text, no missing glyph. The browser search is tested
on a fake macOS application folder and on a machine with none.
"""

from __future__ import annotations

import html
import os
import re
import stat
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "html" / "book.pdf"
# The page the PDF was printed from (scripts/book_pdf.py writes it beside the single page).
PRINTED = ROOT / "_build" / "pdf" / "_build" / "singlehtml" / "print.html"
sys.path.insert(0, str(ROOT / "scripts"))
import book_pdf  # noqa: E402
import browser  # noqa: E402

CHAPTERS = [
    "Convolutions (theory 1.1)",
    "A gated RNN (theory 1.2, part 1)",
    "AttentionRNN (theory 1.2, part 2)",
    "Debugging loss curves",
    "Cats vs dogs with a CNN (practical A)",
    "Echo with a GRU (practical B)",
    "Execution report",
    "References",
]


@pytest.fixture(scope="module")
def reader():
    from pypdf import PdfReader

    if not PDF.is_file():
        if os.environ.get("HW2_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no PDF at {PDF}: run `bash scripts/build_book.sh` first")
        pytest.skip(f"no PDF at {PDF} (built only where a browser is found)")
    return PdfReader(PDF)


def _links(reader):
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A") or {}
            yield number, action.get("/URI"), annot.get("/Dest") or action.get("/D")


def test_links_inside_the_book_point_inside_the_pdf(reader):
    links = list(_links(reader))
    uris = [uri for _, uri, _ in links if uri is not None]
    assert not [u for u in uris if not str(u).startswith(("http://", "https://", "mailto:"))]
    names = {str(name).lstrip("/") for name in reader.named_destinations}
    internal = [str(dest).lstrip("/") for _, _, dest in links if dest is not None]
    assert len(internal) >= 40  # citations, exercises, equations, chapters
    assert set(internal) <= names


def test_the_pdf_holds_every_chapter_with_solutions_open(reader):
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    text = " ".join(unicodedata.normalize("NFKC", text).split())  # ligatures: "ﬁ" -> "fi"
    for title in CHAPTERS:
        assert title in text, title
    # Solutions are printed unfolded: an answer that sits inside a dropdown is there.
    assert "Answer. A little, and it does no harm." in text and "Solution to" in text


def _outline(reader, items, depth=0):
    for item in items:
        if isinstance(item, list):
            yield from _outline(reader, item, depth + 1)
        else:
            yield depth, item.title, reader.get_destination_page_number(item) + 1


def test_bookmarks_by_chapter_and_section(reader):
    outline = list(_outline(reader, reader.outline))
    titles = [title for _, title, _ in outline]
    for chapter in CHAPTERS:
        assert any(t.startswith(chapter) for t in titles), chapter
    pages = [page for _, _, page in outline]
    assert pages == sorted(pages)
    assert len({depth for depth, _, _ in outline}) >= 3  # book, chapters, sections


def test_bookmarks_read_as_the_headings_do(reader):
    """Each bookmark is a heading's whole text, in the headings' order, and a heading
    with math keeps its variables and symbols (W_x, k, infinity) as plain text."""
    if not PRINTED.is_file():
        pytest.fail(f"no {PRINTED}: run `bash scripts/build_book.sh` first")
    page = PRINTED.read_text(encoding="utf-8")
    titles = [title for _, title, _ in _outline(reader, reader.outline)]
    for title in titles:
        assert title == " ".join(title.split()) and "()" not in title, repr(title)
    headings = [full for _, full in book_pdf.headings(page)]
    remaining = iter(headings)
    assert all(title in remaining for title in titles), "a bookmark that is no heading"
    # Each heading with math, read here from the page on its own: its bookmark is its
    # text, each formula replaced by text that holds the formula's letters and symbols
    # (Wₓ holds W and x once normalised).
    with_math = 0
    for match in book_pdf.HEADING.finditer(page):
        inner = book_pdf.HEADER_LINK.sub("", match.group(2))
        parts = book_pdf.INLINE_MATH.split(inner)  # text, TeX, text, TeX, ..., text
        if len(parts) == 1:
            continue
        with_math += 1
        texts = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", t)).split()) for t in parts[::2]]
        pattern = "(.+?)".join(re.escape(t) for t in texts)
        symbols = []
        for tex in parts[1::2]:
            tex = re.sub(r"\\infty", "\u221e", html.unescape(tex))
            symbols.append(re.sub(r"\\[A-Za-z]+|[^A-Za-z0-9\u221e]", "", tex))
        assert all(symbols), parts
        found = [
            t
            for t in titles
            if (m := re.fullmatch(pattern, t))
            and all(
                all(c in unicodedata.normalize("NFKC", shown) for c in wanted)
                for shown, wanted in zip(m.groups(), symbols, strict=True)
            )
        ]
        assert found, (pattern, symbols, titles)
    assert with_math >= 1, "no heading with math to check"


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        ("W_x", "W\u2093"),
        ("k", "k"),
        ("\\infty", "\u221e"),
        ("W_{hh}", "W\u2095\u2095"),
        ("x_{t-1}", "x\u209c\u208b\u2081"),
        ("h^{(t)}", "h^(t)"),
        ("a^T", "a\u1d40"),
        ("\\mathbb{R}^{n}", "\u211d\u207f"),
        ("\\sigma(W_x x + b)", "\u03c3(W\u2093 x + b)"),
        ("\\mathbf{W}_{\\text{out}}", "W\u2092\u1d64\u209c"),
        ("y_b", "y_b"),
        ("\\ell_{\\text{CE}}", "\u2113_(CE)"),
    ],
)
def test_tex_in_a_heading_reads_as_plain_text(tex, text):
    assert book_pdf.readable(tex) == text


def test_headings_without_and_with_their_math():
    page = (
        '<h1>CNNs and RNNs, worked\nand verified<a class="headerlink" href="#a">#</a>'
        '</h1><h2>AttentionRNN(<span class="math notranslate nohighlight">\\(k\\)</span>)'
        ' and AttentionRNN(<span class="math notranslate nohighlight">\\(\\infty\\)'
        "</span>)</h2>"
    )
    assert book_pdf.headings(page) == [
        ("CNNs and RNNs, worked and verified", "CNNs and RNNs, worked and verified"),
        ("AttentionRNN() and AttentionRNN()", "AttentionRNN(k) and AttentionRNN(\u221e)"),
    ]


def test_each_chapter_starts_a_page_listed_in_the_contents(reader):
    starts = book_pdf.chapter_pages(PDF)
    assert len(starts) == len(CHAPTERS)
    contents = reader.pages[0].extract_text()
    for chapter, page in zip(CHAPTERS, sorted(starts.values()), strict=True):
        # The chapter's anchor (its page here) sits just above its title.
        assert chapter in reader.pages[page - 1].extract_text(), chapter
        assert re.search(
            re.escape(chapter) + r".*?\.*\s*" + str(page) + r"\b", contents, re.DOTALL
        ), chapter


def test_no_interface_text_and_no_missing_glyph(reader):
    text = "\n".join(page.extract_text() for page in reader.pages)
    for interface in ("Hide code cell", "Show code cell", "Toggle", "Copy to clipboard"):
        assert interface not in text
    assert "\u2705" not in text and "\ufffd" not in text


def test_printable_page_links_to_itself_and_numbers_its_contents():
    html = (
        '<html><head></head><body><div id="jb-print-toc"><nav>'
        '<a class="reference internal nav-link" href="#document-book/conv">Conv</a>'
        '</nav></div><a href="book/intro.html#id5">[LC]</a> <a href="../book.pdf">pdf</a>'
        ' <a href="https://example.org">web</a> \u2705</body></html>'
    )
    out = book_pdf.printable(html, "intro.html", {"document-book/conv": 7})
    assert '<a href="#id5">[LC]</a>' in out
    assert 'href="../book.pdf"' not in out and "</a> pdf <a" in out
    assert 'href="https://example.org"' in out
    assert 'Conv</a><span class="hw2-page">7</span>' in out
    assert "\u2705" not in out
    placeholder = book_pdf.printable(html, "intro.html", None)
    assert '<span class="hw2-page">000</span>' in placeholder


def _fake_executable(path: Path) -> Path:
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_finds_chrome_in_a_macos_application_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("HW2_CHROME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    home = tmp_path / "home"
    assert browser.chrome("Darwin", home) is None
    edge = _fake_executable(
        home / "Applications" / "Microsoft Edge.app" / "Contents" / "MacOS" / "Microsoft Edge"
    )
    assert browser.chrome("Darwin", home) == str(edge)
    assert Path(
        "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
    ) in browser.candidates("Darwin", home)


def test_without_a_browser_the_build_ends_with_a_hint_unless_ci(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(browser, "chrome", lambda *a, **k: None)
    monkeypatch.delenv("HW2_REQUIRE_BROWSER", raising=False)
    assert book_pdf.main(tmp_path, tmp_path / "book.pdf") == 0
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and "HW2_CHROME" in said[0] and "book_pdf.py" in said[0]
    assert not (tmp_path / "book.pdf").exists()
    monkeypatch.setenv("HW2_REQUIRE_BROWSER", "1")
    assert book_pdf.main(tmp_path, tmp_path / "book.pdf") == 1
