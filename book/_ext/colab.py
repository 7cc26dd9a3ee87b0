"""Colab notebooks written from the executed pages, and the buttons that open them.

Colab runs plain notebooks: it knows nothing of MyST, of myst-nb's ``glue`` or of
sphinx-exercise. After an HTML build, :func:`_write_notebooks` turns each executed page
(``_build/jupyter_execute/<page>.ipynb`` and its glued values) into
``_build/html/_colab/<page>.ipynb``, a notebook that reads like the page:

- ``{glue:text}`` roles become the values the build computed, ``{eq}`` and exercise and
  figure numbers the book's numbers, ``{cite}`` and ``{doc}`` links to the published
  book, the book's TeX macros their definitions, glued figures inline images;
- an exercise is a quoted paragraph; a solution's prose is folded in a ``<details>``
  block and its code cells in Colab's form view (code hidden until "show code");
- outputs are dropped (the notebook is for running), and a first code cell installs
  ``hw2`` at the commit the book was built from, unless it can already be imported;
- a "Check your answer" block (an ``admonition`` of class ``hw2-check``) is folded.

A page with such blocks also gets a **workbook**, ``<page>-workbook.ipynb``: the same
notebook with every solution left out (prose and code), and each check block turned into
a cell to fill in (its code but the final ``check.`` call) and a cell that runs the
check. A second launch button opens it.

A directive or role without a plain form stops the build, so nothing raw reaches Colab.

Colab opens notebooks from GitHub only: the workflow publishes ``_build/html/_colab`` as
the branch ``colab`` (``scripts/publish_colab.sh``), and the page's rocket button opens
``colab.research.google.com/github/<org>/<repo>/blob/colab/<page>.ipynb``. The
download button gives the same notebook. Pages listed in ``hw2_colab_skip`` (the
execution report, which reports the build machine) have neither.

The repository's address is ``repository.url`` in ``_config.yml``, the one setting
every link and install cell here is made from.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

BRANCH = "colab"
FOLDER = "_colab"  # in the HTML output
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
    exercises: dict[str, str] = field(default_factory=dict)  # label -> number
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
    :func:`convert` folds; an unknown directive is an error."""
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
        if name == "exercise":
            number = _number(book.exercises, "exercise", book, options.get("label", ""))
            heading = f"**Exercise {number}" + (f" ({arg})" if arg else "") + ".**"
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
    return (f"<details>\n<summary><b>{title}</b> (click to show)"
            f"</summary>\n\n{text.strip()}\n\n</details>")


def _code(source: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "code", "metadata": metadata or {}, "source": source, "outputs": [],
            "execution_count": None}


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
        {"cell_type": "markdown", "metadata": {},
         "source": "**Your answer.** Fill in the cell below, then run the check after it."},
        _code("\n".join(lines[:first]).strip()),
        _code("\n".join(lines[first:]).strip()),
    ]


