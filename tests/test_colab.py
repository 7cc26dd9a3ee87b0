"""The Colab notebooks: the conversion of MyST to plain notebooks and workbooks
(book/_ext/colab_notebook.py), and the notebooks and buttons of the built book
(book/_ext/colab.py). scripts/nbmake.sh runs every one of them
with nbmake in a Colab-like environment."""

from __future__ import annotations

import html as html_module
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
COLAB = HTML / "_colab" / "book"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"]
NOTEBOOKS = ["intro", "conv", "gated_rnn", "attention_rnn", "loss_curves", "catsdogs", "echo"]
RAW_MYST = re.compile(r"\{[a-z][\w:-]*\}`|^\s*(`{3,}|:{3,})\{|^\([\w-]+\)=|\\R(?![A-Za-z])", re.M)

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import colab_notebook as notebook  # noqa: E402  (the book's extension, not a package)

WORKBOOKS = [f"{page}{notebook.WORKBOOK}" for page in NOTEBOOKS if page != "intro"]


def book(**kw) -> notebook.Book:
    fields = dict(
        site="https://o.github.io/r/",
        docname="book/p",
        glued={
            "x": {"text/plain": "0.123456"},
            "s": {"text/plain": "'(7, 5)'"},
            "fig": {"text/plain": "<Figure>", "image/svg+xml": "<svg/>"},
        },
        exercises={"ex-a": "3"},
        equations={"eq-a": "2"},
        figures={"fig-a": "1"},
        citations={"k1": ("HS97", "book/references.html#id4")},
        titles={"book/references": "References"},
        macros={"R": r"\mathbb{R}"},
    )
    fields.update(kw)
    return notebook.Book(**fields)


