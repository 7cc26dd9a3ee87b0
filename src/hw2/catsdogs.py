"""Practical part A: cats vs dogs with a small ResNet trained from scratch on a CPU.

The recipe is built for a 2-core CPU:

- every image is decoded and resized **once** (shorter side to ``store`` pixels, centre
  crop) and kept as a ``uint8`` tensor, cached on disk;
- augmentation runs on whole batches of tensors: one affine warp per image (random
  scale, aspect, shift, rotation, horizontal flip) by ``grid_sample``, then brightness,
  contrast and saturation jitter;
- a ResNet with four stages of residual blocks and batch norm, trained with SGD,
  Nesterov momentum and a one-cycle schedule, label smoothing;
- test-time augmentation, chosen on the validation set, averages the logits of several
  views of each image (the image and its mirror image, whole and centrally cropped);
- bf16 autocast where the processor has bf16 units (:func:`pick_precision`), fp32
  elsewhere, and the memory each step frees kept for the next
  (:func:`hw2.book.memory.kept_memory`); the history counts the compute spent
  (``train_flops``).

:func:`train` follows the book's contract: ``train(recipe, ..., seed, show)`` returns
``(model, history)``; the recipe is a :class:`Recipe`, and :data:`RECIPE` is the book's.
"""

from __future__ import annotations

import contextlib
import copy
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Subset, random_split
from torch.utils.flop_counter import FlopCounterMode

from ._validate import check_int
from .book.cache import cached
from .book.memory import kept_memory
from .download import cats_and_dogs, identity
from .runtime import Timer, native_bf16, pick_device, progress, using_threads

__all__ = [
    "AIM_SECONDS",
    "AIM_TEST_ACC",
    "CLASSES",
    "HOMEWORK_VAL_ACC",
    "RECIPE",
    "TTA",
    "Recipe",
    "ResNet",
    "PRECISIONS",
    "ResidualBlock",
    "augment",
    "batch_loss",
    "eval_view",
    "evaluate",
    "folder_datasets",
    "load_tensors",
    "overfitting",
    "pick_precision",
    "precision_note",
    "predict",
    "to_uint8",
    "step_flops",
    "train",
    "train_step",
]

CLASSES = ("cat", "dog")
MEAN = (0.485, 0.456, 0.406)  # ImageNet statistics, as the homework normalises
STD = (0.229, 0.224, 0.225)


def folder_datasets(data_dir: str | os.PathLike[str] | None = None,
                    split_seed: int = 42) -> tuple:
    """Step 1: folder-per-class datasets: ``train/``, and ``validation/`` split at random
    (``split_seed``, 42 as the homework) into 500 validation and 500 test images.

    Returns ``(train, val, test)``; ``val`` and ``test`` are ``Subset``s of one
    ``ImageFolder``.
    """
    root = Path(data_dir) if data_dir is not None else cats_and_dogs()
    train = torchvision.datasets.ImageFolder(root / "train")
    held_out = torchvision.datasets.ImageFolder(root / "validation")
    if train.classes != ["cats", "dogs"] or held_out.classes != ["cats", "dogs"]:
        raise ValueError(f"data_dir {root} must hold train/ and validation/ with cats/ and dogs/")
    half = len(held_out) // 2
    val, test = random_split(held_out, [half, len(held_out) - half],
                             generator=torch.Generator().manual_seed(split_seed))
    return train, val, test


def _square(image: Image.Image, size: int) -> Image.Image:
    """Any PIL image -> RGB, shorter side ``size``, centre crop ``size x size``."""
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL image, got {type(image).__name__}")
    if image.mode != "RGB":
        # Palette and transparent images: composite on white so transparency is not black.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    w, h = image.size
    scale = size / min(w, h)
    new = (max(size, round(w * scale)), max(size, round(h * scale)))
    image = image.resize(new, Image.BICUBIC)
    left, top = (new[0] - size) // 2, (new[1] - size) // 2
    return image.crop((left, top, left + size, top + size))


