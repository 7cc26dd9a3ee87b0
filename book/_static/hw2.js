/* The book's own script (added by _config.yml's html_js_files): math and code fit the
 * screen.
 *
 * An equation wider than its column (a display equation's box, an inline formula's
 * paragraph) is drawn smaller until it fits, down to MIN_SCALE of its size. A display
 * equation that still does not fit, and any table wider than its column, scrolls inside
 * its box, as does a figure kept at a legible width on a phone (hw2.css): such a box is
 * marked `hw2-scrolls`, and its edge fades where there is more to see; it takes the
 * keyboard's focus, and a plain box is a labelled region. On a wide screen a line of
 * 79 characters fits every code box (fitCode). Everything is
 * measured again whenever a column's width changes: a turned phone, an unfolded
 * solution.
 */
(function () {
  "use strict";
  // The print page (scripts/book_pdf.py) allows a smaller least scale.
  const MIN_SCALE = window.HW2_MIN_SCALE || 0.7;
  const SCROLLERS = "mjx-container[display='true'], .pst-scrollable-table-container, " +
    ".table-wrapper, div.cell_output .output, div.cell_output, figure";

  // The block whose width an inline formula may take.
  function blockOf(box) {
    return box.parentElement.closest("p, li, td, dd, dt, div, figcaption");
  }

  // A box that scrolls is marked, and says on which side there is more to see.
  function edges(box) {
    const more = box.scrollWidth - box.clientWidth;
    box.classList.toggle("hw2-more-left", box.scrollLeft > 1);
    box.classList.toggle("hw2-more-right", box.scrollLeft < more - 1);
  }

  // What a box that scrolls is called by a screen reader: its table's caption, if any.
  function labelOf(box) {
    const table = box.querySelector("table");
    const caption = table && table.querySelector("caption");
    const text = caption ? caption.textContent.replace(/\s+/g, " ").trim() : "";
    if (table) return text ? `Table: ${text} (scrolls sideways)` : "Table (scrolls sideways)";
    return "Content that scrolls sideways";
  }

  // A box that scrolls can be reached with the keyboard (WCAG 2.1.1): it takes the
  // focus, and a plain box says what it is. Only what this script added is taken away
  // when it no longer scrolls; a box with its own tab stop or role keeps it. (The
  // theme sets code boxes' tab stops when the page loads, while a folded cell's code
  // has no width yet: they are kept current here as cells open.)
  function reachable(box, scrolls) {
    if (scrolls && box.tabIndex < 0) {
      box.dataset.hw2Tab = box.getAttribute("tabindex") || "";
      box.setAttribute("tabindex", "0");
    } else if (!scrolls && box.dataset.hw2Tab !== undefined) {
      if (box.dataset.hw2Tab) box.setAttribute("tabindex", box.dataset.hw2Tab);
      else box.removeAttribute("tabindex");
      delete box.dataset.hw2Tab;
    }
    const plain = box.tagName === "DIV";
    if (scrolls && plain && !box.hasAttribute("role")) {
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", labelOf(box));
      box.dataset.hw2Region = "1";
    } else if (!scrolls && box.dataset.hw2Region) {
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
      delete box.dataset.hw2Region;
    }
  }

  function markScrolling(box) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("hw2-scrolls", scrolls);
    reachable(box, scrolls);
    if (scrolls && !box.dataset.hw2Edges) {
      box.dataset.hw2Edges = "1";
      box.addEventListener("scroll", () => edges(box), { passive: true });
    }
    if (scrolls) edges(box);
    else box.classList.remove("hw2-more-left", "hw2-more-right");
  }

  // The width the equation may take: its own box for a display equation, its
  // paragraph's content box for inline math.
  function room(box) {
    if (box.getAttribute("display") === "true") return box.clientWidth;
    const block = blockOf(box);
    if (!block) return 0;
    const style = getComputedStyle(block);
    return block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  }

  function fitEquation(box) {
    const math = box.querySelector("mjx-math");
    const width = room(box);
    if (!math || width <= 0) return;
    const scale = parseFloat(box.dataset.hw2Scale || "1");
    const natural = math.getBoundingClientRect().width / scale;
    const wanted = Math.max(MIN_SCALE, Math.min(1, (width - 2) / natural));
    if (Math.abs(wanted - scale) > 0.005) {
      if (box.dataset.hw2Font === undefined) box.dataset.hw2Font = box.style.fontSize || "";
      const base = parseFloat(box.dataset.hw2Font) || 100;
      box.style.fontSize = (base * wanted).toFixed(1) + "%";
      box.dataset.hw2Scale = String(wanted);
    }
    if (box.getAttribute("display") === "true") markScrolling(box);
  }

  // On a wide screen a line of CODE_LINE characters (the pages' longest line of code)
  // fits its code box: the code is drawn at the size that fits it, between
  // CODE_MIN_PX and the theme's size (a box in a solution is narrower than one at the
  // page's top level). On a phone code keeps the theme's size and scrolls.
  const CODE_LINE = 79;
  const CODE_MIN_PX = 11.5;
  const WIDE = window.matchMedia("(min-width: 960px)");
  const charWidths = new Map();  // font family -> width of a character at 1 px

  function charWidth(family) {
    if (!charWidths.has(family)) {
      const probe = document.createElement("span");
      probe.style.cssText = "position:absolute;visibility:hidden;white-space:pre;font-size:100px";
      probe.style.fontFamily = family;
      probe.textContent = "x".repeat(10);
      document.body.appendChild(probe);
      charWidths.set(family, probe.getBoundingClientRect().width / 1000);
      probe.remove();
    }
    return charWidths.get(family);
  }

  function fitCode(pre) {
    if (pre.dataset.hw2CodePx === undefined) {
      pre.dataset.hw2CodePx = getComputedStyle(pre).fontSize;  // the theme's size
    }
    const theme = parseFloat(pre.dataset.hw2CodePx);
    let size = theme;
    if (WIDE.matches && pre.clientWidth > 0) {
      const style = getComputedStyle(pre);
      const room = pre.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const fits = (room - 1) / (CODE_LINE * charWidth(style.fontFamily));
      size = Math.max(CODE_MIN_PX, Math.min(theme, fits));
    }
    const wanted = size === theme ? "" : size.toFixed(2) + "px";
    if (pre.style.fontSize !== wanted) pre.style.fontSize = wanted;
    reachable(pre, pre.scrollWidth > pre.clientWidth + 1);
  }

  function fit(box) {
    if (box.matches("mjx-container")) fitEquation(box);
    else if (box.matches("pre")) fitCode(box);
    else markScrolling(box);
  }

  function start() {
    const observer = new ResizeObserver((entries) => entries.forEach((e) => fit(e.target)));
    document.querySelectorAll(SCROLLERS + ", article pre").forEach((box) => {
      fit(box);
      observer.observe(box);
    });
    // Inline math: measured again when its paragraph changes width.
    const inline = new Map();
    document.querySelectorAll("mjx-container:not([display='true'])").forEach((box) => {
      const block = blockOf(box);
      if (!block) return;
      if (!inline.has(block)) inline.set(block, []);
      inline.get(block).push(box);
    });
    const paragraphs = new ResizeObserver((entries) =>
      entries.forEach((e) => inline.get(e.target).forEach(fitEquation)));
    inline.forEach((boxes, block) => {
      boxes.forEach(fitEquation);
      paragraphs.observe(block);
    });
  }

  function whenTypeset() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(start);
    } else if (document.querySelector("script[src*='mathjax']")) {
      setTimeout(whenTypeset, 50);
    } else {
      start();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", whenTypeset);
  else whenTypeset();
})();
