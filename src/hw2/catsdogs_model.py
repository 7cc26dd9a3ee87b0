"""Practical part A, the model: a ResNet with four stages of residual blocks and batch
norm (step 3), the precision it computes in, the FLOPs of a training step, and how a
trained one is scored and used:

- bf16 autocast where the processor has bf16 units (:func:`pick_precision`), fp32
  elsewhere;
- test-time augmentation (:data:`TTA`), chosen on the validation set, averages the
  logits of several views of each image (the image and its mirror image, whole and
  centrally cropped), in :func:`evaluate` and in :func:`predict` alike.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Sequence

import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from ._validate import check_int
from .catsdogs_data import CLASSES, eval_view, to_uint8
from .runtime import native_bf16, pick_device

__all__ = [
    "PRECISIONS",
    "TTA",
    "ResNet",
    "ResidualBlock",
    "evaluate",
    "pick_precision",
    "predict",
    "step_flops",
]

# Test-time augmentation by name: the central crops averaged (1.0: the whole image),
# each with its mirror image except for "none".
TTA = {"none": (1.0,), "flip": (1.0,), "flip+crop": (1.0, 0.85)}


class ResidualBlock(nn.Module):
    """Step 3: two 3x3 convolutions with batch norm and ReLU, plus the identity (or a
    strided 1x1 projection when the shape changes) added before the last ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """Step 3: stem (conv, BN, ReLU, max-pool), four stages of residual blocks that
    halve the resolution and double the width, global average pooling and a linear
    head to the two classes. ``image_size`` is the input resolution, ``store_size`` the
    stored one (default: ``image_size``) and ``tta`` the test-time views: the model
    carries what :func:`predict` needs to see a photo as :func:`evaluate` does."""

    def __init__(
        self,
        width: int = 32,
        blocks: Sequence[int] = (1, 1, 1, 1),
        image_size: int = 64,
        stem_stride: int = 1,
        store_size: int | None = None,
        tta: str = "flip",
    ):
        super().__init__()
        if tta not in TTA:
            raise ValueError(f"tta must be one of {sorted(TTA)}, got {tta!r}")
        self.image_size, self.store_size, self.tta = image_size, store_size or image_size, tta
        # A strided 5x5 stem reads a larger image for little more compute than a 3x3 one
        # on an image half the size.
        kernel = 3 if stem_stride == 1 else 5
        layers: list[nn.Module] = [
            nn.Conv2d(3, width, kernel, stem_stride, kernel // 2, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]
        # Where each part ends in ``features``: what :meth:`feature_maps` reads.
        self.depths = {"stem": len(layers)}
        c = width
        for stage, n in enumerate(blocks):
            c_out = width * 2**stage
            for i in range(n):
                layers.append(ResidualBlock(c, c_out, 2 if (i == 0 and stage > 0) else 1))
                c = c_out
            self.depths[f"stage {stage + 1}"] = len(layers)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(c, len(CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.features(x)).flatten(1))

    def feature_maps(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """What the network sees: the feature maps after the stem and after each stage
        (``"stem"``, ``"stage 1"``, ...), each ``(N, channels, height, width)``."""
        maps, ends = {}, {end: name for name, end in self.depths.items()}
        for depth, layer in enumerate(self.features, start=1):
            x = layer(x)
            if depth in ends:
                maps[ends[depth]] = x
        return maps


PRECISIONS = ("bf16", "fp32")


def pick_precision(precision: str | None = None, device: str | torch.device | None = None) -> str:
    """The precision the CNN computes in on ``device``: ``precision`` if given, else
    ``"bf16"`` (autocast) on CUDA and on CPUs with native bf16
    (:func:`hw2.runtime.native_bf16`), ``"fp32"`` elsewhere: emulated bf16 is slower."""
    if precision is not None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS} or None, got {precision!r}")
        return precision
    device = pick_device(device)
    return "bf16" if device.type == "cuda" or (device.type == "cpu" and native_bf16()) else "fp32"


def _precision_key(precision: str | None) -> str:
    """The cache key of ``precision``: ``None`` keyed on what it means on this CPU."""
    return precision or f"auto ({pick_precision(None, 'cpu')} on this CPU)"


def _mixed_precision(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """bf16 autocast for ``"bf16"``, full precision for ``"fp32"``."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def step_flops(model: nn.Module, size: int, batch_size: int) -> float:
    """FLOPs of one training step per image (forward and backward, counted by
    ``torch.utils.flop_counter`` on a copy of ``model`` and a batch of ``batch_size``
    images of ``size`` pixels): what ``train_flops`` adds up."""
    check_int("size", size, low=1)
    check_int("batch_size", batch_size, low=1)
    net = copy.deepcopy(model).train()
    device = next(net.parameters()).device
    x = torch.zeros(batch_size, 3, size, size, device=device)
    y = torch.zeros(batch_size, dtype=torch.long, device=device)
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(net(x), y).backward()
    return counter.get_total_flops() / batch_size


def _logits(
    model: nn.Module, X: torch.Tensor, size: int, tta: str, precision: str | None = None
) -> torch.Tensor:
    """Logits averaged over the test-time views of stored ``uint8`` images, computed on
    the model's device (in :func:`pick_precision`'s precision) and returned on the CPU."""
    device = next(model.parameters()).device
    precision = pick_precision(precision, device)
    outs = []
    for crop in TTA[tta]:
        view = eval_view(X, size, crop).to(device, memory_format=torch.channels_last)
        with _mixed_precision(device, precision):
            outs.append(model(view).float())
            if tta != "none":
                outs.append(model(view.flip(-1)).float())
    return torch.stack(outs).mean(0).cpu()


@torch.no_grad()
def evaluate(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    size: int,
    tta: str = "flip",
    batch_size: int = 250,
    precision: str | None = None,
) -> tuple[float, float, torch.Tensor]:
    """Loss, accuracy and class probabilities on stored ``uint8`` images. Test-time
    augmentation averages logits over views: ``"none"``, ``"flip"`` (the image and its
    mirror image), ``"flip+crop"`` (both, for the whole image and a central crop).
    ``precision``: see :func:`pick_precision`."""
    if tta not in TTA:
        raise ValueError(f"tta must be one of {sorted(TTA)}, got {tta!r}")
    model.eval()
    logits = torch.cat(
        [
            _logits(model, X[i : i + batch_size], size, tta, precision)
            for i in range(0, len(X), batch_size)
        ]
    )
    loss = F.cross_entropy(logits, y).item()
    accuracy = (logits.argmax(1) == y).float().mean().item()
    return loss, accuracy, logits.softmax(1)


@torch.no_grad()
def predict(model: ResNet, images: Sequence[Image.Image] | Image.Image) -> list[str]:
    """Classify PIL images of any size and mode (RGB, RGBA, L, P, ...): ``'cat'`` or
    ``'dog'`` for each, with the same test-time augmentation as the evaluation."""
    if isinstance(images, Image.Image):
        images = [images]
    if isinstance(images, (str, bytes)) or not isinstance(images, Sequence):
        raise TypeError("images must be a PIL image or a sequence of PIL images")
    if not images:
        return []
    bad = [type(im).__name__ for im in images if not isinstance(im, Image.Image)]
    if bad:
        raise TypeError(f"images must be PIL images; got {bad[0]}")
    X = to_uint8(images, model.store_size)
    was_training = model.training
    model.eval()
    logits = _logits(model, X, model.image_size, model.tta)
    model.train(was_training)
    return [CLASSES[i] for i in logits.argmax(1).tolist()]