def to_uint8(images: Sequence[Image.Image], size: int) -> torch.Tensor:
    """PIL images of any size and mode as stored: ``uint8`` ``(N, 3, size, size)``, each
    converted to RGB, its shorter side resized to ``size`` and centre-cropped."""
    arrays = [np.asarray(_square(im, size), dtype=np.uint8) for im in images]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


@cached(keys={"data_dir": identity})
def load_tensors(data_dir: str, store: int = 80, split_seed: int = 42) -> dict:
    """Decode and resize every image once: ``uint8`` tensors ``(N, 3, store, store)``
    and labels for the train, validation and test sets, and each set's files relative
    to ``data_dir`` (``"test_files"``, ...). Cached on disk, keyed on what the folder
    holds: the same data in another folder reuses the result."""
    train, val, test = folder_datasets(data_dir, split_seed)
    out = {}
    for name, subset in [("train", train), ("val", val), ("test", test)]:
        if isinstance(subset, Subset):
            samples = [subset.dataset.samples[i] for i in subset.indices]
        else:
            samples = subset.samples
        images = []
        for path, _ in samples:
            with Image.open(path) as im:
                images.append(_square(im, store))
        out[name] = (to_uint8(images, store), torch.tensor([y for _, y in samples]))
        out[name + "_files"] = [Path(p).relative_to(data_dir).as_posix() for p, _ in samples]
    return out


