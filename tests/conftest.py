"""Shared fixtures: where the shared data copy is, a torch thread setting for tests, and
for the browser tests the built book's server and two browsers (1280 px and a phone)."""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import settings
from PIL import Image

from hw2 import loss_curves

# Property tests: no per-example deadline (first calls into torch are slow). In CI
# (CI set, as .ci/run does) derandomised, so a run tests the same examples every time;
# elsewhere random, with failures kept in .hypothesis/ and tried again first, so each
# local run explores new cases.
settings.register_profile("ci", deadline=None, max_examples=50, derandomize=True)
settings.register_profile("dev", deadline=None, max_examples=50, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parents[1]
SHARED_ZIP = ROOT.parent / "shared" / "data" / "cats_and_dogs_filtered.zip"
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "scripts"))
import browser  # noqa: E402  (scripts/browser.py: which browser, with which flags)

torch.set_num_threads(1)

# A short, easy LSTM recipe (4 epochs): what the replay and jump tests train.
EASY = loss_curves.Recipe(
    difficulty="EASY", batch_size=100, lr=3e-3, clip=1.0, schedule="cosine", warmup=5, epochs=4
)


@pytest.fixture(scope="session")
def shared_zip() -> Path:
    """The project's local copy of the public archive (never committed)."""
    env = os.environ.get("HW2_SHARED_ZIP")
    path = Path(env) if env else SHARED_ZIP
    if not path.is_file():
        pytest.skip(f"no local copy of the archive at {path}")
    return path


@pytest.fixture(params=["cpu", "cuda"])
def device(request) -> str:
    """Each device a trainer should run on: the CPU always, CUDA where there is one."""
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    return request.param


@pytest.fixture
def easy_run(tmp_path, monkeypatch):
    """A short run of the LSTM on the EASY task (cached in a temporary folder): the
    history the replay and jump tests read."""
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    return loss_curves.train(EASY)[1]


@pytest.fixture
def easy_model(easy_run, tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    return loss_curves.train(EASY)[0]  # from the cache: the same run


def _make_folder(root, n=12, size=(40, 30)):
    """A tiny cats-vs-dogs folder under ``root``: ``n`` dark cats and ``n`` bright dogs
    per split, as the homework's data is laid out."""
    rng = np.random.default_rng(0)
    for split in ["train", "validation"]:
        for cls, colour in [("cats", 60), ("dogs", 190)]:
            folder = root / split / cls
            folder.mkdir(parents=True)
            for i in range(n):
                pixels = rng.normal(colour, 30, (*size[::-1], 3)).clip(0, 255)
                Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{cls}.{i}.jpg")
    return root


@pytest.fixture(scope="session")
def make_folder():
    """The function that writes a tiny image folder (:func:`_make_folder`)."""
    return _make_folder


@pytest.fixture(scope="session")
def server():
    """The built book (``_build/html``) served on a free local port: its address."""
    if not (HTML / "index.html").is_file():
        pytest.fail("no built book: run `bash scripts/build_book.sh` before the tests")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _chrome(tmp_path_factory, width: int):
    """The machine's own browser (Debian's chromium and chromedriver, or HW2_CHROME and
    HW2_CHROMEDRIVER), ``width`` CSS px wide; skipped where it is missing, unless
    HW2_REQUIRE_BROWSER=1."""
    chromium, chromedriver = browser.chrome() or "", browser.chromedriver()
    if not (chromium and os.access(chromium, os.X_OK) and os.access(chromedriver, os.X_OK)):
        if os.environ.get("HW2_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HW2_REQUIRE_BROWSER=1 but {chromium} or {chromedriver} is missing")
        pytest.skip(f"no browser: {chromium} or {chromedriver} is missing")
    return browser.webdriver(width, str(tmp_path_factory.mktemp("chromium-profile")), logs=True)


# One browser of each width per test module, reused across its pages.
@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    """A desktop reader's browser, 1280 px wide."""
    drv = _chrome(tmp_path_factory, 1280)
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    """A phone's browser: 390 px wide, touch events, a phone's user agent."""
    drv = _chrome(tmp_path_factory, browser.PHONE)
    yield drv
    drv.quit()
