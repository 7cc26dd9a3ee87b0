"""Screenshot built pages in the machine's headless browser, solutions unfolded or not.

    python scripts/screenshot.py conv echo   # -> _build/screenshots/conv-1280-01.png ...
    python scripts/screenshot.py --width 390 --folded conv   # a phone, solutions folded
    python scripts/screenshot.py --dark conv   # the theme's dark mode

For looking at the book as a reader does; the automated checks are tests/test_browser.py
and tests/test_a11y.py.
"""

from __future__ import annotations

import argparse
import base64
import tempfile
from pathlib import Path

import browser
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "screenshots"
PART = 4000  # CSS px of page in one file


def main(
    pages: list[str], width: int = 1280, folded: bool = False, dark: bool = False
) -> list[Path]:
    """Screenshot each page whole at ``width`` CSS px, in the theme's light or ``dark``
    mode; returns the files."""
    OUT.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = browser.chrome() or "chromium"
    for flag in [
        *browser.FLAGS,
        f"--window-size={width},1000",
        f"--user-data-dir={tempfile.mkdtemp()}",
    ]:
        options.add_argument(flag)
    if width < 640:  # a phone: its viewport, touch and user agent
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": width, "height": 844, "pixelRatio": 1.0, "touch": True}},
        )
    driver = webdriver.Chrome(service=Service(browser.chromedriver()), options=options)
    paths = []
    try:
        for page in pages:
            url = (ROOT / "_build" / "html" / "book" / f"{page}.html").as_uri()
            driver.get(url)
            # The theme reads its mode from localStorage as the page loads.
            mode = "dark" if dark else "light"
            if driver.execute_script("return localStorage.getItem('mode')") != mode:
                driver.execute_script(
                    "localStorage.setItem('mode', arguments[0]);"
                    "localStorage.setItem('theme', arguments[0]);",
                    mode,
                )
                driver.get(url)
            if not folded:
                driver.execute_script(browser.UNFOLD)
            driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "setTimeout(() => (window.MathJax && MathJax.startup ?"
                " MathJax.startup.promise : Promise.resolve()).then(done), 1500);"
            )
            height = driver.execute_script(
                "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)"
            )
            # The whole page, in parts a browser paints in one go.
            stem = f"{page}-{width}{'-folded' if folded else ''}{'-dark' if dark else ''}"
            for part, top in enumerate(range(0, height, PART)):
                # Scrolled to the part, and settled: a capture beyond the viewport lays
                # the page out again, and hw2.js refits code and math to it.
                driver.execute_script("window.scrollTo(0, arguments[0])", top)
                driver.execute_async_script(
                    "const done = arguments[arguments.length - 1];"
                    "requestAnimationFrame(() => setTimeout(done, 300));"
                )
                shot = driver.execute_cdp_cmd(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {
                            "x": 0,
                            "y": top,
                            "width": width,
                            "height": min(PART, height - top),
                            "scale": 1,
                        },
                    },
                )
                path = OUT / f"{stem}-{part + 1:02d}.png"
                path.write_bytes(base64.b64decode(shot["data"]))
                paths.append(path)
                print(path)
    finally:
        driver.quit()
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", default=["intro"])
    parser.add_argument("--width", type=int, default=1280, help="CSS px (< 640: a phone)")
    parser.add_argument("--folded", action="store_true", help="leave solutions folded")
    parser.add_argument("--dark", action="store_true", help="the theme's dark mode")
    args = parser.parse_args()
    main(args.pages, args.width, args.folded, args.dark)
