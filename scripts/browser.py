"""The machine's own headless browser, never a downloaded one: one place that says which
and with which flags. Used by book_pdf.py, screenshot.py and the browser tests
(tests/conftest.py makes their browsers with :func:`webdriver`; :func:`open_page` and
:func:`unfold` are what every browser test does first).

Chrome, Chromium and Edge all print with the same flags. Looked for in this order:
``HW2_CHROME`` if set; each of :data:`NAMES` on the PATH; then where installers put
them outside the PATH (:func:`candidates`: macOS application folders, the system's and
the user's, and the usual Linux and Windows folders).
"""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# Command names of Chromium-based browsers, most specific first.
NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
    "microsoft-edge-stable",
    "msedge",
)
# macOS application bundles and the executable inside each.
MAC_APPS = {
    "Google Chrome.app": "Google Chrome",
    "Chromium.app": "Chromium",
    "Microsoft Edge.app": "Microsoft Edge",
    "Google Chrome Canary.app": "Google Chrome Canary",
}
# Open every folded solution and cell of a page (the reader's taps, all at once).
UNFOLD = (
    "document.querySelectorAll('button.toggle-button').forEach(b => b.click());"
    "document.querySelectorAll('details').forEach(d => d.open = true);"
)
# The book's pages (the browser tests open each) and a phone's width in CSS px.
PAGES = (
    "intro",
    "conv",
    "gated_rnn",
    "attention_rnn",
    "loss_curves",
    "catsdogs",
    "echo",
    "exec_report",
    "references",
)
PHONE = 390
HINT = (
    "install Chrome, Chromium or Edge (or set HW2_CHROME to one), then run "
    "`python scripts/book_pdf.py _build/pdf/_build/singlehtml _build/html/book.pdf`"
)


def candidates(system: str | None = None, home: Path | None = None) -> list[Path]:
    """Where browsers live outside the PATH on ``system`` (``platform.system()``)."""
    system = system or platform.system()
    home = home or Path.home()
    if system == "Darwin":
        return [
            root / app / "Contents" / "MacOS" / exe
            for root in (Path("/Applications"), home / "Applications")
            for app, exe in MAC_APPS.items()
        ]
    if system == "Windows":
        roots = [
            Path(os.environ.get(v, ""))
            for v in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
            if os.environ.get(v)
        ]
        return [
            root / sub
            for root in roots
            for sub in (
                Path("Google/Chrome/Application/chrome.exe"),
                Path("Microsoft/Edge/Application/msedge.exe"),
                Path("Chromium/Application/chrome.exe"),
            )
        ]
    return [
        Path("/usr/bin/chromium"),
        Path("/usr/lib/chromium/chromium"),
        Path("/opt/google/chrome/chrome"),
        Path("/opt/microsoft/msedge/msedge"),
        Path("/snap/bin/chromium"),
    ]


def chrome(system: str | None = None, home: Path | None = None) -> str | None:
    """The browser's path, or None if this machine has none."""
    if os.environ.get("HW2_CHROME"):
        return os.environ["HW2_CHROME"]
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    for path in candidates(system, home):
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def chromedriver() -> str:
    """The matching WebDriver's path (it may not exist: callers check)."""
    return (
        os.environ.get("HW2_CHROMEDRIVER")
        or shutil.which("chromedriver")
        or "/usr/bin/chromedriver"
    )


def webdriver(width: int, profile: str, logs: bool = False):
    """A headless Selenium Chrome ``width`` CSS px wide; below 640 px a phone (its
    viewport, touch events and user agent). ``profile``: an empty folder for its profile;
    ``logs``: keep the console's messages (``get_log("browser")``)."""
    from selenium import webdriver as wd
    from selenium.webdriver.chrome.service import Service

    options = wd.ChromeOptions()
    options.binary_location = chrome() or "chromium"
    for flag in [
        *FLAGS,
        "--disable-quic",
        f"--window-size={width},1600",
        f"--user-data-dir={profile}",
    ]:
        options.add_argument(flag)
    if width < 640:
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": width, "height": 844, "pixelRatio": 1.0, "touch": True}},
        )
    if logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return wd.Chrome(service=Service(executable_path=chromedriver()), options=options)


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
            " && MathJax.startup.promise !== undefined))"
        )
    )
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (!window.MathJax) { done(true); return; }"
        "MathJax.startup.promise.then(() => done(true), () => done(false));"
    )


def unfold(driver) -> None:
    """Open every solution and folded cell, then let the page settle (hw2.js refits the
    math of what opened)."""
    driver.execute_script(UNFOLD)
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 300)));"
    )
