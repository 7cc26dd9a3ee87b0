"""Open the built book in a headless browser, as a desktop reader (1280 px) and as a
phone (390 px, touch, mobile emulation): math rendered, no console errors, every image
loaded; the chapter and contents drawers open on a tap; no equation, inline formula,
inline code or table hides part of itself (a box that must scroll shows that it does).
Uses the machine's own browser, never a downloaded one: Debian's
chromium and chromedriver by default, or the ones named by ``HW2_CHROME`` and
``HW2_CHROMEDRIVER`` (CI uses the GitHub runner's Chrome). Skipped where they are
missing, unless HW2_REQUIRE_BROWSER=1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
# scripts/browser.py: the pages, a phone's width, how to open a page and unfold it.
from browser import PAGES, PHONE, open_page, unfold  # noqa: E402

# The built book's server and the two browsers (driver: 1280 px; phone: 390 px, touch,
# mobile emulation) are fixtures of tests/conftest.py.
pytestmark = pytest.mark.browser


def test_intro_renders_math_images_and_no_console_errors(driver, server, tmp_path):
    open_page(driver, f"{server}/book/intro.html")
    rendered = driver.execute_script("return document.querySelectorAll('mjx-container').length")
    assert rendered >= 5
    body = driver.execute_script("return document.querySelector('article').innerText")
    assert "\\ln" not in body and "$\\ell" not in body, "raw TeX left on the page"
    broken = driver.execute_script(
        "return Array.from(document.images)"
        ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert broken == []
    # The browser's own request for /favicon.ico is not part of the page.
    errors = [
        e
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]
    ]
    assert errors == []
    driver.save_screenshot(str(ROOT / "_build" / "intro-screenshot.png"))


# Every figure the article shows: which rendering the browser chose, where it is, and
# the CSS px height of its smallest text (the rendering's own figure in data-text-px,
# scaled by how large the browser draws it). See hw2.plotting.figure_html.
FIGURES = """
return Array.from(document.querySelectorAll('article picture img'))
  .filter(i => i.getBoundingClientRect().width > 0)
  .map(i => {
    const source = i.parentElement.querySelector('source');
    const phone = source !== null && i.currentSrc === source.srcset;
    const r = i.getBoundingClientRect();
    const text = parseFloat((phone ? source : i).dataset.textPx) * r.width / i.naturalWidth;
    return {kind: i.parentElement.className, phone: phone, text: text,
            left: r.left, right: r.right};
  });
"""
FIGURE_PAGES = ["conv", "gated_rnn", "attention_rnn", "loss_curves", "catsdogs", "echo"]


@pytest.mark.parametrize("page", FIGURE_PAGES)
def test_on_a_phone_every_figure_is_whole_on_screen_and_legible(phone, server, page):
    """At 390 px every figure is whole on screen, its smallest text at least 8 CSS px:
    a plot or a grid of images shows its phone rendering, a diagram shrinks to fit (it
    is drawn for that: hw2.diagrams); no figure is left to scroll (hw2-fixed)."""
    open_page(phone, f"{server}/book/{page}.html")
    unfold(phone)
    figures = phone.execute_script(FIGURES)
    assert figures, "no figure measured"
    for figure in figures:
        assert figure["kind"] in ("hw2-plot", "hw2-diagram"), figure
        assert figure["text"] >= 8, figure
        assert figure["left"] >= 0 and figure["right"] <= PHONE, figure
        assert figure["phone"] == (figure["kind"] == "hw2-plot"), figure
    # Every image in a cell's output is a measured figure (none bypasses figure_html).
    assert (
        phone.execute_script(
            "return document.querySelectorAll('article div.cell_output img:not(picture img)')"
            ".length"
        )
        == 0
    )


# The size of the page's small text (a <small> in the article), in CSS px.
SMALL_TEXT = """
const small = document.createElement('small');
small.textContent = 'x';
document.querySelector('article').appendChild(small);
const px = parseFloat(getComputedStyle(small).fontSize);
small.remove();
return px;
"""


@pytest.mark.parametrize("page", FIGURE_PAGES)
def test_at_desktop_width_figure_text_is_legible_and_diagram_labels_are_large(driver, server, page):
    """At 1280 px every plot's smallest text is at least 8 CSS px, and a diagram's
    labels at least the size of the page's small text."""
    open_page(driver, f"{server}/book/{page}.html")
    unfold(driver)
    small = driver.execute_script(SMALL_TEXT)
    assert small >= 12, small  # the theme's small text, about 14 px
    for figure in driver.execute_script(FIGURES):
        assert not figure["phone"]
        least = small if figure["kind"] == "hw2-diagram" else 8
        assert figure["text"] >= least, (figure, least)


