"""``glue`` for pages that must also run outside the book.

In the book build, :func:`glue` is myst-nb's: the value is stored in the executed page
and the prose's ``{glue:text}`` roles show it. Where myst-nb is not installed (Colab, a
plain Jupyter), it keeps the value in :data:`GLUED` and shows it only if asked to, so a
page runs top to bottom with nothing of the book's toolchain.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GLUED", "glue", "glue_all"]

GLUED: dict[str, Any] = {}  # every value glued in this process, book or not


def glue(name: str, value: Any, display: bool = True) -> None:
    """Glue ``value`` under ``name`` (myst-nb's ``glue`` when it can be imported)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    GLUED[name] = value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)


def glue_all(values: dict[str, Any]) -> None:
    """Glue each of ``values`` under its name, without showing it (a package function
    that returns a page's numbers and sentences by glue name)."""
    if not isinstance(values, dict):
        raise TypeError(f"values must be a dict, got {type(values).__name__}")
    for name, value in values.items():
        glue(name, value, display=False)