def convert(nb: dict, book: Book, install: str, preface: str, workbook: bool = False) -> dict:
    """The Colab notebook of an executed page ``nb`` (see the module docstring). With
    ``workbook``, its workbook: every solution left out, and each "Check your answer"
    block turned into a cell to fill in and a cell that checks it."""
    nb = copy.deepcopy(nb)
    cells, solution = [], None
    split = re.compile(f"({START}[^\n]*|{END}|{CHECK}.*?{CHECK_END})", re.S)
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            if solution is not None and workbook:
                continue
            metadata = {}
            if solution is not None:
                metadata["cellView"] = "form"
                source = f"# @title Solution to Exercise {solution}: run to check\n" + source
            cells.append(_code(source, metadata))
            continue
        if cell["cell_type"] != "markdown":
            continue
        text = directives(math(roles(source, book), book), book)
        parts = []
        for piece in split.split(text):
            if piece.startswith(START):
                solution = piece[len(START):]
            elif piece == END:
                solution = None
            elif piece.startswith(CHECK):
                title, body = piece[len(CHECK):-len(CHECK_END)].split("\n", 1)
                if not workbook:
                    parts.append(_folded(body, title))
                    continue
                if parts:
                    cells.append({"cell_type": "markdown", "metadata": {},
                                  "source": "\n\n".join(parts)})
                    parts = []
                cells += check_cells(body)
            elif piece.strip() and not (workbook and solution is not None):
                parts.append(piece.strip() if solution is None
                             else _folded(piece, f"Solution to Exercise {solution}"))
        if parts:
            cells.append({"cell_type": "markdown", "metadata": {}, "source": "\n\n".join(parts)})
    if solution is not None:
        raise ValueError(f"{book.docname}: a solution is not closed")
    title = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    cells[title + 1:title + 1] = [
        {"cell_type": "markdown", "metadata": {}, "source": preface},
        _code(install),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    keep = {k: nb["metadata"][k] for k in ("kernelspec", "accelerator", "colab")
            if k in nb["metadata"]}
    keep.setdefault("colab", {})["provenance"] = []
    return {"cells": cells, "metadata": keep, "nbformat": 4, "nbformat_minor": 5}


def has_checks(nb: dict) -> bool:
    """Whether a page has "Check your answer" blocks (and so a workbook notebook)."""
    return any(cell["cell_type"] == "markdown" and CHECK_CLASS in "".join(cell["source"])
               for cell in nb["cells"])


# --- Sphinx ------------------------------------------------------------------------


def _repo_url(app) -> str:
    return app.config.html_theme_options["repository_url"]


def colab_docs(app) -> list[str]:
    """Pages that get a Colab notebook: executed pages not in ``hw2_colab_skip``."""
    env = app.env
    return sorted(d for d in env.found_docs
                  if "kernelspec" in env.metadata.get(d, {})
                  and d not in app.config.hw2_colab_skip)


def _revision(app) -> str:
    """The commit the book is built from (the branch where git cannot say)."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=app.srcdir, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return app.config.html_theme_options.get("repository_branch", "main")


def _common(app) -> Book:
    """What every page's notebook refers to alike: the site, citations, titles, macros."""
    env = app.env
    citations = {c.key: (c.formatted_entry.label,
                         f"{c.bibliography_key.docname}.html#{c.citation_id}")
                 for c in env.domaindata["cite"]["citations"]}
    macros = (app.config.mathjax3_config or {}).get("tex", {}).get("macros", {})
    return Book(
        site=site_url(_repo_url(app)),
        citations=citations,
        titles={d: t.astext() for d, t in env.titles.items()},
        macros={k: v if isinstance(v, str) else v[0] for k, v in macros.items()},
    )


def _page(common: Book, app, docname: str, executed: Path) -> Book:
    """``common`` with one page's glued values and the numbers Sphinx gave its
    exercises, figures (by label) and equations (node ids ``equation-<label>``)."""
    numbers = {figtype: {node_id: ".".join(map(str, n)) for node_id, n in ids.items()}
               for figtype, ids in app.env.toc_fignumbers.get(docname, {}).items()}
    label_of = {node_id: label for label, (doc, node_id, _)
                in app.env.domaindata["std"]["labels"].items() if doc == docname}

    def labelled(figtype: str) -> dict[str, str]:
        return {label_of[i]: n for i, n in numbers.get(figtype, {}).items() if i in label_of}

    glue_file = executed.with_suffix(".glue.json")
    glued = json.loads(glue_file.read_text()) if glue_file.exists() else {}
    return replace(
        common,
        docname=docname,
        glued={k: v["data"] for k, v in glued.items()},
        exercises=labelled("exercise"),
        figures=labelled("figure"),
        equations={i.removeprefix("equation-"): n
                   for i, n in numbers.get("displaymath", {}).items()},
    )


def _preface(app, docname: str, nb: dict, revision: str, workbook: bool = False) -> str:
    page = f"{site_url(_repo_url(app))}{docname}.html"
    title = app.env.titles[docname].astext()
    text = (f"*This notebook is the page [{title}]({page}) of the book "
            f"*{app.config.html_title}*, written from its build at commit `{revision[:12]}`. "
            "Run the cells from the top: the first installs the book's package, `hw2`. "
            "The numbers in the text are those of the book's build, on a CPU; the cells "
            "compute them again.*")
    if workbook:
        text += ("\n\n**This is the page's workbook: the solutions are left out.** After "
                 "each question that can be checked, fill in the cell marked *Your answer* "
                 "and run the check below it (`hw2.check`): it tries your answer on many "
                 "cases and shows the smallest one it gets wrong.")
    if nb["metadata"].get("accelerator") == "GPU":
        text += ("\n\n**Use a GPU runtime** (Runtime → Change runtime type → a GPU) "
                 "before you run it: training then runs on the GPU instead of the "
                 "runtime's CPU cores.")
    return text


def _write_notebooks(app, exception) -> None:
    if exception is not None or app.builder.name != "html":
        return
    executed_dir = Path(app.outdir).parent / "jupyter_execute"
    out_dir = Path(app.outdir) / FOLDER
    revision = _revision(app)
    install = install_cell(_repo_url(app), revision)
    common = _common(app)
    for docname in colab_docs(app):
        executed = executed_dir / f"{docname}.ipynb"
        nb = json.loads(executed.read_text())
        page = _page(common, app, docname, executed)
        kinds = [False, True] if has_checks(nb) else [False]
        for workbook in kinds:
            colab = convert(nb, page, install, _preface(app, docname, nb, revision, workbook),
                            workbook=workbook)
            target = out_dir / f"{docname}{WORKBOOK if workbook else ''}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".ipynb.partial")
            partial.write_text(json.dumps(colab, indent=1, ensure_ascii=False) + "\n")
            partial.replace(target)


def has_workbook(app, docname: str) -> bool:
    """Whether a page gets a workbook notebook: it has a Colab notebook and "Check your
    answer" blocks."""
    return (docname in colab_docs(app)
            and CHECK_CLASS in Path(app.env.doc2path(docname)).read_text(encoding="utf-8"))


def _buttons(app, pagename, templatename, context, doctree) -> None:
    """The rocket opens this page's Colab notebook; the download button gives it."""
    groups = context.get("header_buttons")
    if groups is None:
        return
    has_notebook = pagename in colab_docs(app)
    for group in list(groups):
        if group.get("label") == "launch-buttons":
            if not has_notebook:
                groups.remove(group)
                continue
            buttons = []
            for button in group["buttons"]:
                buttons.append(button)
                if button.get("text") == "Colab":
                    button["url"] = colab_url(_repo_url(app), pagename)
                    if has_workbook(app, pagename):
                        buttons.append({**button, "text": "Colab: workbook",
                                        "url": colab_url(_repo_url(app), pagename + WORKBOOK),
                                        "tooltip": "Open the workbook in Colab: the questions "
                                                   "without solutions, a check for each answer",
                                        "label": "colab-workbook-button"})
            group["buttons"] = buttons
        elif group.get("label") == "download-buttons":
            buttons = [b for b in group["buttons"]
                       if b.get("label") != "download-notebook-button"
                       and not (b.get("label") == "download-source-button"
                                and context.get("sourcename", "").endswith(".ipynb"))]
            if has_notebook:
                buttons.insert(0, {
                    "type": "link",
                    "url": f"{context['pathto'](FOLDER, 1)}/{pagename}.ipynb",
                    "text": ".ipynb",
                    "icon": "fas fa-code",
                    "tooltip": "Download the notebook (the one Colab opens)",
                    "label": "download-notebook-button",
                })
            group["buttons"] = buttons


def setup(app):
    app.add_config_value("hw2_colab_skip", [], "env")
    app.connect("html-page-context", _buttons, priority=900)
    app.connect("build-finished", _write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
