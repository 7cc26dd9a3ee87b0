"""A built page as a plain notebook that Colab runs, and as a workbook.

Colab knows nothing of MyST, of myst-nb's ``glue`` or of sphinx-exercise. :func:`to_colab`
turns an executed page (its notebook, with what the build resolved in a :class:`Book`)
into a notebook that reads like the page:

- ``{glue:text}`` roles become the values the build computed, ``{eq}`` and exercise and
  figure numbers the book's numbers, ``{cite}`` and ``{doc}`` links to the published
  book, the book's TeX macros their definitions, glued figures inline images;
- an exercise is a quoted paragraph; a solution's prose is folded in a ``<details>``
  block and its code cells in Colab's form view (code hidden until "show code");
- a "Check your answer" block (an ``admonition`` of class ``hw2-check``) is folded;
- outputs are dropped (the notebook is for running); the caller's install cell and
  preface follow the title.

:func:`to_workbook` writes the page's **workbook**: every solution left
out (prose and code), and each check block turned into a cell to fill in (its code but
the final ``check.`` call) and a cell that runs the check.

A directive or role without a plain form is an error, so nothing raw reaches Colab.
No Sphinx here: ``colab.py`` gathers a :class:`Book` from the build and writes the files.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

BRANCH = "colab"
ROLE = re.compile(r"\{(?P<role>[a-z][\w:-]*)\}`(?P<text>[^`]*)`")
FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
TARGET = re.compile(r"^\([\w-]+\)=[ \t]*$")
LABELLED_MATH_END = re.compile(r"^\$\$[ \t]*\((?P<label>[\w-]+)\)[ \t]*$")
START, END = "\x00solution-start\x00", "\x00solution-end\x00"
CHECK, CHECK_END = "\x00check\x00", "\x00check-end\x00"  # a "Check your answer" block
CHECK_CLASS = "hw2-check"  # the class that marks one
PYTHON_BLOCK = re.compile(r"```python\n(?P<code>.*?)\n```", re.S)
WORKBOOK = "-workbook"  # a page's workbook notebook: <page>-workbook.ipynb


@dataclass
class Book:
    """What a page's MyST refers to, as the built book resolved it."""

    site: str  # the published book, ending in "/"
    glued: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> mime bundle
    exercises: dict[str, str] = field(default_factory=dict)  # label -> number (or title)
    equations: dict[str, str] = field(default_factory=dict)  # label -> number
    figures: dict[str, str] = field(default_factory=dict)  # name -> number
    citations: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (label, page#id)
    titles: dict[str, str] = field(default_factory=dict)  # docname -> title
    macros: dict[str, str] = field(default_factory=dict)  # TeX macro name -> expansion
    docname: str = ""


def repo_parts(url: str) -> tuple[str, str]:
    """``(org, repo)`` of a ``https://github.com/<org>/<repo>`` address."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", url)
    if not match:
        raise ValueError(f"repository.url must be https://github.com/<org>/<repo>, got {url!r}")
    return match.group(1), match.group(2)


def site_url(repo_url: str) -> str:
    """Where the workflow publishes the book: the repository's GitHub Pages site."""
    org, repo = repo_parts(repo_url)
    return f"https://{org}.github.io/{repo}/"


def colab_url(repo_url: str, docname: str) -> str:
    """The address that opens a page's notebook in Colab (from the ``colab`` branch)."""
    org, repo = repo_parts(repo_url)
    return f"https://colab.research.google.com/github/{org}/{repo}/blob/{BRANCH}/{docname}.ipynb"


def install_cell(repo_url: str, revision: str) -> str:
    """The first code cell: install ``hw2`` where it cannot be imported (Colab)."""
    return (
        "# Installs the book's package, hw2, at the commit these pages were built from,\n"
        "# where it is not installed yet (Colab). Elsewhere this cell does nothing.\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if importlib.util.find_spec("hw2") is None:\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q",\n'
        f'                    "hw2 @ git+{repo_url}@{revision}"], check=True)\n'
        "    importlib.invalidate_caches()"
    )


def _glue_text(book: Book, text: str) -> str:
    from myst_nb.core.variables import format_plain_text

    key, _, spec = text.partition(":")
    if key not in book.glued:
        raise ValueError(f"{book.docname}: nothing glued under {key!r}")
    return format_plain_text(book.glued[key]["text/plain"], spec)


def _doc(book: Book, text: str) -> str:
    match = re.fullmatch(r"(?:(?P<title>.+?)\s*<(?P<target>[^>]+)>|(?P<bare>.+))", text)
    target = match.group("target") or match.group("bare")
    folder = book.docname.rpartition("/")[0]
    docname = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}".lstrip("/")
    if docname not in book.titles:
        raise ValueError(f"{book.docname}: {{doc}} to unknown page {target!r}")
    title = match.group("title") or book.titles[docname]
    return f"[{title}]({book.site}{docname}.html)"