def md(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def code(source: str) -> dict:
    return {
        "cell_type": "code",
        "metadata": {"tags": ["x"]},
        "source": source,
        "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}],
        "execution_count": 1,
    }


# --- the conversion -----------------------------------------------------------------


def test_roles_become_values_numbers_and_links():
    text = notebook.roles(
        "a {glue:text}`x:.2f`, {glue:text}`s`, {eq}`eq-a`, {cite}`k1`, {doc}`references`", book()
    )
    assert text == (
        "a 0.12, (7, 5), (2), [[HS97](https://o.github.io/r/book/references"
        ".html#id4)], [References](https://o.github.io/r/book/references.html)"
    )


@pytest.mark.parametrize(
    "text",
    ["{numref}`fig-a`", "{glue:text}`missing`", "{eq}`eq-b`", "{cite}`nobody`", "{doc}`elsewhere`"],
)
def test_a_role_without_a_plain_form_stops_the_build(text):
    with pytest.raises(ValueError):
        notebook.roles(text, book())


def test_labelled_equations_get_the_books_number_and_macros_expand():
    text = "$$\nx \\in \\R^n \\Rightarrow y\n$$ (eq-a)\n\n(target)=\n$\\R$"
    assert notebook.math(text, book()) == (
        "$$\nx \\in \\mathbb{R}^n \\Rightarrow y\n\\tag{2}\n$$\n\n$\\mathbb{R}$"
    )


def test_exercises_quote_figures_inline_and_unknown_directives_stop():
    text = notebook.directives("```{exercise}\n:label: ex-a\n\nWhat is $x$?\n```", book())
    assert text == "> **Exercise 3.**\n>\n> What is $x$?"
    figure = notebook.directives(
        "```{glue:figure} fig\n:name: fig-a\n:alt: A [box]\n\nCaption.\n```", book()
    )
    assert figure.startswith(r"![A \[box\]](data:image/svg+xml;base64,")
    assert figure.endswith("*Figure 1.* Caption.")
    homework = book()
    text = notebook.directives(
        "```{exercise} 1.3.1\n:label: ex-b\n:nonumber:\n\nWhy?\n```"
        "\n\n```{solution-start} ex-b\n```",
        homework,
    )
    assert text.startswith("> **Exercise 1.3.1.**\n>\n> Why?")  # its label, no number
    assert text.endswith(notebook.START + "1.3.1")  # its solution is named alike
    with pytest.raises(ValueError, match="note"):
        notebook.directives("```{note}\nx\n```", book())
    with pytest.raises(ValueError, match="unclosed"):
        notebook.directives("```{exercise}\n:label: ex-a\nx", book())


def test_an_exercise_without_a_number_goes_by_its_title():
    titled = book(exercises={"ex-b": "1.1(a)"})
    text = notebook.directives("```{exercise} 1.1(a)\n:label: ex-b\n:nonumber:\n\nQ?\n```", titled)
    assert text == "> **Exercise 1.1(a).**\n>\n> Q?"
    numbered = notebook.directives("```{exercise} 1.1(a)\n:label: ex-a\n\nQ?\n```", book())
    assert numbered.startswith("> **Exercise 3 (1.1(a)).**")


def test_solutions_fold_prose_in_details_and_code_in_form_view():
    nb = {
        "metadata": {"kernelspec": {"name": "python3"}, "accelerator": "GPU"},
        "cells": [
            md("# Title"),
            code("import hw2"),
            md(
                "```{exercise}\n:label: ex-a\n\nQ?\n```\n\n```{solution-start} ex-a\n"
                ":class: dropdown\n```\n**Answer:** {glue:text}`x:.1f`."
            ),
            code("check()"),
            md("More of the answer.\n```{solution-end}\n```\nAfter."),
        ],
    }
    out = notebook.to_colab(nb, book(), "INSTALL", "PREFACE")
    kinds = [(c["cell_type"], c["source"].split("\n")[0]) for c in out["cells"]]
    assert kinds == [
        ("markdown", "# Title"),
        ("markdown", "PREFACE"),
        ("code", "INSTALL"),
        ("code", "import hw2"),
        ("markdown", "> **Exercise 3.**"),
        ("code", "# @title Solution to Exercise 3: run to check"),
        ("markdown", "<details>"),
    ]
    folded = out["cells"][4]["source"]
    assert "<summary><b>Solution to Exercise 3</b>" in folded and "**Answer:** 0.1." in folded
    assert out["cells"][6]["source"].endswith("</details>\n\nAfter.")
    assert out["cells"][5]["metadata"] == {"cellView": "form"}
    assert all(c.get("outputs", []) == [] for c in out["cells"])
    assert out["metadata"]["accelerator"] == "GPU"
    with pytest.raises(ValueError, match="not closed"):
        notebook.to_colab(
            {"metadata": {}, "cells": [md("```{solution-start} ex-a\n```")]}, book(), "", ""
        )


CHECK_BLOCK = (
    "````{admonition} Check your answer\n:class: dropdown hw2-check\n\nRun it:\n\n"
    "```python\nfrom hw2 import check\n\ndef my_f(x):\n    ...\n\n"
    "# a comment on the call\ncheck.f(my_f)\n```\n````"
)


def test_the_workbook_leaves_solutions_out_and_adds_answer_and_check_cells():
    nb = {
        "metadata": {"kernelspec": {"name": "python3"}},
        "cells": [
            md("# Title"),
            md(
                "```{exercise}\n:label: ex-a\n\nQ?\n```\n\n" + CHECK_BLOCK + "\n\n"
                "```{solution-start} ex-a\n:class: dropdown\n```\n**Answer:** secret."
            ),
            code("solution_code()"),
            md("More of the answer.\n```{solution-end}\n```\nAfter."),
            code("evidence()"),
        ],
    }
    solved = notebook.to_colab(nb, book(), "INSTALL", "PREFACE")
    folded = [c["source"] for c in solved["cells"] if "Check your answer" in c["source"]]
    assert folded and folded[0].count("<details>") == 2  # the check block, the solution
    work = notebook.to_workbook(nb, book(), "INSTALL", "PREFACE")
    sources = [c["source"] for c in work["cells"]]
    text = "\n".join(sources)
    assert "secret" not in text and "solution_code" not in text and "More of" not in text
    assert "> **Exercise 3.**" in text and "After." in text and "evidence()" in sources
    answer = sources.index("from hw2 import check\n\ndef my_f(x):\n    ...")
    assert sources[answer + 1] == "# a comment on the call\ncheck.f(my_f)"
    assert work["cells"][answer]["cell_type"] == work["cells"][answer + 1]["cell_type"] == "code"
    assert "Your answer" in sources[answer - 1]
    assert notebook.has_checks(nb) and not notebook.has_checks({"cells": [md("x")]})
    with pytest.raises(ValueError, match="no python code"):
        notebook.check_cells("no code here")


def test_addresses_come_from_the_repository_setting():
    assert notebook.colab_url("https://github.com/me/fork", "book/conv") == (
        "https://colab.research.google.com/github/me/fork/blob/colab/book/conv.ipynb"
    )
    assert notebook.site_url("https://github.com/me/fork") == "https://me.github.io/fork/"
    assert "hw2 @ git+https://github.com/me/fork@abc" in notebook.install_cell(
        "https://github.com/me/fork", "abc"
    )
    with pytest.raises(ValueError, match="repository.url"):
        notebook.repo_parts("https://gitlab.com/me/fork")


def test_the_repository_address_is_written_once():
    """``repository.url`` in _config.yml is the one place: nothing else repeats it."""
    import subprocess

    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    org, repo = notebook.repo_parts(REPO_URL)
    written = [
        f
        for f in files
        if (ROOT / f).is_file() and f"{org}/{repo}" in (ROOT / f).read_text(errors="ignore")
    ]
    assert written == ["_config.yml"]


# --- the built notebooks and buttons ------------------------------------------------


@pytest.fixture(scope="module")
def built() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail("no built book: run `bash scripts/build_book.sh` before the tests")
    return COLAB


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_the_rocket_and_the_download_give_the_pages_colab_notebook(built, page):
    html = (HTML / "book" / f"{page}.html").read_text()
    assert notebook.colab_url(REPO_URL, f"book/{page}") in html
    assert f'href="../_colab/book/{page}.ipynb"' in html
    others = html.replace(notebook.colab_url(REPO_URL, f"book/{page}{notebook.WORKBOOK}"), "")
    assert "colab.research.google.com/github/" not in others.replace(
        notebook.colab_url(REPO_URL, f"book/{page}"), ""
    )
    assert f"_sources/book/{page}.ipynb" not in html  # the executed page, raw MyST in it


def test_pages_without_a_notebook_have_no_launch_button(built):
    for page in ["exec_report", "references"]:
        html = (HTML / "book" / f"{page}.html").read_text()
        assert "colab.research.google.com" not in html
        assert not (built / f"{page}.ipynb").exists()
    assert sorted(p.stem for p in built.glob("*.ipynb")) == sorted(NOTEBOOKS + WORKBOOKS)


@pytest.mark.parametrize("page", [p for p in NOTEBOOKS if p != "intro"])
def test_pages_with_checks_open_their_workbook_too(built, page):
    html = (HTML / "book" / f"{page}.html").read_text()
    assert notebook.colab_url(REPO_URL, f"book/{page}{notebook.WORKBOOK}") in html
    work = json.loads((built / f"{page}{notebook.WORKBOOK}.ipynb").read_text())
    text = "\n".join(c["source"] for c in work["cells"])
    assert "Solution to Exercise" not in text and "**Your answer.**" in text
    checks = [c for c in work["cells"] if c["source"].split("\n")[-1].startswith("check.")]
    answers = [c for c in work["cells"] if "**Your answer.**" in c["source"]]
    assert len(checks) == len(answers) >= 1


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_notebooks_read_as_plain_markdown_with_the_books_numbers(built, page):
    nb = json.loads((built / f"{page}.ipynb").read_text())
    text = "\n".join(c["source"] for c in nb["cells"] if c["cell_type"] == "markdown")
    assert not RAW_MYST.search(text), RAW_MYST.search(text)
    assert text.count("<details>") == text.count("</details>")
    html = (HTML / "book" / f"{page}.html").read_text()
    # Every glued number of the page reads the same in the notebook.
    for value in set(re.findall(r'class="pasted-text">([^<]*)<', html)):
        value = html_module.unescape(value).replace("\u2019", "'")  # smartquotes
        assert value in text, value
    assert all(c["outputs"] == [] for c in nb["cells"] if c["cell_type"] == "code")
    assert notebook.install_cell(REPO_URL, "").split("@")[0] in nb["cells"][2]["source"]


def test_the_cnn_notebook_asks_colab_for_a_gpu(built):
    nb = json.loads((built / "catsdogs.ipynb").read_text())
    assert nb["metadata"]["accelerator"] == "GPU"
    assert nb["metadata"]["colab"]["gpuType"]  # which GPU Colab offers first