# Each equation, inline formula, inline code, table and image in the article: how many
# CSS px of it no one can see (clipped by a box that does not scroll, or off the page).
# Inside a box marked hw2-scrolls (it scrolls and shows that it does, book/_static/hw2.js)
# everything can be reached. Code blocks scroll by convention and are not measured.
HIDDEN = """
const found = [];
for (const e of document.querySelectorAll(
    'article mjx-container, article code, article table, article img')) {
  if (e.closest('pre')) continue;
  const r = e.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  let left = 0, right = document.documentElement.clientWidth, reachable = false;
  for (let a = e.parentElement; a && !reachable; a = a.parentElement) {
    const s = getComputedStyle(a);
    reachable = a.classList.contains('hw2-scrolls');
    if (reachable || s.overflowX === 'visible') continue;
    const b = a.getBoundingClientRect();
    left = Math.max(left, b.left); right = Math.min(right, b.right);
  }
  const own = !e.classList.contains('hw2-scrolls') && getComputedStyle(e).overflowX !== 'visible'
    ? e.scrollWidth - e.clientWidth : 0;
  if (reachable) continue;
  const hidden = own + Math.max(0, left - r.left) + Math.max(0, r.right - right);
  if (hidden > 3) found.push([e.tagName.toLowerCase(), Math.round(hidden),
                              (e.textContent || e.getAttribute('src') || '').trim().slice(0, 50)]);
}
return found;
"""


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("width", [PHONE, 1280])
def test_nothing_is_cut(driver, phone, server, page, width):
    """Every solution open: no equation, inline formula or code, table or figure has a
    part wider than 3 px that cannot be seen, and the page never scrolls sideways."""
    drv = phone if width == PHONE else driver
    open_page(drv, f"{server}/book/{page}.html")
    unfold(drv)
    viewport, page_width = drv.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]"
    )
    assert page_width <= viewport
    assert drv.execute_script(HIDDEN) == []


# Every code box in the article (a code cell's source, a listing; not a cell's output)
# that scrolls sideways: by how many CSS px, and its longest line's length and start.
CODE_THAT_SCROLLS = """
return Array.from(document.querySelectorAll('article div.highlight pre'))
  .filter(p => !p.closest('.cell_output') && p.getBoundingClientRect().width > 0)
  .filter(p => p.scrollWidth > p.clientWidth + 1)
  .map(p => {
    const longest = p.textContent.split('\\n').reduce((a, b) => b.length > a.length ? b : a);
    return [p.scrollWidth - p.clientWidth, longest.length, longest.slice(0, 50)];
  });
"""
# The fewest characters of code that fit on a line of any code box in the article (each
# box's text made a line of N characters, for growing N, then put back), and the
# smallest size of its type in CSS px.
CODE_LINE_FITS = """
let least = 1000, size = 1000;
for (const pre of document.querySelectorAll('article div.highlight pre')) {
  if (pre.closest('.cell_output') || pre.getBoundingClientRect().width === 0) continue;
  const text = pre.innerHTML;
  let n = 40;
  for (; n < 200; n++) {
    pre.textContent = 'x'.repeat(n + 1);
    if (pre.scrollWidth > pre.clientWidth + 1) break;
  }
  pre.innerHTML = text;
  least = Math.min(least, n);
  size = Math.min(size, parseFloat(getComputedStyle(pre).fontSize));
}
return [least, size];
"""
CODE_LINE = 79  # the longest line of code a page may have (HELPERS.md, ruff's setting)