def _cite(book: Book, text: str) -> str:
    links = []
    for key in (k.strip() for k in text.split(",")):
        if key not in book.citations:
            raise ValueError(f"{book.docname}: unknown citation {key!r}")
        label, anchor = book.citations[key]
        links.append(f"[{label}]({book.site}{anchor})")
    return "[" + ", ".join(links) + "]"


def _number(table: dict[str, str], kind: str, book: Book, label: str) -> str:
    if label not in table:
        raise ValueError(f"{book.docname}: no number for {kind} {label!r}")
    return table[label]


def roles(text: str, book: Book) -> str:
    """Replace every MyST role by its plain form; an unknown role is an error."""

    def one(match: re.Match) -> str:
        role, body = match.group("role"), match.group("text")
        if role == "glue:text":
            return _glue_text(book, body)
        if role == "eq":
            return f"({_number(book.equations, 'equation', book, body)})"
        if role == "cite":
            return _cite(book, body)
        if role == "doc":
            return _doc(book, body)
        raise ValueError(f"{book.docname}: no Colab form for the role {{{role}}}")

    return ROLE.sub(one, text)


def math(text: str, book: Book) -> str:
    """Labelled display math gets the book's number as ``\\tag``; macros are expanded."""
    lines = []
    for line in text.split("\n"):
        end = LABELLED_MATH_END.match(line)
        if end:
            number = _number(book.equations, "equation", book, end.group("label"))
            lines += [f"\\tag{{{number}}}", "$$"]
        elif not TARGET.match(line):
            lines.append(line)
    text = "\n".join(lines)
    for name, expansion in book.macros.items():
        text = re.sub(rf"\\{name}(?![A-Za-z])", expansion.replace("\\", "\\\\"), text)
    return text


def _figure(book: Book, key: str, options: dict[str, str], caption: str) -> str:
    bundle = book.glued.get(key)
    mime = next((m for m in ("image/png", "image/svg+xml") if bundle and m in bundle), None)
    if mime is None:
        raise ValueError(f"{book.docname}: no glued figure {key!r}")
    data = bundle[mime]
    data = "".join(data) if isinstance(data, list) else data
    if mime == "image/svg+xml":
        data = base64.b64encode(data.encode()).decode()
    alt = re.sub(r"([\[\]])", r"\\\1", options.get("alt", key))
    number = book.figures.get(options.get("name", ""), "")
    title = f"*Figure {number}.* " if number else ""
    return f"![{alt}](data:{mime};base64,{data.strip()})\n\n{title}{caption.strip()}"


