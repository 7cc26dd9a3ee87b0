"""Checks of the built book in _build/html (run the build command first)."""

from __future__ import annotations

import re
from pathlib import Path

import browser  # scripts/browser.py (on the path through conftest.py)
import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
# The executed pages: every page of the book but the reference list.
PAGES = [page for page in browser.PAGES if page != "references"]

pytestmark = pytest.mark.html


@pytest.fixture(scope="module")
def html_dir() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail("no built book: run `bash scripts/build_book.sh` before the tests")
    return HTML


def read(html_dir: Path, page: str) -> str:
    return (html_dir / "book" / f"{page}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_built_without_error_output(html_dir, page):
    text = read(html_dir, page)
    assert "Traceback (most recent call last)" not in text
    assert "output stderr" not in text
    assert not re.search(r"\d+%\|", text), "a progress bar in the executed page"


def test_intro_has_glued_number_exercise_and_dropdown_solution(html_dir):
    text = read(html_dir, "intro")
    # The glued loss, ln 4 to six places, appears in the prose.
    assert text.count('class="pasted-text">1.386294<') == 2
    assert re.search(r'class="[^"]*\bexercise\b[^"]*admonition', text)
    assert re.search(r'class="[^"]*\bsolution\b[^"]*\bdropdown\b', text)


def test_math_is_served_locally(html_dir):
    text = read(html_dir, "intro")
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', text)
    assert scripts and all(not s.startswith("http") for s in scripts)
    local = html_dir / "book" / scripts[0].split("?")[0]
    assert local.resolve().is_file()


def test_execution_report_lists_pages(html_dir):
    text = read(html_dir, "exec_report")
    for page in ["book/intro"]:
        assert page in text


EXERCISE_PAGES = ["intro", "conv", "gated_rnn", "attention_rnn", "loss_curves", "catsdogs"]


@pytest.mark.parametrize("page", EXERCISE_PAGES)
def test_try_first_no_cell_between_an_exercise_and_its_solution(html_dir, page):
    """Nothing that could give an answer away (a code cell, input or output) stands
    after an exercise, before the next exercise or heading, outside a solution."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(read(html_dir, page), "html.parser")
    main = soup.find("main") or soup
    open_exercise, exposed, exercises = None, [], 0
    for tag in main.find_all(True):
        classes = tag.get("class") or []
        if "exercise" in classes and "admonition" in classes:
            open_exercise = tag.get("id") or "exercise"
            exercises += 1
        elif tag.name in ("h1", "h2", "h3", "h4"):
            open_exercise = None
        elif (
            "cell" in classes
            and open_exercise is not None
            and not tag.find_parent(class_="solution")
        ):
            exposed.append((open_exercise, tag.get_text(" ", strip=True)[:80]))
    assert exercises > 0
    assert exposed == []


@pytest.mark.parametrize(
    "page, labels",
    [
        ("conv", ["eq-conv-out"]),
        ("gated_rnn", ["eq-gated-gate", "eq-gated-state"]),
        ("attention_rnn", ["eq-attn-qkv", "eq-attn-score", "eq-attn-weights", "eq-attn-state"]),
    ],
)
def test_key_equations_are_numbered_and_referenced(html_dir, page, labels):
    text = read(html_dir, page)
    numbers = []
    for label in labels:  # each a numbered, linkable equation (numbered through the book)
        found = re.search(rf'id="equation-{label}".*?<span class="eqno">\((\d+)\)', text, re.DOTALL)
        assert found, label
        numbers.append(int(found.group(1)))
    assert numbers == list(range(numbers[0], numbers[0] + len(labels)))
    # The page refers to its equations by their numbers, never by typed ones.
    assert f'href="#equation-{labels[0]}"' in text


@pytest.mark.parametrize("page", PAGES)
def test_every_figure_says_what_it_shows(html_dir, page):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(read(html_dir, page), "html.parser")
    main = soup.find("article") or soup
    for img in main.find_all("img"):
        alt = img.get("alt", "")
        assert alt and "_images/" not in alt and alt != img.get("src"), img.get("src")


DIAGRAMS = ("1.2.1(a)", "1.2.2(a)")  # solutions that are a drawing, not a sentence
ANSWER_WORDS = 95  # "at exam length": about 90 words, formulas not counted


def _solutions(html_dir: Path, page: str) -> list:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(read(html_dir, page), "html.parser")
    return soup.select("div.solution")


def _words(tag) -> int:
    """Words of a paragraph, its math left out."""
    tag = tag.__copy__()
    for math in tag.select(".math"):
        math.decompose()
    return len(re.findall(r"[A-Za-z]+(?:['’-][A-Za-z]+)*", tag.get_text(" ")))


@pytest.mark.parametrize("page", EXERCISE_PAGES + ["echo"])
def test_every_solution_opens_with_its_answer_at_exam_length(html_dir, page):
    for solution in _solutions(html_dir, page):
        title = solution.select_one(".admonition-title").get_text(" ", strip=True)
        if any(label in title for label in DIAGRAMS):
            continue
        first = next(
            p for p in solution.find_all("p") if "admonition-title" not in (p.get("class") or [])
        )
        assert re.match(r"Answer[.:]", first.get_text(" ", strip=True)), (title, first)
        assert _words(first) <= ANSWER_WORDS, (title, _words(first))


@pytest.mark.parametrize("page", PAGES)
def test_no_bold_run_is_longer_than_fifteen_words(html_dir, page):
    from bs4 import BeautifulSoup

    main = BeautifulSoup(read(html_dir, page), "html.parser").find("main")
    long = [
        b.get_text(" ", strip=True)[:80] for b in main.find_all(["strong", "b"]) if _words(b) > 15
    ]
    assert not long, long
