"""Practical part B's models: a GRU that echoes at a fixed delay (B.2) and one for
variable delays (B.4), each with the homework's ``test_run``.

The variable-delay model (the book's design) has one output head per delay, and the
delay picks the head: the GRU only has to keep its last ``max_delay + 1`` characters,
and training scores every head on every sequence. The alternative the chapter measured
and set aside appends the delay, one-hot, to every input step (``encoding="input"``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._validate import check_int
from .echo_data import N_SYMBOLS, Draw, decode, delayed, encode

__all__ = ["GRUMemory", "VariableDelayGRUMemory"]


def _check_input(x: torch.Tensor) -> None:
    if x.dim() != 3 or x.shape[-1] != N_SYMBOLS:
        raise ValueError(f"x must have shape (batch, length, {N_SYMBOLS}), got {tuple(x.shape)}")


class GRUMemory(nn.Module):
    """Part B.2: a GRU and a linear decoder from its state to 27 logits per step."""

    def __init__(self, hidden_size: int = 128):
        super().__init__()
        self.gru = nn.GRU(N_SYMBOLS, hidden_size, batch_first=True)
        self.decoder = nn.Linear(hidden_size, N_SYMBOLS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: one-hot ``(batch, length, 27)``; returns logits of the same shape."""
        _check_input(x)
        states, _ = self.gru(x)
        return self.decoder(states)

    def scored(self, x: torch.Tensor, delays: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A training batch scored: logits and targets for letters ``x`` ``(batch,
        length)`` echoed at ``delays`` ``(batch,)``."""
        return self(F.one_hot(x, N_SYMBOLS).float()), delayed(x, delays)

    def test_run(self, s: str) -> str:
        """Echo ``s`` (lowercase letters) and decode the argmax: same length as ``s``."""
        return _run_string(self, s)


class VariableDelayGRUMemory(nn.Module):
    """Part B.4: a GRU and a decoder for variable delays ``0 ... max_delay``.

    ``encoding`` says how the delay reaches the model:

    - ``"heads"`` (the book's choice): the decoder has one 27-way head per delay and the
      delay selects the head. The GRU only has to keep its last ``max_delay + 1``
      characters; training scores every head on every sequence, since the targets for
      all delays follow from the input.
    - ``"input"``: the delay is one-hot encoded and appended to every input step, and a
      single head decodes; the GRU must learn to route by delay.
    """

    def __init__(self, hidden_size: int = 128, max_delay: int = 8, encoding: str = "heads"):
        super().__init__()
        check_int("max_delay", max_delay, low=0)
        if encoding not in ("heads", "input"):
            raise ValueError(f"encoding must be 'heads' or 'input', got {encoding!r}")
        self.max_delay, self.encoding = max_delay, encoding
        extra = max_delay + 1 if encoding == "input" else 0
        heads = max_delay + 1 if encoding == "heads" else 1
        self.gru = nn.GRU(N_SYMBOLS + extra, hidden_size, batch_first=True)
        self.decoder = nn.Linear(hidden_size, heads * N_SYMBOLS)

    def _delays(self, x: torch.Tensor, delays: torch.Tensor) -> torch.Tensor:
        """``delays`` checked against ``x`` and ``max_delay``, as a long tensor."""
        delays = torch.as_tensor(delays, dtype=torch.long)
        if delays.shape != (x.shape[0],):
            raise ValueError(f"delays must have shape ({x.shape[0]},), got {tuple(delays.shape)}")
        if delays.min() < 0 or delays.max() > self.max_delay:
            raise ValueError(f"delays must lie in 0 ... {self.max_delay}")
        return delays

    def all_heads(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for every delay at once, ``(batch, length, max_delay + 1, 27)``
        (``encoding="heads"`` only): what training scores."""
        if self.encoding != "heads":
            raise ValueError("all_heads needs encoding='heads'")
        _check_input(x)
        states, _ = self.gru(x)
        return self.decoder(states).unflatten(-1, (self.max_delay + 1, N_SYMBOLS))

    def forward(self, x: torch.Tensor, delays: torch.Tensor) -> torch.Tensor:
        """``x``: one-hot ``(batch, length, 27)``; ``delays``: ``(batch,)`` ints in
        ``0 ... max_delay``. Returns logits ``(batch, length, 27)``."""
        _check_input(x)
        delays = self._delays(x, delays)
        if self.encoding == "heads":
            logits = self.all_heads(x)
            index = delays[:, None, None, None].expand(-1, x.shape[1], 1, N_SYMBOLS)
            return logits.gather(2, index)[:, :, 0]
        code = F.one_hot(delays, self.max_delay + 1).float()
        code = code[:, None, :].expand(-1, x.shape[1], -1)
        states, _ = self.gru(torch.cat([x, code], dim=-1))
        return self.decoder(states)

    @property
    def draw(self) -> Draw:
        """How its training batches are drawn: with one head per delay, letters only
        (every head is scored on every sequence); otherwise a delay per sequence."""
        return Draw(delay=0) if self.encoding == "heads" else Draw(max_delay=self.max_delay)

    def scored(self, x: torch.Tensor, delays: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A training batch scored: logits and targets for letters ``x`` ``(batch,
        length)`` at ``delays``; with heads, every head on every sequence (its targets
        follow from ``x``), ``(batch, length, max_delay + 1)`` targets."""
        if self.encoding == "heads":
            every = range(self.max_delay + 1)
            y = torch.stack([delayed(x, torch.full_like(x[:, 0], k)) for k in every], 2)
            return self.all_heads(F.one_hot(x, N_SYMBOLS).float()), y
        return self(F.one_hot(x, N_SYMBOLS).float(), delays), delayed(x, delays)

    def test_run(self, s: str, delay: int) -> str:
        """Echo ``s`` at ``delay`` (``0 ... max_delay``) and decode: same length as ``s``."""
        check_int("delay", delay, 0, self.max_delay)
        return _run_string(self, s, torch.tensor([delay]))


@torch.no_grad()
def _run_string(model: nn.Module, s: str, *delay: torch.Tensor) -> str:
    """Both models' ``test_run``: ``model`` on the one-hot ``s`` (and the ``delay``, if
    it takes one) in evaluation mode, its argmax decoded."""
    x = F.one_hot(encode(s), N_SYMBOLS).float()[None]
    was_training = model.training
    model.eval()
    logits = model(x, *delay)
    model.train(was_training)
    return decode(logits[0].argmax(-1))
