#!/usr/bin/env bash
# Build the book: make the environment, execute every page, write HTML to _build/html
# and the whole book as one PDF to _build/html/book.pdf.
# Any cell error or Sphinx warning fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
start=$(date +%s)
# Trainers report how far they have come to this file (executed pages keep no progress
# bars); the terminal follows it while pages execute.
export HW2_PROGRESS_LOG="$PWD/_build/progress.log"
mkdir -p _build && : > "$HW2_PROGRESS_LOG"
tail -n 0 -F "$HW2_PROGRESS_LOG" 2>/dev/null &
follower=$!
trap 'kill "$follower" 2>/dev/null || true' EXIT
# A page re-executes when its text or a hw2 module it imports changes (book/_ext/hw2_sphinx.py);
# trained results are reused unless their own module's source changed (src/hw2/cache.py).
jupyter-book build . --warningiserror --nitpick --keep-going
# The whole book as one PDF: a single-page build of the same executed pages (the shared
# jupyter-cache: nothing runs again), printed by the machine's own browser.
jupyter-book build . --builder singlehtml --path-output _build/pdf --warningiserror --nitpick --keep-going
ensure_browser
python scripts/book_pdf.py _build/pdf/_build/singlehtml _build/html/book.pdf
echo "==> book built in $(( $(date +%s) - start )) s"
echo "==> open file://$PWD/_build/html/index.html"
