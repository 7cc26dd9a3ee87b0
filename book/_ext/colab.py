"""Colab notebooks written from the executed pages, and the buttons that open them.

After an HTML build, :func:`_write_notebooks` gathers what each executed page refers to
(``_build/jupyter_execute/<page>.ipynb``, its glued values, the numbers Sphinx gave its
exercises, equations and figures, citations, titles, macros) into a
:class:`colab_notebook.Book`, and writes ``_build/html/_colab/<page>.ipynb`` with
:func:`colab_notebook.to_colab` and :func:`colab_notebook.to_workbook` (MyST to plain
Markdown: see that module). A first code
cell installs ``hw2`` at the commit the book was built from, unless it can already be
imported. A page with "Check your answer" blocks also gets its workbook,
``<page>-workbook.ipynb``, and a second launch button that opens it.

Colab opens notebooks from GitHub only: the workflow publishes ``_build/html/_colab`` as
the branch ``colab`` (``scripts/publish_colab.sh``), and the page's rocket button opens
``colab.research.google.com/github/<org>/<repo>/blob/colab/<page>.ipynb``. The
download button gives the same notebook. Pages listed in ``hw2_colab_skip`` (the
execution report, which reports the build machine) have neither.

The repository's address is ``repository.url`` in ``_config.yml``, the one setting
every link and install cell here is made from.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

from colab_notebook import (
    CHECK_CLASS,
    WORKBOOK,
    Book,
    colab_url,
    has_checks,
    install_cell,
    site_url,
    to_colab,
    to_workbook,
)

FOLDER = "_colab"  # in the HTML output

# --- Sphinx ------------------------------------------------------------------------


def _repo_url(app) -> str:
    return app.config.html_theme_options["repository_url"]


def colab_docs(app) -> list[str]:
    """Pages that get a Colab notebook: executed pages not in ``hw2_colab_skip``."""
    env = app.env
    return sorted(
        d
        for d in env.found_docs
        if "kernelspec" in env.metadata.get(d, {}) and d not in app.config.hw2_colab_skip
    )


def _revision(app) -> str:
    """The commit the book is built from (the branch where git cannot say)."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=app.srcdir, check=True, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return app.config.html_theme_options.get("repository_branch", "main")


def _common(app) -> Book:
    """What every page's notebook refers to alike: the site, citations, titles, macros."""
    env = app.env
    citations = {
        c.key: (c.formatted_entry.label, f"{c.bibliography_key.docname}.html#{c.citation_id}")
        for c in env.domaindata["cite"]["citations"]
    }
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
    numbers = {
        figtype: {node_id: ".".join(map(str, n)) for node_id, n in ids.items()}
        for figtype, ids in app.env.toc_fignumbers.get(docname, {}).items()
    }
    label_of = {
        node_id: label
        for label, (doc, node_id, _) in app.env.domaindata["std"]["labels"].items()
        if doc == docname
    }

    def labelled(figtype: str) -> dict[str, str]:
        return {label_of[i]: n for i, n in numbers.get(figtype, {}).items() if i in label_of}

    glue_file = executed.with_suffix(".glue.json")
    glued = json.loads(glue_file.read_text()) if glue_file.exists() else {}
    return replace(
        common,
        docname=docname,
        glued={k: v["data"] for k, v in glued.items()},
        # An exercise with :nonumber: goes by its title (1.1(a), ...), which
        # colab_notebook.directives reads from the exercise itself.
        exercises=labelled("exercise"),
        figures=labelled("figure"),
        equations={
            i.removeprefix("equation-"): n for i, n in numbers.get("displaymath", {}).items()
        },
    )


def _preface(app, docname: str, nb: dict, revision: str, workbook: bool = False) -> str:
    page = f"{site_url(_repo_url(app))}{docname}.html"
    title = app.env.titles[docname].astext()
    text = (
        f"*This notebook is the page [{title}]({page}) of the book "
        f"*{app.config.html_title}*, written from its build at commit `{revision[:12]}`. "
        "Run the cells from the top: the first installs the book's package, `hw2`. "
        "The numbers in the text are those of the book's build, on a CPU; the cells "
        "compute them again.*"
    )
    if workbook:
        text += (
            "\n\n**This is the page's workbook: the solutions are left out.** After "
            "each question that can be checked, fill in the cell marked *Your answer* "
            "and run the check below it (`hw2.check`): it tries your answer on many "
            "cases and shows the smallest one it gets wrong."
        )
    if nb["metadata"].get("accelerator") == "GPU":
        text += (
            "\n\n**Use a GPU runtime** (Runtime → Change runtime type → a GPU) "
            "before you run it: training then runs on the GPU instead of the "
            "runtime's CPU cores."
        )
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
            write = to_workbook if workbook else to_colab
            colab = write(nb, page, install, _preface(app, docname, nb, revision, workbook))
            target = out_dir / f"{docname}{WORKBOOK if workbook else ''}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".ipynb.partial")
            partial.write_text(json.dumps(colab, indent=1, ensure_ascii=False) + "\n")
            partial.replace(target)


def has_workbook(app, docname: str) -> bool:
    """Whether a page gets a workbook notebook: it has a Colab notebook and "Check your
    answer" blocks."""
    return docname in colab_docs(app) and CHECK_CLASS in Path(app.env.doc2path(docname)).read_text(
        encoding="utf-8"
    )


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
                        buttons.append(
                            {
                                **button,
                                "text": "Colab: workbook",
                                "url": colab_url(_repo_url(app), pagename + WORKBOOK),
                                "tooltip": "Open the workbook in Colab: the questions "
                                "without solutions, a check for each answer",
                                "label": "colab-workbook-button",
                            }
                        )
            group["buttons"] = buttons
        elif group.get("label") == "download-buttons":
            buttons = [
                b
                for b in group["buttons"]
                if b.get("label") != "download-notebook-button"
                and not (
                    b.get("label") == "download-source-button"
                    and context.get("sourcename", "").endswith(".ipynb")
                )
            ]
            if has_notebook:
                buttons.insert(
                    0,
                    {
                        "type": "link",
                        "url": f"{context['pathto'](FOLDER, 1)}/{pagename}.ipynb",
                        "text": ".ipynb",
                        "icon": "fas fa-code",
                        "tooltip": "Download the notebook (the one Colab opens)",
                        "label": "download-notebook-button",
                    },
                )
            group["buttons"] = buttons


def setup(app):
    app.add_config_value("hw2_colab_skip", [], "env")
    app.connect("html-page-context", _buttons, priority=900)
    app.connect("build-finished", _write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