def directives(text: str, book: Book) -> str:
    """Replace every fenced directive by its plain form. Solutions become markers that
    :func:`to_colab` folds; an unknown directive is an error."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        start = FENCE.match(lines[i])
        if not start:
            out.append(lines[i])
            i += 1
            continue
        fence, name, arg = start.group("fence"), start.group("name"), start.group("arg").strip()
        i += 1
        options: dict[str, str] = {}
        while i < len(lines) and OPTION.match(lines[i]):
            option = OPTION.match(lines[i])
            options[option.group("key")] = option.group("value").strip()
            i += 1
        body = []
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"{book.docname}: unclosed {{{name}}} directive")
        i += 1
        body_text = "\n".join(body).strip("\n")
        if name == "exercise" and "nonumber" in options:
            # Its title is its number (the homework's label: 1.3.1, A.6), for its
            # solution too.
            book.exercises.setdefault(options.get("label", ""), arg)
            quoted = "\n".join(f"> {line}".rstrip() for line in body_text.split("\n"))
            out.append(f"> **Exercise {arg}.**\n>\n{quoted}")
        elif name == "exercise":
            number = _number(book.exercises, "exercise", book, options.get("label", ""))
            # An exercise without a number goes by its title: "Exercise 1.1(a)".
            title = f" ({arg})" if arg and arg != number else ""
            heading = f"**Exercise {number}{title}.**"
            quoted = "\n".join(f"> {line}".rstrip() for line in body_text.split("\n"))
            out.append(f"> {heading}\n>\n{quoted}")
        elif name == "solution-start":
            out.append(START + _number(book.exercises, "exercise", book, arg))
        elif name == "solution-end":
            out.append(END)
        elif name == "glue:figure":
            out.append(_figure(book, arg, options, body_text))
        elif name == "admonition" and CHECK_CLASS in options.get("class", "").split():
            out.append(f"{CHECK}{arg}\n{body_text}{CHECK_END}")
        else:
            raise ValueError(f"{book.docname}: no Colab form for the directive {{{name}}}")
    return "\n".join(out)


def _folded(text: str, title: str) -> str:
    return (
        f"<details>\n<summary><b>{title}</b> (click to show)"
        f"</summary>\n\n{text.strip()}\n\n</details>"
    )


def _code(source: str, metadata: dict | None = None) -> dict:
    return {
        "cell_type": "code",
        "metadata": metadata or {},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def check_cells(block: str) -> list[dict]:
    """A "Check your answer" block as workbook cells: a line to read, the answer's
    blank (its code but the final check call) and the check call, each its own cell."""
    found = PYTHON_BLOCK.search(block)
    if found is None:
        raise ValueError(f"a check block has no python code: {block[:80]!r}")
    lines = found.group("code").split("\n")
    last = max(i for i, line in enumerate(lines) if line.startswith("check."))
    first = last
    while first > 0 and lines[first - 1].startswith("#"):
        first -= 1  # comments that explain the call go with it
    return [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": "**Your answer.** Fill in the cell below, then run the check after it.",
        },
        _code("\n".join(lines[:first]).strip()),
        _code("\n".join(lines[first:]).strip()),
    ]


def _pieces(nb: dict, book: Book) -> Iterator[tuple[str, str, str | None]]:
    """The page in order, as ``(kind, text, solution)``: ``"code"`` (a code cell's
    source), ``"text"`` (Markdown, MyST already converted), ``"check"`` (a "Check your
    answer" block: its title line, then its body) and ``"end"`` (a Markdown cell ends);
    ``solution`` is the label of the exercise whose solution holds the piece, or None."""
    solution = None
    split = re.compile(f"({START}[^\n]*|{END}|{CHECK}.*?{CHECK_END})", re.S)
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            yield "code", source, solution
        if cell["cell_type"] != "markdown":
            continue
        for piece in split.split(directives(math(roles(source, book), book), book)):
            if piece.startswith(START):
                solution = piece[len(START) :]
            elif piece == END:
                solution = None
            elif piece.startswith(CHECK):
                yield "check", piece[len(CHECK) : -len(CHECK_END)], solution
            elif piece.strip():
                yield "text", piece, solution
        yield "end", "", solution
    if solution is not None:
        raise ValueError(f"{book.docname}: a solution is not closed")


class _Cells(list):
    """Notebook cells, with Markdown pieces gathered into one cell until :meth:`flush`."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def flush(self) -> None:
        if self.parts:
            self.append(
                {"cell_type": "markdown", "metadata": {}, "source": "\n\n".join(self.parts)}
            )
            self.parts = []


def _notebook(cells: list[dict], nb: dict, install: str, preface: str) -> dict:
    """The notebook of ``cells``: the preface and the install cell after the title,
    cell ids, and the page's kernel and Colab metadata (a GPU runtime, say)."""
    title = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    cells[title + 1 : title + 1] = [
        {"cell_type": "markdown", "metadata": {}, "source": preface},
        _code(install),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    keep = {
        k: copy.deepcopy(nb["metadata"][k])
        for k in ("kernelspec", "accelerator", "colab")
        if k in nb["metadata"]
    }
    keep.setdefault("colab", {})["provenance"] = []
    return {"cells": list(cells), "metadata": keep, "nbformat": 4, "nbformat_minor": 5}


def to_colab(nb: dict, book: Book, install: str, preface: str) -> dict:
    """The Colab notebook of an executed page ``nb`` (see the module docstring): every
    solution folded, its code in a cell shown as a form, each "Check your answer"
    block folded."""
    cells = _Cells()
    for kind, text, solution in _pieces(nb, book):
        if kind == "code":
            cells.flush()
            if solution is None:
                cells.append(_code(text))
            else:
                title = f"# @title Solution to Exercise {solution}: run to check\n"
                cells.append(_code(title + text, {"cellView": "form"}))
        elif kind == "check":
            title, body = text.split("\n", 1)
            cells.parts.append(_folded(body, title))
        elif kind == "text":
            cells.parts.append(
                text.strip()
                if solution is None
                else _folded(text, f"Solution to Exercise {solution}")
            )
        else:
            cells.flush()
    return _notebook(cells, nb, install, preface)


def to_workbook(nb: dict, book: Book, install: str, preface: str) -> dict:
    """The workbook of an executed page ``nb``: the page with every solution left out,
    and each "Check your answer" block turned into a cell to fill in and a cell that
    checks it (:func:`check_cells`)."""
    cells = _Cells()
    for kind, text, solution in _pieces(nb, book):
        if kind == "check":
            cells.flush()
            cells += check_cells(text.split("\n", 1)[1])
        elif solution is not None:
            continue  # a solution, left for the student to write
        elif kind == "code":
            cells.flush()
            cells.append(_code(text))
        elif kind == "text":
            cells.parts.append(text.strip())
        else:
            cells.flush()
    return _notebook(cells, nb, install, preface)


def has_checks(nb: dict) -> bool:
    """Whether a page has "Check your answer" blocks (and so a workbook notebook)."""
    return any(
        cell["cell_type"] == "markdown" and CHECK_CLASS in "".join(cell["source"])
        for cell in nb["cells"]
    )