@pytest.mark.parametrize("page", PAGES)
def test_at_desktop_width_no_code_box_scrolls_sideways(driver, server, page):
    """At 1280 px, every solution open, no code cell or listing scrolls sideways."""
    open_page(driver, f"{server}/book/{page}.html")
    unfold(driver)
    scrolls = driver.execute_script(CODE_THAT_SCROLLS)
    assert scrolls == [], (
        "code boxes that scroll sideways [by px, longest line's "
        f"length (at most {CODE_LINE}), its start]: {scrolls}"
    )


@pytest.mark.parametrize("page", ["conv", "loss_curves"])
def test_at_desktop_width_every_code_box_holds_a_full_line(driver, server, page):
    """At 1280 px a line of CODE_LINE characters fits in every code box, at the page's
    top level, in a solution and in a box inside a solution (hw2.css), in type no
    smaller than 11.5 CSS px."""
    open_page(driver, f"{server}/book/{page}.html")
    unfold(driver)
    fits, size = driver.execute_script(CODE_LINE_FITS)
    assert fits >= CODE_LINE, fits
    assert 11.5 <= size <= 14, size


def _drawer(drv, side: str) -> list[float]:
    """Left and right edge of a sidebar, or [] while it is not visible."""
    return drv.execute_script(
        "const e = document.querySelector(arguments[0]); const b = e.getBoundingClientRect();"
        "return getComputedStyle(e).visibility === 'visible' ? [b.left, b.right] : [];",
        f".bd-sidebar-{side}",
    )


@pytest.mark.parametrize("side", ["primary", "secondary"])
def test_on_a_phone_both_drawers_open_on_a_tap_and_close(phone, server, side):
    """At 390 px, tapping the chapters button (primary) or the contents button
    (secondary) slides its drawer onto the screen; tapping beside it closes it."""
    from selenium.webdriver.common.by import By

    open_page(phone, f"{server}/book/conv.html")
    assert _drawer(phone, side) == []
    button = [
        b for b in phone.find_elements(By.CSS_SELECTOR, f".{side}-toggle") if b.is_displayed()
    ]
    assert len(button) == 1
    button[0].click()
    phone.execute_async_script("setTimeout(arguments[arguments.length - 1], 600)")
    left, right = _drawer(phone, side)
    assert 0 <= left and right <= PHONE and right - left > PHONE / 2
    # Tap the page beside the drawer.
    x = PHONE - 10 if side == "primary" else 10
    phone.execute_script(f"document.elementFromPoint({x}, 400).click()")
    phone.execute_async_script("setTimeout(arguments[arguments.length - 1], 600)")
    assert _drawer(phone, side) == []


def test_at_desktop_width_the_chapters_button_hides_and_shows_the_chapter_list(driver, server):
    from selenium.webdriver.common.by import By

    open_page(driver, f"{server}/book/conv.html")
    assert _drawer(driver, "primary")[0] >= 0
    button = driver.find_element(By.CSS_SELECTOR, ".primary-toggle")
    button.click()
    driver.execute_async_script("setTimeout(arguments[arguments.length - 1], 600)")
    assert _drawer(driver, "primary") == []
    button.click()
    driver.execute_async_script("setTimeout(arguments[arguments.length - 1], 600)")
    assert _drawer(driver, "primary")[0] >= 0


def test_tapping_anywhere_on_a_solution_title_opens_the_solution(phone, server):
    """The "Exercise N" link that fills most of a "Solution to Exercise N" title does
    not take the tap: the solution opens and the page stays where it is."""
    open_page(phone, f"{server}/book/conv.html")
    url = phone.current_url
    opened = phone.execute_script("""
        const link = document.querySelector('div.solution > .admonition-title a.reference');
        const box = link.closest('div.solution');
        link.scrollIntoView({block: 'center', behavior: 'instant'});
        const r = link.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        const before = box.classList.contains('toggle-hidden');
        hit.click();
        return [hit.tagName, before, box.classList.contains('toggle-hidden')];""")
    assert opened[0] != "A" and opened[1:] == [True, False]
    assert phone.current_url == url