def _mean_std(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """:data:`MEAN` and :data:`STD` as ``(1, 3, 1, 1)`` tensors on ``device``."""
    return (torch.tensor(MEAN, device=device).view(1, 3, 1, 1),
            torch.tensor(STD, device=device).view(1, 3, 1, 1))


def _normalise(x: torch.Tensor) -> torch.Tensor:
    mean, std = _mean_std(x.device)
    return (x - mean) / std


def augment(x: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """Training augmentation on a ``uint8`` batch; returns normalised floats
    ``(N, 3, size, size)``, channels-last, on ``x``'s device: random
    scale/aspect/shift/rotation and flip in one affine warp, then brightness, contrast
    and saturation jitter. The random draws come from ``generator`` (on the CPU), so a
    seed gives the same views on every device; the image work runs where ``x`` is (on a
    GPU, off the CPU's critical path)."""
    n = x.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return (low + (high - low) * torch.rand(n, generator=generator)).to(x.device)

    scale = uniform(0.70, 1.0)            # fraction of the stored image kept
    aspect = torch.exp(uniform(-0.2, 0.2))
    angle = uniform(-15, 15) * torch.pi / 180
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0).to(x.device)
    sx, sy = scale * aspect.sqrt(), scale / aspect.sqrt()
    tx, ty = uniform(-1, 1) * (1 - sx).clamp(min=0), uniform(-1, 1) * (1 - sy).clamp(min=0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # The warp's sampling grid, theta @ (u, v, 1) at every output pixel (u, v), written
    # out: the same grid as F.affine_grid (align_corners=False) without a batched matmul.
    # Each coordinate is a row term plus a column term, added straight into the grid.
    u = (torch.arange(size, device=x.device) * 2 + 1) / size - 1
    row, col = u.view(1, 1, size), u.view(1, size, 1)

    def per_image(t: torch.Tensor) -> torch.Tensor:
        return t.view(n, 1, 1)

    grid = torch.empty(n, size, size, 2, device=x.device)
    torch.add(per_image(sx * cos * flip) * row + per_image(tx), per_image(-sy * sin) * col,
              out=grid[..., 0])
    torch.add(per_image(sx * sin * flip) * row + per_image(ty), per_image(sy * cos) * col,
              out=grid[..., 1])
    x = F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="reflection",
                      align_corners=False)  # still 0-255
    # Brightness b, contrast c (about the image's mean m) and saturation s (about the
    # pixel's grey level g) are linear: b*c*(s*x + (1 - s)*g) + (1 - c)*b*m. The
    # normalisation (x - MEAN) / STD is folded in, and the clamp to [0, 1] becomes a
    # clamp to the normalised bounds; the batch is written in channels-last order.
    b = uniform(0.75, 1.25).view(n, 1, 1, 1)
    c = uniform(0.75, 1.25).view(n, 1, 1, 1)
    s = uniform(0.75, 1.25).view(n, 1, 1, 1)
    mean, std = _mean_std(x.device)
    gray = x.mean(dim=1, keepdim=True)
    m = gray.mean(dim=(2, 3), keepdim=True)
    bc = b * c / 255
    offset = torch.addcmul(((1 - c) * b / 255 * m - mean) / std, bc * (1 - s) / std, gray)
    out = torch.empty_like(x, memory_format=torch.channels_last)
    torch.addcmul(offset, bc * s / std, x, out=out)
    return torch.clamp(out, -mean / std, (1 - mean) / std, out=out)


def eval_view(x: torch.Tensor, size: int, crop: float = 1.0) -> torch.Tensor:
    """Validation/test view: the central ``crop`` fraction of the stored image, resized
    to ``size`` and normalised. Training crops keep 70-100% of the image, so a central
    crop shows objects at the scale the network was trained on."""
    x = x.float() / 255
    if crop < 1.0:
        side = x.shape[-1]
        keep = round(side * crop)
        start = (side - keep) // 2
        x = x[..., start:start + keep, start:start + keep]
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True,
                          align_corners=False)
    return _normalise(x)


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
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                          nn.BatchNorm2d(c_out))

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

    def __init__(self, width: int = 32, blocks: Sequence[int] = (1, 1, 1, 1),
                 image_size: int = 64, stem_stride: int = 1, store_size: int | None = None,
                 tta: str = "flip"):
        super().__init__()
        if tta not in TTA:
            raise ValueError(f"tta must be one of {sorted(TTA)}, got {tta!r}")
        self.image_size, self.store_size, self.tta = image_size, store_size or image_size, tta
        # A strided 5x5 stem reads a larger image for little more compute than a 3x3 one
        # on an image half the size.
        kernel = 3 if stem_stride == 1 else 5
        layers: list[nn.Module] = [
            nn.Conv2d(3, width, kernel, stem_stride, kernel // 2, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
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


def batch_loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
               label_smoothing: float = 0.0) -> tuple[torch.Tensor, int]:
    """Step 4, first piece: the loss on one batch and the number of correct predictions."""
    logits = model(X)
    loss = F.cross_entropy(logits, y, label_smoothing=label_smoothing)
    return loss, int((logits.argmax(1) == y).sum())


def train_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer,
               scheduler: torch.optim.lr_scheduler.LRScheduler | None = None) -> None:
    """Step 4, second piece: the backward pass and the optimiser (and schedule) step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if scheduler is not None:
        scheduler.step()


PRECISIONS = ("bf16", "fp32")


def pick_precision(precision: str | None = None,
                   device: str | torch.device | None = None) -> str:
    """The precision the CNN computes in on ``device``: ``precision`` if given, else
    ``"bf16"`` (autocast) on CUDA and on CPUs with native bf16
    (:func:`hw2.runtime.native_bf16`), ``"fp32"`` elsewhere: emulated bf16 is slower."""
    if precision is not None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS} or None, got {precision!r}")
        return precision
    device = pick_device(device)
    return "bf16" if device.type == "cuda" or (device.type == "cpu" and native_bf16()) else "fp32"


def precision_note(precision: str, device: str | torch.device | None = None) -> str:
    """A phrase for the chapter: ``precision`` on ``device`` and why it was chosen."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    device = pick_device(device)
    if device.type != "cpu":
        return f"{'bf16 autocast' if precision == 'bf16' else 'fp32'} on {device.type}"
    if precision == "bf16":
        return ("bf16 autocast: this CPU has bf16 units" if native_bf16() else
                "bf16 autocast, emulated: this CPU has no bf16 units")
    return ("fp32, as asked, on a CPU with bf16 units" if native_bf16() else
            "fp32: this CPU has no bf16 units, so bf16 would be emulated")


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


