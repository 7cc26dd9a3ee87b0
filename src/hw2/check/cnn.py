"""How :func:`hw2.check.cnn_model` reads a student's CNN: which layers its forward pass
runs, whether an addition skips (a residual connection), and what its outputs say.

- :func:`run` runs the model over the validation images, recording which layers the
  first batch called (forward hooks), so a layer that is defined but never called
  earns nothing.
- :func:`structure` names the homework's parts among those calls and the functional
  calls of the traced graph (``torch.fx``), where residual connections are found.
- :func:`accuracy` reads the outputs as two or more scores, one probability or one
  logit, and counts outputs that are not finite.
"""

from __future__ import annotations

import operator
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .engine import CALL_LIMIT, call

__all__ = [
    "MODEL_LIMIT",
    "NONLINEAR",
    "SHORTCUT",
    "Parts",
    "Ran",
    "Verdict",
    "accuracy",
    "run",
    "structure",
    "validation",
]

MODEL_LIMIT = 30.0  # seconds a CNN may take over the 500 validation images (a bigger model
# than the book's, which takes about 2.5 s, must not fail for its size)
SHORTCUT = 3  # operations a shortcut may apply (identity: 0; a 1x1 projection and BN: 2)

NONLINEAR = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.ELU,
    nn.GELU,
    nn.SiLU,
    nn.Tanh,
    nn.Sigmoid,
    nn.PReLU,
    nn.Mish,
    nn.Hardswish,
    nn.ReLU6,
    nn.SELU,
    nn.CELU,
    nn.Softplus,
)
POOLS = (
    nn.modules.pooling._MaxPoolNd,
    nn.modules.pooling._AvgPoolNd,
    nn.modules.pooling._AdaptiveAvgPoolNd,
    nn.modules.pooling._AdaptiveMaxPoolNd,
)
# Each part: the layer classes that provide it, and the names of the functions and
# tensor methods that do (torch.relu, F.relu and x.relu are all "relu").
PARTS = {
    "two convolutions": ((nn.modules.conv._ConvNd,), {"conv1d", "conv2d", "conv3d"}),
    "batch norm": ((nn.modules.batchnorm._BatchNorm,), {"batch_norm"}),
    "a non-linearity": (
        NONLINEAR,
        {
            "relu",
            "relu_",
            "leaky_relu",
            "leaky_relu_",
            "elu",
            "elu_",
            "gelu",
            "silu",
            "mish",
            "selu",
            "hardswish",
            "relu6",
            "softplus",
            "tanh",
            "tanh_",
            "sigmoid",
            "sigmoid_",
            "celu",
            "prelu",
        },
    ),
    "pooling": (
        POOLS,
        {
            "max_pool1d",
            "max_pool2d",
            "avg_pool1d",
            "avg_pool2d",
            "adaptive_avg_pool1d",
            "adaptive_avg_pool2d",
            "adaptive_max_pool2d",
            "max_pool2d_with_indices",
        },
    ),
    "a fully connected layer": ((nn.Linear,), {"linear"}),
}
ORDER = [
    "two convolutions",
    "batch norm",
    "a non-linearity",
    "pooling",
    "a residual connection",
    "a fully connected layer",
]
_ADDS = {operator.add, operator.iadd, torch.add, "add", "add_", "__add__", "__iadd__"}


def _layer_part(layer: nn.Module) -> str | None:
    return next((p for p, (kinds, _) in PARTS.items() if isinstance(layer, kinds)), None)


def _call_part(target: object) -> str | None:
    name = target if isinstance(target, str) else getattr(target, "__name__", "")
    return next((p for p, (_, names) in PARTS.items() if name in names), None)


