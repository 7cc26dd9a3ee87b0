"""Download, verify and extract the cats-vs-dogs archive (practical part A).

:func:`cats_and_dogs` returns the folder ``.../cats_and_dogs_filtered`` with
``train/{cats,dogs}`` and ``validation/{cats,dogs}``. The first call downloads the
public zip (progress bar, retries), extracts it into a temporary folder beside the
cache, checks the four folders' image counts and every file's sha256 against the
manifest shipped with the package, and only then renames the folder into place. So a
folder at the final path is always complete; an interrupted download or extraction
leaves nothing that later looks finished. Later calls reuse the cache with no network.

Settings (argument first, then environment variable, then default):

- ``url`` / ``HW2_DATA_URL``: where the zip comes from (``https://``, ``http://`` or
  ``file://``); tests and CI point it at a local copy.
- ``root`` / ``HW2_DATA_DIR``: the cache folder (default: the user's cache directory).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import sys
import tempfile
import time
import urllib.request
import zipfile
from importlib import resources
from pathlib import Path

import platformdirs
from tqdm import tqdm

from ._validate import check_int
from .runtime import shows_progress

__all__ = [
    "CATS_AND_DOGS_URL",
    "EXPECTED_COUNTS",
    "DatasetError",
    "cats_and_dogs",
    "data_root",
    "identity",
    "verify_tree",
]

CATS_AND_DOGS_URL = "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"
ARCHIVE_DIR = "cats_and_dogs_filtered"
EXPECTED_COUNTS = {
    "train/cats": 1000,
    "train/dogs": 1000,
    "validation/cats": 500,
    "validation/dogs": 500,
}
_CHUNK = 1 << 20


class DatasetError(RuntimeError):
    """The archive could not be downloaded, or what arrived is not the expected data."""


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: ``root``, else ``HW2_DATA_DIR``, else the user's cache dir."""
    if root is not None:
        return Path(root)
    env = os.environ.get("HW2_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("hw2")) / "data"


def _manifest() -> dict[str, str]:
    text = resources.files("hw2").joinpath("manifests/cats_and_dogs_filtered.sha256").read_text()
    pairs = (line.split("  ", 1) for line in text.splitlines() if line.strip())
    return {name: digest for digest, name in pairs}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def verify_tree(folder: str | os.PathLike[str]) -> None:
    """Check an extracted ``cats_and_dogs_filtered`` folder: counts and sha256 of every file.

    Raises :class:`DatasetError` naming the first problem found.
    """
    folder = Path(folder)
    for sub, expected in EXPECTED_COUNTS.items():
        found = len(list((folder / sub).glob("*.jpg")))
        if found != expected:
            raise DatasetError(f"{folder / sub}: expected {expected} images, found {found}")
    base = folder.parent
    for name, digest in _manifest().items():
        path = base / name
        if not path.is_file():
            raise DatasetError(f"missing file {path}")
        if _sha256(path) != digest:
            raise DatasetError(f"sha256 mismatch for {path}")


def identity(folder: str | os.PathLike[str] | None = None) -> str:
    """What a data folder holds, wherever it sits: sha256 over every file's path inside
    the folder and its sha256. Results computed from the data are keyed on this, so the
    same data in another folder reuses them. ``None`` means the downloader's folder."""
    folder = Path(folder) if folder is not None else cats_and_dogs()
    if not folder.is_dir():
        raise ValueError(f"folder {folder} is not a directory")
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f"{path.relative_to(folder).as_posix()} {_sha256(path)}\n".encode())
    return h.hexdigest()


def _download(url: str, dest: Path, retries: int, progress: bool | None) -> None:
    """Fetch ``url`` into ``dest``, retrying with back-off; a short transfer is an error."""
    last: Exception | None = None
    for attempt in range(1, retries + 1):
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
                total = response.headers.get("Content-Length")
                total = int(total) if total else None
                received = 0
                # Shown by hw2.runtime's rule, on stdout like every bar.
                with tqdm(
                    total=total,
                    unit="B",
                    unit_scale=True,
                    disable=not shows_progress(progress),
                    desc="cats_and_dogs_filtered.zip",
                    file=sys.stdout,
                    mininterval=2.0,
                    ncols=72,
                    ascii=True,
                ) as bar:
                    for block in iter(lambda: response.read(_CHUNK), b""):
                        out.write(block)
                        received += len(block)
                        bar.update(len(block))
                if total is not None and received != total:
                    raise DatasetError(f"transfer cut short: {received} of {total} bytes")
            return
        except (OSError, http.client.HTTPException, DatasetError) as err:
            last = err
            if attempt < retries:
                time.sleep(min(2.0 ** (attempt - 1), 8.0))
    raise DatasetError(
        f"could not download {url} after {retries} attempts ({last}).\n"
        f"Download the zip by hand from {CATS_AND_DOGS_URL} and either set "
        f"HW2_DATA_URL=file:///path/to/cats_and_dogs_filtered.zip, or extract it so that "
        f"{data_root() / ARCHIVE_DIR} holds train/ and validation/ (or set HW2_DATA_DIR "
        f"to the folder that contains {ARCHIVE_DIR}/)."
    )


def cats_and_dogs(
    root: str | os.PathLike[str] | None = None,
    url: str | None = None,
    retries: int = 3,
    progress: bool | None = None,
) -> Path:
    """Return the verified ``cats_and_dogs_filtered`` folder, downloading it if needed.

    Practical part A, step 1. See the module docstring for ``root`` and ``url``.
    """
    check_int("retries", retries, low=1)
    root_dir = data_root(root)
    final = root_dir / ARCHIVE_DIR
    if final.is_dir():
        return final
    url = url or os.environ.get("HW2_DATA_URL") or CATS_AND_DOGS_URL
    root_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".partial-", dir=root_dir))
    try:
        archive = work / "archive.zip"
        _download(url, archive, retries, progress)
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(work / "tree")
        except (zipfile.BadZipFile, EOFError, OSError) as err:
            raise DatasetError(f"{url} is not a readable zip archive: {err}") from err
        verify_tree(work / "tree" / ARCHIVE_DIR)
        try:
            os.replace(work / "tree" / ARCHIVE_DIR, final)
        except OSError:
            if not final.is_dir():  # another process may have finished first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final