def _logits(model: nn.Module, X: torch.Tensor, size: int, tta: str,
            precision: str | None = None) -> torch.Tensor:
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
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, size: int,
             tta: str = "flip", batch_size: int = 250, precision: str | None = None
             ) -> tuple[float, float, torch.Tensor]:
    """Loss, accuracy and class probabilities on stored ``uint8`` images. Test-time
    augmentation averages logits over views: ``"none"``, ``"flip"`` (the image and its
    mirror image), ``"flip+crop"`` (both, for the whole image and a central crop).
    ``precision``: see :func:`pick_precision`."""
    if tta not in TTA:
        raise ValueError(f"tta must be one of {sorted(TTA)}, got {tta!r}")
    model.eval()
    logits = torch.cat([_logits(model, X[i:i + batch_size], size, tta, precision)
                        for i in range(0, len(X), batch_size)])
    loss = F.cross_entropy(logits, y).item()
    accuracy = (logits.argmax(1) == y).float().mean().item()
    return loss, accuracy, logits.softmax(1)


@dataclass(frozen=True)
class Recipe:
    """How the CNN is trained (steps 3-4): images stored at ``store`` pixels and trained
    at ``size``; a ResNet of ``width`` channels, ``blocks`` residual blocks per stage and
    a stem of stride ``stem_stride``; SGD with Nesterov momentum, ``lr`` the peak of a
    one-cycle schedule over ``epochs``; ``tta`` the test-time views."""

    epochs: int = 100
    size: int = 128
    store: int = 144
    width: int = 32
    blocks: tuple[int, ...] = (1, 1, 1, 1)
    stem_stride: int = 2
    batch_size: int = 64
    lr: float = 0.2
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    tta: str = "flip+crop"

    def __post_init__(self) -> None:
        if self.tta not in TTA:
            raise ValueError(f"tta must be one of {sorted(TTA)}, got {self.tta!r}")


# The book's recipe, chosen with benchmarks/catsdogs.py.
RECIPE = Recipe()


