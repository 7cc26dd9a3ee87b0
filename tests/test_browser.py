"""Open the built intro page in a headless browser: math rendered, no console errors,
every image loaded. Uses the machine's own browser, never a downloaded one: Debian's
chromium and chromedriver by default, or the ones named by ``HW2_CHROME`` and
``HW2_CHROMEDRIVER`` (CI uses the GitHub runner's Chrome). Skipped where they are
missing, unless HW2_REQUIRE_BROWSER=1."""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "scripts"))
import browser  # noqa: E402  (scripts/browser.py: which browser, with which flags)

CHROMIUM, CHROMEDRIVER = browser.chrome(), browser.chromedriver()

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
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


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        if os.environ.get("HW2_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HW2_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing")
        pytest.skip(f"no browser: {CHROMIUM} or {CHROMEDRIVER} is missing")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*browser.FLAGS, "--disable-quic", "--window-size=1280,1600",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield drv
    drv.quit()


def open_page(driver, url: str) -> None:
    """Load ``url`` and, where the page loads MathJax (pages with math), wait until it
    has typeset the page."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 60).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete'"
            " && (!document.querySelector('script[src*=\"mathjax\"]')"
            " || (window.MathJax !== undefined && MathJax.startup !== undefined"
            " && MathJax.startup.promise !== undefined))")
    )
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (!window.MathJax) { done(true); return; }"
        "MathJax.startup.promise.then(() => done(true), () => done(false));"
    )


def test_intro_renders_math_images_and_no_console_errors(driver, server, tmp_path):
    open_page(driver, f"{server}/book/intro.html")
    rendered = driver.execute_script("return document.querySelectorAll('mjx-container').length")
    assert rendered >= 5
    body = driver.execute_script("return document.querySelector('article').innerText")
    assert "\\ln" not in body and "$\\ell" not in body, "raw TeX left on the page"
    broken = driver.execute_script(
        "return Array.from(document.images)"
        ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert broken == []
    # The browser's own request for /favicon.ico is not part of the page.
    errors = [e for e in driver.get_log("browser")
              if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert errors == []
    driver.save_screenshot(str(ROOT / "_build" / "intro-screenshot.png"))


@pytest.mark.parametrize("page", ["gated_rnn", "catsdogs", "loss_curves"])
def test_on_a_phone_figures_stay_legible_and_only_their_box_scrolls(driver, server, page):
    """At 390 px the page itself never scrolls sideways; a plot drawn for the text column
    keeps at least 600 px (or its own width), scrolling inside its box."""
    driver.set_window_size(390, 900)
    try:
        open_page(driver, f"{server}/book/{page}.html")
        driver.execute_script(  # unfold every solution
            "document.querySelectorAll('button.toggle-button').forEach(b => b.click());"
            "document.querySelectorAll('details').forEach(d => d.open = true)")
        viewport, page_width = driver.execute_script(
            "return [document.documentElement.clientWidth,"
            " document.documentElement.scrollWidth]")
        assert page_width <= viewport
        shrunk = driver.execute_script(
            "return Array.from(document.querySelectorAll('div.cell_output img, figure img'))"
            ".filter(i => i.naturalWidth > 0 && i.getBoundingClientRect().width > 0)"
            ".filter(i => i.getBoundingClientRect().width + 1 < Math.min(i.naturalWidth, 600))"
            ".map(i => i.src)")
        assert shrunk == []
    finally:
        driver.set_window_size(1280, 1600)
