"""Print the whole book to one PDF: every page, math rendered, figures in, solutions open.

Called by build_book.sh after the single-page build (``_build/pdf/_build/singlehtml``).
It opens that page in the machine's own headless browser (browser.py says which),
unfolds every solution, waits for MathJax, and prints.
The PDF is written beside the target and renamed into place, so a reader never downloads
half a file.

    python scripts/book_pdf.py SINGLEHTML_DIR OUTPUT.pdf
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import browser

# Unfold every solution and wait for MathJax, then tell Chromium the page is ready.
UNFOLD = """
<style>@media print { .toggle-hidden, details > * { display: block !important; }
  .bd-sidebar-primary, .bd-sidebar-secondary, .bd-header, .bd-footer,
  .header-article, .prev-next-area, button.toggle-button { display: none !important; }
  pre { white-space: pre-wrap !important; word-break: break-all; } }
</style>
<script>
window.addEventListener("load", () => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  document.querySelectorAll(".toggle-hidden").forEach(e => e.classList.remove("toggle-hidden"));
  document.querySelectorAll("button.toggle-button").forEach(b => b.remove());
});
</script>
"""


def main(singlehtml: Path, output: Path) -> None:
    index = singlehtml / "index.html"
    text = index.read_text(encoding="utf-8")
    redirect = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', text)
    if redirect:  # Jupyter Book's root is a page of its own: index.html only points to it
        index = singlehtml / redirect.group(1)
        text = index.read_text(encoding="utf-8")
    # The single page links its assets from the output root (_static/, _images/).
    printable = singlehtml / "print.html"
    printable.write_text(text.replace("</head>", UNFOLD + "</head>", 1), encoding="utf-8")
    chrome = browser.chrome()
    if not os.access(chrome, os.X_OK):
        raise SystemExit(f"book_pdf: no browser at {chrome} (set HW2_CHROME)")
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, suffix=".pdf.tmp")
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [chrome, *browser.FLAGS, f"--user-data-dir={profile}",
                 "--virtual-time-budget=60000", "--no-pdf-header-footer",
                 f"--print-to-pdf={tmp}", printable.resolve().as_uri()],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        if os.path.getsize(tmp) < 100_000:
            raise SystemExit(f"book_pdf: the printed PDF is only {os.path.getsize(tmp)} bytes")
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"==> PDF: {output} ({output.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