@cached(keys={"data_dir": identity, "device": pick_device, "precision": _precision_key})
def train(recipe: Recipe = RECIPE, data_dir: str | None = None, seed: int = 0,
          threads: int = 2, device: str | torch.device | None = None,
          precision: str | None = None, show: bool | None = None) -> tuple[ResNet, dict]:
    """Train ``recipe`` from scratch on ``device`` (see :func:`hw2.runtime.pick_device`)
    in ``precision`` (see :func:`pick_precision`: bf16 autocast where the processor has
    bf16 units) and ``threads`` torch threads (restored after), freed memory kept for
    the next step (:func:`hw2.book.memory.kept_memory`); returns
    ``(model, history)``, the model on the CPU.

    ``history`` has per-epoch ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``
    (validation on the plain view, without test-time augmentation),
    the final ``val_acc_tta`` and ``test_acc`` (with TTA), ``train_seconds`` (the
    training steps alone), ``wall_seconds`` (the whole call: loading, training and
    per-epoch validation), the test predictions and ``test_files`` (relative to the data
    folder), the ``precision`` used, and ``train_flops``, the FLOPs of every training
    step (:func:`step_flops` per image, times the images of each step). Accuracies are
    fractions. ``data_dir`` defaults to the downloader's cache.
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a catsdogs.Recipe, got {type(recipe).__name__}")
    device = pick_device(device)
    with using_threads(threads), kept_memory():
        return _train(recipe, data_dir, seed, device, pick_precision(precision, device), show)


def _train(r: Recipe, data_dir: str | None, seed: int, device: torch.device,
           precision: str, show: bool | None) -> tuple[ResNet, dict]:
    start = time.perf_counter()
    data_dir = str(data_dir if data_dir is not None else cats_and_dogs())
    data = load_tensors(data_dir, r.store)
    # The stored images live on the device: each batch is augmented there.
    X, y = (t.to(device) for t in data["train"])
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = ResNet(r.width, r.blocks, image_size=r.size, stem_stride=r.stem_stride,
                   store_size=r.store, tta=r.tta)
    model = model.to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=r.lr, momentum=0.9, nesterov=True,
                                weight_decay=r.weight_decay)
    steps_per_epoch = len(X) // r.batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=r.lr, total_steps=r.epochs * steps_per_epoch, pct_start=0.25)
    history: dict[str, list] = {k: [] for k in ["train_loss", "train_acc", "val_loss",
                                                "val_acc"]}
    # The per-epoch validation view never changes: prepare it once.
    X_val, y_val = data["val"]
    val_views = [eval_view(X_val[i:i + 250], r.size).to(
        device, memory_format=torch.channels_last) for i in range(0, len(X_val), 250)]
    y_val = y_val.to(device)
    seconds, flops, per_image = 0.0, 0.0, step_flops(model, r.size, r.batch_size)
    for _ in progress(range(r.epochs), desc="CNN epochs", show=show, every=60.0):
        with Timer() as timer:
            model.train()
            order = torch.randperm(len(X), generator=generator)
            total_loss, correct, seen = 0.0, 0, 0
            for step in range(steps_per_epoch):
                idx = order[step * r.batch_size:(step + 1) * r.batch_size]
                idx = idx.to(device)
                batch = augment(X[idx], r.size, generator)
                with _mixed_precision(device, precision):
                    loss, hits = batch_loss(model, batch, y[idx],
                                            r.label_smoothing)
                train_step(loss, optimizer, scheduler)
                flops += per_image * len(idx)
                total_loss += loss.item() * len(idx)
                correct += hits
                seen += len(idx)
        seconds += timer.seconds
        history["train_loss"].append(total_loss / seen)
        history["train_acc"].append(correct / seen)
        model.eval()
        with torch.no_grad():
            with _mixed_precision(device, precision):
                logits = torch.cat([model(v).float() for v in val_views])
        history["val_loss"].append(F.cross_entropy(logits, y_val).item())
        history["val_acc"].append((logits.argmax(1) == y_val).float().mean().item())
    history["train_seconds"], history["train_flops"] = seconds, flops
    history["precision"] = precision
    _, history["val_acc_tta"], _ = evaluate(model, *data["val"], r.size, tta=r.tta,
                                            precision=precision)
    _, history["test_acc"], probs = evaluate(model, *data["test"], r.size, tta=r.tta,
                                             precision=precision)
    history["test_probs"] = probs
    history["test_labels"] = data["test"][1]
    history["test_files"] = data["test_files"]
    model.eval()
    history["wall_seconds"] = time.perf_counter() - start
    return model.cpu().to(memory_format=torch.contiguous_format), history


HOMEWORK_VAL_ACC = 0.75  # the homework's bar: validation accuracy at least this
AIM_TEST_ACC = 0.90  # the book's aim on a 2-core CPU: this test accuracy ...
AIM_SECONDS = 600.0  # ... within this much training (the whole train call)
CLEAR_GAP = 0.10  # a train-validation accuracy gap this large is clear overfitting
SMALL_GAP = 0.01  # ... and one below this hardly any
CLIMB = 0.02  # a validation loss this far above its minimum has turned upward


def overfitting(history: dict, last: int = 5) -> str:
    """Step 6 (A.6), the verdict on the curves: ``"yes, clearly"`` when the validation
    loss ended more than :data:`CLIMB` above its minimum or the training accuracy led the
    validation accuracy by :data:`CLEAR_GAP` or more over the ``last`` epochs;
    ``"hardly"`` when that lead is under :data:`SMALL_GAP`; else ``"a little"``."""
    check_int("last", last, low=1)
    gap = (np.mean(history["train_acc"][-last:]) - np.mean(history["val_acc"][-last:]))
    rise = history["val_loss"][-1] - min(history["val_loss"])
    if rise > CLIMB or gap >= CLEAR_GAP:
        return "yes, clearly"
    return "hardly" if gap < SMALL_GAP else "a little"


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
