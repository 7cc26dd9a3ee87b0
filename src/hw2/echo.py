"""Practical part B: echo a character sequence with a GRU, at a fixed or a variable delay.

The chapter's entry point: the page imports ``hw2.echo`` and finds here everything it
calls, written by idea in four modules:

- :mod:`hw2.echo_data`: the alphabet, strings as indices, batches and datasets (B.1, B.4).
- :mod:`hw2.echo_models`: the fixed-delay GRU (B.2) and the variable-delay one, one output
  head per delay (B.4), each with the homework's ``test_run``.
- :mod:`hw2.echo_train`: the training :class:`Recipe`, the run's :class:`History`, and
  the trainers (B.3, B.5).
- :mod:`hw2.echo_eval`: the homework's check of a trained model and the bars it is held
  to (B.3, B.5).
"""

from __future__ import annotations

from .echo_data import (
    LETTERS,
    N_SYMBOLS,
    Draw,
    EchoDataset,
    VariableDelayEchoDataset,
    decode,
    delayed,
    echo_batch,
    encode,
)
from .echo_eval import (
    AIM_FIXED,
    AIM_VARIABLE,
    HOMEWORK,
    Aim,
    FixedEcho,
    VariableEcho,
    accuracy_per_delay,
    aim_table,
    aims,
    echo_hits,
    first_difference,
    homework_accuracy,
    homework_strings,
    meets,
    variable_delay_accuracy,
)
from .echo_models import GRUMemory, VariableDelayGRUMemory
from .echo_train import FIXED, VARIABLE, History, Recipe, train_echo, train_variable_delay

__all__ = [
    "AIM_FIXED",
    "AIM_VARIABLE",
    "FIXED",
    "HOMEWORK",
    "LETTERS",
    "N_SYMBOLS",
    "VARIABLE",
    "Aim",
    "Draw",
    "EchoDataset",
    "FixedEcho",
    "GRUMemory",
    "History",
    "Recipe",
    "VariableDelayEchoDataset",
    "VariableDelayGRUMemory",
    "VariableEcho",
    "accuracy_per_delay",
    "aim_table",
    "aims",
    "decode",
    "delayed",
    "echo_batch",
    "echo_hits",
    "encode",
    "first_difference",
    "homework_accuracy",
    "homework_strings",
    "meets",
    "train_echo",
    "train_variable_delay",
    "variable_delay_accuracy",
]