class _Recorder(TorchFunctionMode):
    """While active, counts the parts a forward pass runs: each call of a layer of a
    part's class, and each function of a part called outside such a layer (so the
    ``F.conv2d`` inside ``nn.Conv2d`` is not counted twice)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.found: Counter = Counter()
        self.inside = 0
        self.hooks = []
        for layer in model.modules():
            part = _layer_part(layer)
            if part is not None:
                self.hooks += [
                    layer.register_forward_pre_hook(self._enter(part)),
                    layer.register_forward_hook(self._leave),
                ]

    def _enter(self, part: str) -> Callable:
        def hook(*_: object) -> None:
            if self.inside == 0:
                self.found[part] += 1
            self.inside += 1

        return hook

    def _leave(self, *_: object) -> None:
        self.inside -= 1

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        part = _call_part(func) if self.inside == 0 else None
        if part is not None:
            self.found[part] += 1
        return func(*args, **(kwargs or {}))

    def remove(self) -> None:
        for hook in self.hooks:
            hook.remove()
        self.hooks = []


def validation(data_dir: str | None, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The homework's 500 validation images (validation/ split with seed 42), each
    resized (shorter side to ``size``, centre crop) and normalised; labels 0 = cat,
    1 = dog."""
    from PIL import Image

    from ..catsdogs import eval_view, folder_datasets, to_uint8

    _, val, _ = folder_datasets(data_dir, 42)
    images, labels = [], []
    for i in val.indices:
        path, label = val.dataset.samples[i]
        with Image.open(path) as im:
            images.append(im.convert("RGB"))
        labels.append(label)
    return eval_view(to_uint8(images, size), size), torch.tensor(labels)


@dataclass
class Ran:
    """The model run over the validation images."""

    outputs: torch.Tensor | None  # all outputs, float32 on the CPU; None if it failed
    why: str | None  # why running it failed, or None
    found: Counter  # part -> how often the first batch ran it (empty if nothing ran)


def run(model: nn.Module, X: torch.Tensor, batch: int = 50) -> Ran:
    """``model`` in eval mode over ``X`` in batches, on its own device and dtype, within
    :data:`MODEL_LIMIT` seconds; the parts the first batch runs are counted."""
    try:
        param = next(model.parameters())
        device, dtype = param.device, param.dtype
    except StopIteration:
        device, dtype = torch.device("cpu"), torch.float32
    recorder = _Recorder(model)
    was_training, outputs, why = model.training, [], None
    model.eval()
    deadline = time.perf_counter() + MODEL_LIMIT
    try:
        with torch.no_grad():
            for i in range(0, len(X), batch):
                x = X[i : i + batch].to(device, dtype)
                limit = max(deadline - time.perf_counter(), CALL_LIMIT)
                if i == 0:  # the first batch shows the structure
                    with recorder:
                        out, why = call(model, x, limit=limit)
                    recorder.remove()
                else:
                    out, why = call(model, x, limit=limit)
                if why is not None:
                    break
                try:
                    outputs.append(torch.as_tensor(out).detach().float().cpu())
                except (TypeError, ValueError, RuntimeError) as error:
                    why = f"its output is not a tensor ({type(out).__name__}: {error})"
                    break
    finally:
        recorder.remove()
        model.train(was_training)
    if why is None:
        try:
            return Ran(torch.cat(outputs), None, recorder.found)
        except RuntimeError as error:
            why = f"its outputs do not stack into one tensor ({error})"
    return Ran(None, why, recorder.found)


@dataclass
class Parts:
    """Which of the homework's parts the forward pass runs."""

    has: dict[str, bool]  # part -> found
    note: str | None  # how they were found, when not from the calls of a full trace


def _skips(upstream: dict, order: dict, a: torch.fx.Node, b: torch.fx.Node) -> bool:
    """Whether ``a + b`` is a residual connection: from the last tensor both are
    computed from, one operand takes at most :data:`SHORTCUT` operations (the shortcut)
    and the other more (the residual branch)."""
    common = upstream[a] & upstream[b]
    if not common:
        return False
    source = max(common, key=order.__getitem__)
    steps = sorted(len(upstream[v] - upstream[source]) for v in (a, b))
    return steps[0] <= SHORTCUT and steps[0] < steps[1]


def _graph(model: nn.Module) -> tuple[Counter, bool, str | None]:
    """From the traced graph: the parts its calls provide (counted), whether an
    addition skips (a residual connection), or why it could not be traced."""
    try:
        traced = torch.fx.symbolic_trace(model)
    except Exception as error:  # the student's model: any failure is a finding
        return Counter(), False, str(error).strip().splitlines()[-1][:200]
    upstream: dict[torch.fx.Node, set[torch.fx.Node]] = {}
    order = {node: i for i, node in enumerate(traced.graph.nodes)}
    found, residual = Counter(), False
    for node in traced.graph.nodes:
        upstream[node] = ({node} if node.op != "get_attr" else set()).union(
            *(upstream[p] for p in node.all_input_nodes)
        )
        if node.op == "call_module":
            found.update(filter(None, [_layer_part(traced.get_submodule(node.target))]))
        elif node.op in ("call_function", "call_method"):
            found.update(filter(None, [_call_part(node.target)]))
            a, b = (list(node.args) + [None, None])[:2]
            residual |= (
                node.target in _ADDS
                and isinstance(a, torch.fx.Node)
                and isinstance(b, torch.fx.Node)
                and _skips(upstream, order, a, b)
            )
    return found, residual, None


