"""Screenshot built pages in the machine's headless browser, every solution unfolded.

    python scripts/screenshot.py conv echo   # -> _build/screenshots/conv.png ...

For looking at the book as a reader does; the automated check is tests/test_browser.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import browser
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "screenshots"


def main(pages: list[str], width: int = 1280) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = browser.chrome() or "chromium"
    for flag in [*browser.FLAGS, f"--window-size={width},1000",
                 f"--user-data-dir={tempfile.mkdtemp()}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(browser.chromedriver()), options=options)
    try:
        for page in pages:
            driver.get((ROOT / "_build" / "html" / "book" / f"{page}.html").as_uri())
            driver.execute_script(
                "document.querySelectorAll('button.toggle-button')"
                ".forEach(b => b.click());")
            driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "setTimeout(() => (window.MathJax && MathJax.startup ?"
                " MathJax.startup.promise : Promise.resolve()).then(done), 1500);")
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(width, min(height + 100, 16000))
            path = OUT / f"{page}.png"
            driver.save_screenshot(str(path))
            print(path)
    finally:
        driver.quit()


if __name__ == "__main__":
    main(sys.argv[1:] or ["intro"])
