"""The machine's own headless browser, never a downloaded one: one place that says which
(``HW2_CHROME`` and ``HW2_CHROMEDRIVER`` if set, else Debian's chromium and chromedriver,
else Google Chrome) and with which flags. Used by book_pdf.py, screenshot.py and
tests/test_browser.py.
"""

from __future__ import annotations

import os
import shutil

FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run")


def chrome() -> str:
    """The browser's path (it may not exist: callers check)."""
    found = (os.environ.get("HW2_CHROME") or shutil.which("chromium")
             or shutil.which("google-chrome"))
    return found or "/usr/bin/chromium"


def chromedriver() -> str:
    """The matching WebDriver's path (it may not exist: callers check)."""
    return (os.environ.get("HW2_CHROMEDRIVER") or shutil.which("chromedriver")
            or "/usr/bin/chromedriver")