def structure(model: nn.Module, ran: Counter) -> Parts:
    """The homework's parts in what ``model`` runs: what its first batch ran (``ran``,
    from :func:`run`), else the calls of its traced graph; only when neither is
    available, the layers it defines (said in the note). Residual connections come
    from the traced graph."""
    from_graph, residual, trace_error = _graph(model)
    notes = []
    if ran:
        found = ran
    elif trace_error is None:
        found = from_graph
    else:
        found = Counter(filter(None, map(_layer_part, model.modules())))
        notes.append(
            "The model neither ran nor could be traced, so its parts were "
            "counted from the layers it defines, called or not."
        )
    if trace_error is not None:
        notes.append(
            f"The model could not be traced with torch.fx ({trace_error}), so "
            "no residual connection could be found in its graph."
        )
    has = {part: found[part] >= (2 if part == "two convolutions" else 1) for part in PARTS}
    has["a residual connection"] = residual
    return Parts({part: has[part] for part in ORDER}, " ".join(notes) or None)


@dataclass
class Verdict:
    """What the outputs say."""

    accuracy: float | None  # fraction right, or None when they cannot be read
    reading: str | None  # how the outputs were read, for the report
    problem: str | None  # why they could not be read (non-finite, a shape, a failure)


def _guess(out: torch.Tensor) -> tuple[torch.Tensor, str]:
    """The predicted class (0 cat, 1 dog) of each row of finite outputs ``out``
    (``(N, k)``), and how they were read."""
    k = out.shape[1]
    if k > 1:
        rows = "two" if k == 2 else str(k)
        if bool((out >= 0).all() and (out <= 1).all()) and bool(
            torch.allclose(out.sum(1), torch.ones(len(out)), atol=1e-3)
        ):
            kind = "probabilities (each row sums to 1)"
        elif bool((out <= 0).all()) and bool(
            torch.allclose(out.exp().sum(1), torch.ones(len(out)), atol=1e-3)
        ):
            kind = "log-probabilities (their exponentials sum to 1)"
        else:
            kind = "scores (logits)"
        return out.argmax(1), (
            f"Outputs read as {rows} class {kind}: the largest is the "
            "class, column 0 cat and column 1 dog."
        )
    out = out[:, 0]
    if bool((out >= 0).all() and (out <= 1).all()):
        return (out > 0.5).long(), (
            "One output per image, every one in [0, 1]: read as the probability of "
            "dog (dog above 0.5). A logit would be read as dog above 0."
        )
    return (out > 0).long(), (
        "One output per image, not all in [0, 1]: read as a "
        "logit of dog (dog above 0, i.e. sigmoid above 0.5)."
    )


def accuracy(ran: Ran, labels: torch.Tensor) -> Verdict:
    """Read ``ran``'s outputs (see :func:`_guess`) and score them against ``labels``."""
    if ran.outputs is None:
        return Verdict(None, None, f"a validation accuracy: running the model failed ({ran.why})")
    n = len(labels)
    out = ran.outputs.reshape(len(ran.outputs), -1) if ran.outputs.dim() else ran.outputs
    if out.dim() != 2 or len(out) != n:
        return Verdict(
            None,
            None,
            f"one output row per image: {n} images gave outputs "
            f"of shape {tuple(ran.outputs.shape)}",
        )
    bad = ~torch.isfinite(out).all(1)
    if bool(bad.any()):
        nan = int(out.isnan().any(1).sum())
        return Verdict(
            None,
            None,
            f"finite outputs: {int(bad.sum())} of {n} images gave "
            f"non-finite outputs ({nan} NaN, {int(bad.sum()) - nan}"
            " infinite); has training diverged?",
        )
    guess, reading = _guess(out)
    return Verdict(float((guess == labels).float().mean()), reading, None)
