"""Theory 1.3.1: which update made a plotted loss jump, proved by counterfactual replays.

:func:`explain_jump` replays the steps between two plotted values of a run
(:func:`hw2.loss_curves.replay`), measures the plotted batch's loss after each of them,
and replays again with the suspect update capped (and then every update of those steps
capped); its answer is a :class:`Jump`. The metric and the jumps it explains are
:mod:`hw2.spikes`; nothing here changes a training result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from . import arithmetic as arith
from .loss_curves import History, _elsewhere, replay, typical, with_weights
from .runtime import pick_device
from .spikes import BIG, JUMP

__all__ = ["Jump", "explain_jump", "explain_jumps"]


@dataclass
class Jump:
    """One plotted jump explained (:func:`explain_jump`). Steps are global step indices
    of the run; losses are cross-entropies of the plotted batch."""

    epoch: int  # the epoch whose plotted value jumped
    curve: str  # which plotted curve: "train" or "test"
    previous: float  # the plotted value of the epoch before
    value: float  # the plotted value that jumped
    suspect: int  # the step that raised the plotted batch's loss most
    suspect_rise: float  # how much that step raised it
    grad_norm: float  # the suspect step's gradient norm
    grad_ratio: float  # ... divided by the typical one (typical())
    update_norm: float  # the suspect step's update norm
    update_ratio: float  # ... divided by the typical one
    typical_update: float  # the typical update norm before the suspect step
    path: list[float]  # the plotted batch's loss after each step, from path_start on
    path_start: int  # the step after which path[0] is measured (the one before the first)
    capped_value: float  # the plotted value when the suspect update is capped at typical
    replayed: History  # the replay as run, weights and plotted batches kept
    capped: History  # the replay with the suspect update capped
    capped_big: list[int]  # steps over BIG times their typical update in that replay
    all_capped_value: float  # the plotted value with every update of the steps capped
    removed: bool  # capping the suspect leaves a rise of at most JUMP
    all_removed: bool  # capping every update leaves a rise of at most JUMP
    batch_part: float  # of the rise: the new batch's loss before the steps, minus previous
    steps_part: float  # of the rise: what the steps added to that batch's loss


def _path(h: History, replayed: History, curve: str, first: int, steps: range) -> list[float]:
    """The loss of the plotted batch (``replayed``'s second epoch) after each step of
    ``steps``, preceded by its loss before the first of them."""
    x, y = replayed.last_batch(curve, 1)

    def loss_after(t: int) -> float:  # that batch's loss after step t
        weights = (
            replayed.weights_after(t)
            if t >= replayed.first_step
            else list(h.checkpoints[first]["model"].values())
        )
        return F.cross_entropy(with_weights(weights)(x), y).item()

    with torch.no_grad():
        return [loss_after(t) for t in range(steps.start - 1, steps.stop)]


def _steps_before(h: History, epoch: int, curve: str) -> range:
    """The steps between the plotted ``curve`` values of epochs ``epoch - 1`` and
    ``epoch``: a train value is measured before its epoch's last step, a test value
    after it."""
    steps = h.steps_of(epoch)
    end = steps[-2] if curve == "train" else steps[-1]  # last step before the value
    return range(end - h.steps_per_epoch + 1, end + 1)  # from the step after the previous


def explain_jump(
    h: History, epoch: int, curve: str = "train", after: int = 0, big: float = BIG
) -> Jump:
    """Which updates made the plotted ``curve`` loss jump at ``epoch``, tested by
    counterfactuals (question 1.3.1).

    The plotted value is the loss of one batch: the epoch's last train batch, measured
    before the epoch's last step, or its last test batch, measured after it. Replaying
    the steps since the previous plotted value and measuring *that batch's* loss after
    each of them (``path``) attributes the rise to steps; the step that raised it most
    is the suspect. Then the run is replayed from the same checkpoint with only that
    update's norm capped at the typical update (:func:`typical`), and the plotted value
    is read again (``capped_value``; ``removed``: it no longer jumps). A capped update
    can hand the cliff to the next step, so ``capped_big`` lists the steps that were
    more than ``big`` times the typical update in that replay. Last, every update of
    those steps is capped at its typical size (``all_capped_value``, ``all_removed``).
    ``after`` replays that many more epochs, to see what follows. Runs in the
    arithmetic of ``h``.
    """
    plotted = h.losses(curve)  # checks curve
    if not 1 <= epoch < len(plotted) - after:
        raise ValueError(f"epoch must be in 1 ... {len(plotted) - 1 - after}, got {epoch!r}")
    if _elsewhere(h.device, h.arithmetic):
        return explain_jumps(h, [(epoch, curve)], after, big, workers=1)[0]
    first, last = epoch - 1, epoch + after
    replayed = replay(h, first, last, keep=True)
    if replayed.losses(curve) != plotted[first : last + 1]:
        raise RuntimeError("the replay did not reproduce the run: nondeterministic torch?")
    window = _steps_before(h, epoch, curve)
    path = _path(h, replayed, curve, first, window)
    suspect = window.start + int(np.argmax(np.diff(path)))
    capped = replay(h, first, last, intervene={suspect: typical(h.update_norm, suspect)})
    norms = {t: typical(h.update_norm, t) for t in window}  # typical update per step
    all_capped = replay(h, first, last, intervene=norms)
    return _jump(h, epoch, curve, path, (replayed, capped, all_capped), norms, big)


def _jump(
    h: History,
    epoch: int,
    curve: str,
    path: list[float],
    replays: tuple[History, History, History],
    norms: dict[int, float],
    big: float,
) -> Jump:
    """The :class:`Jump` record of :func:`explain_jump`'s replays (as run, suspect capped,
    every update capped) of the steps ``norms`` (step -> its typical update)."""
    replayed, capped, all_capped = replays
    start = min(norms)  # the first step after the previous plotted value
    suspect = start + int(np.argmax(np.diff(path)))
    previous, at = h.losses(curve)[epoch - 1], suspect - start  # path[at]: before it
    return Jump(
        epoch=epoch,
        curve=curve,
        previous=previous,
        value=h.losses(curve)[epoch],
        suspect=suspect,
        suspect_rise=path[at + 1] - path[at],
        grad_norm=h.grad_norm[suspect],
        grad_ratio=h.grad_norm[suspect] / typical(h.grad_norm, suspect),
        update_norm=h.update_norm[suspect],
        update_ratio=h.update_norm[suspect] / norms[suspect],
        typical_update=norms[suspect],
        path=path,
        path_start=start - 1,
        capped_value=capped.losses(curve)[1],
        replayed=replayed,
        capped=capped,
        capped_big=[t for t in norms if capped.update_norm[t - capped.first_step] > big * norms[t]],
        all_capped_value=all_capped.losses(curve)[1],
        removed=capped.losses(curve)[1] - previous <= JUMP,
        all_removed=all_capped.losses(curve)[1] - previous <= JUMP,
        batch_part=path[0] - previous,
        steps_part=path[-1] - path[0],
    )


def explain_jumps(
    h: History,
    wanted: list[tuple[int, str]],
    after: int = 0,
    big: float = BIG,
    workers: int | None = None,
) -> list[Jump]:
    """``[explain_jump(h, epoch, curve, after, big) for epoch, curve in wanted]``,
    computed by ``workers`` processes in the arithmetic of ``h``; a jump near the end
    replays only the epochs the run has after it."""
    last = len(h.train_loss) - 1
    calls = [dict(h=h, epoch=e, curve=c, after=min(after, last - e), big=big) for e, c in wanted]
    if pick_device(h.device).type != "cpu":
        return [explain_jump(**kw) for kw in calls]
    return arith.run(explain_jump, calls, h.arithmetic, workers)
