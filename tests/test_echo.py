"""hw2.echo: the chapter's entry point re-exports every public name of its four modules."""

from __future__ import annotations

import pytest

from hw2 import echo, echo_data, echo_eval, echo_models, echo_train

MODULES = [echo_data, echo_models, echo_train, echo_eval]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_the_entry_point_reexports_each_module(module):
    for name in module.__all__:
        assert name in echo.__all__, name
        assert getattr(echo, name) is getattr(module, name), name


def test_the_entry_point_holds_nothing_else():
    assert set(echo.__all__) == set().union(*(m.__all__ for m in MODULES))
