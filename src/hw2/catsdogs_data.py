"""Practical part A, the data: the folders (step 1), every photo stored once as a small
``uint8`` square, the training augmentation on whole batches of those tensors, and the
fixed views the evaluation reads.

- every image is decoded and resized **once** (shorter side to ``store`` pixels, centre
  crop) and kept as a ``uint8`` tensor, cached on disk (:func:`load_tensors`);
- augmentation runs on whole batches of tensors (:func:`augment`): one affine warp per
  image (random scale, aspect, shift, rotation, horizontal flip) by ``grid_sample``,
  then brightness, contrast and saturation jitter;
- validation and test images are never augmented: :func:`eval_view` resizes the stored
  image (or its central crop) and normalises it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from torch.nn import functional as F
from torch.utils.data import Subset, random_split

from .book.cache import cached
from .download import cats_and_dogs, identity

__all__ = [
    "CLASSES",
    "MEAN",
    "STD",
    "StoredImages",
    "augment",
    "eval_view",
    "folder_datasets",
    "load_tensors",
    "to_uint8",
]

CLASSES = ("cat", "dog")
MEAN = (0.485, 0.456, 0.406)  # ImageNet statistics, as the homework normalises
STD = (0.229, 0.224, 0.225)


def folder_datasets(data_dir: str | os.PathLike[str] | None = None, split_seed: int = 42) -> tuple:
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
    val, test = random_split(
        held_out,
        [half, len(held_out) - half],
        generator=torch.Generator().manual_seed(split_seed),
    )
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


@dataclass
class StoredImages:
    """Every image of the three sets, decoded and resized once: what
    :func:`load_tensors` returns. Each set is ``(images, labels)``, so that
    ``evaluate(model, *data.val, ...)`` reads it."""

    train: tuple[torch.Tensor, torch.Tensor]  # uint8 (N, 3, store, store); labels (N,)
    val: tuple[torch.Tensor, torch.Tensor]  # the same for the 500 validation images
    test: tuple[torch.Tensor, torch.Tensor]  # ... and the 500 test images
    train_files: list[str]  # each training image's file, relative to the data folder
    val_files: list[str]  # ... each validation image's
    test_files: list[str]  # ... each test image's, in the order of ``test``


@cached(keys={"data_dir": identity})
def load_tensors(data_dir: str, store: int = 80, split_seed: int = 42) -> StoredImages:
    """Decode and resize every image once: ``uint8`` tensors ``(N, 3, store, store)``
    and labels for the train, validation and test sets, and each set's files relative
    to ``data_dir``. Cached on disk, keyed on what the folder holds: the same data in
    another folder reuses the result."""
    train, val, test = folder_datasets(data_dir, split_seed)
    sets, files = [], []
    for subset in (train, val, test):
        if isinstance(subset, Subset):
            samples = [subset.dataset.samples[i] for i in subset.indices]
        else:
            samples = subset.samples
        images = []
        for path, _ in samples:
            with Image.open(path) as im:
                images.append(_square(im, store))
        sets.append((to_uint8(images, store), torch.tensor([y for _, y in samples])))
        files.append([Path(p).relative_to(data_dir).as_posix() for p, _ in samples])
    return StoredImages(*sets, *files)


def _mean_std(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """:data:`MEAN` and :data:`STD` as ``(1, 3, 1, 1)`` tensors on ``device``."""
    return (
        torch.tensor(MEAN, device=device).view(1, 3, 1, 1),
        torch.tensor(STD, device=device).view(1, 3, 1, 1),
    )


def _normalise(x: torch.Tensor) -> torch.Tensor:
    """Images with values in [0, 1], normalised by :data:`MEAN` and :data:`STD`."""
    mean, std = _mean_std(x.device)
    return (x - mean) / std


def _uniform(
    n: int, low: float, high: float, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """``n`` draws from U(``low``, ``high``) by ``generator`` (on the CPU), on ``device``."""
    return (low + (high - low) * torch.rand(n, generator=generator)).to(device)


def _random_affine(n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """One random warp per image, as ``(n, 2, 3)`` matrices theta (as
    ``F.affine_grid`` reads them): keep 70-100% of the image, aspect ratio up to
    e^0.2 either way, shift within the image, rotate up to 15 degrees either way, and
    mirror half the images."""

    def uniform(low: float, high: float) -> torch.Tensor:
        return _uniform(n, low, high, generator, device)

    scale = uniform(0.70, 1.0)  # fraction of the stored image kept
    aspect = torch.exp(uniform(-0.2, 0.2))
    angle = uniform(-15, 15) * torch.pi / 180
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0).to(device)
    sx, sy = scale * aspect.sqrt(), scale / aspect.sqrt()
    tx, ty = uniform(-1, 1) * (1 - sx).clamp(min=0), uniform(-1, 1) * (1 - sy).clamp(min=0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    return torch.stack(
        [
            torch.stack([sx * cos * flip, -sy * sin, tx], 1),
            torch.stack([sx * sin * flip, sy * cos, ty], 1),
        ],
        1,
    )


def _warp(x: torch.Tensor, size: int, theta: torch.Tensor) -> torch.Tensor:
    """``uint8`` images ``x`` warped by ``theta`` (see :func:`_random_affine`) to
    ``size x size`` floats, still 0-255, bilinear, reflected at the borders."""
    n = x.shape[0]
    # The warp's sampling grid, theta @ (u, v, 1) at every output pixel (u, v), written
    # out: the same grid as F.affine_grid (align_corners=False) without a batched matmul.
    # Each coordinate is a row term plus a column term, added straight into the grid.
    u = (torch.arange(size, device=x.device) * 2 + 1) / size - 1
    row, col = u.view(1, 1, size), u.view(1, size, 1)
    grid = torch.empty(n, size, size, 2, device=x.device)
    for k in (0, 1):
        by_row, by_col, shift = (theta[:, k, j].view(n, 1, 1) for j in range(3))
        torch.add(by_row * row + shift, by_col * col, out=grid[..., k])
    return F.grid_sample(
        x.float(), grid, mode="bilinear", padding_mode="reflection", align_corners=False
    )


def _jitter(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random brightness, contrast and saturation, each a factor in [0.75, 1.25], of
    images ``x`` (floats 0-255); returns them normalised and clamped to the normalised
    [0, 1], channels-last."""
    n = x.shape[0]
    b, c, s = (_uniform(n, 0.75, 1.25, generator, x.device).view(n, 1, 1, 1) for _ in "bcs")
    # Brightness b, contrast c (about the image's mean m) and saturation s (about the
    # pixel's grey level g) are linear: b*c*(s*x + (1 - s)*g) + (1 - c)*b*m. The
    # normalisation (x - MEAN) / STD is folded in, and the clamp to [0, 1] becomes a
    # clamp to the normalised bounds; the batch is written in channels-last order.
    mean, std = _mean_std(x.device)
    gray = x.mean(dim=1, keepdim=True)
    m = gray.mean(dim=(2, 3), keepdim=True)
    bc = b * c / 255
    offset = torch.addcmul(((1 - c) * b / 255 * m - mean) / std, bc * (1 - s) / std, gray)
    out = torch.empty_like(x, memory_format=torch.channels_last)
    torch.addcmul(offset, bc * s / std, x, out=out)
    return torch.clamp(out, -mean / std, (1 - mean) / std, out=out)


def augment(x: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """Training augmentation on a ``uint8`` batch; returns normalised floats
    ``(N, 3, size, size)``, channels-last, on ``x``'s device: random
    scale/aspect/shift/rotation and flip in one affine warp, then brightness, contrast
    and saturation jitter. The random draws come from ``generator`` (on the CPU), so a
    seed gives the same views on every device; the image work runs where ``x`` is (on a
    GPU, off the CPU's critical path)."""
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 3:
        raise ValueError("x must be a tensor of images (N, 3, height, width)")
    theta = _random_affine(x.shape[0], generator, x.device)
    return _jitter(_warp(x, size, theta), generator)


def eval_view(x: torch.Tensor, size: int, crop: float = 1.0) -> torch.Tensor:
    """Validation/test view: the central ``crop`` fraction of the stored image, resized
    to ``size`` and normalised. Training crops keep 70-100% of the image, so a central
    crop shows objects at the scale the network was trained on."""
    x = x.float() / 255
    if crop < 1.0:
        side = x.shape[-1]
        keep = round(side * crop)
        start = (side - keep) // 2
        x = x[..., start : start + keep, start : start + keep]
    if x.shape[-1] != size:
        x = F.interpolate(
            x, size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
    return _normalise(x)
