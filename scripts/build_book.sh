#!/usr/bin/env bash
# Build the book: make the environment, execute every page, write HTML to _build/html.
# Any cell error or Sphinx warning fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
start=$(date +%s)
# A page re-executes when its text or a hw2 module it imports changes (book/_ext/hw2_sphinx.py);
# trained results are reused unless their own module's source changed (src/hw2/cache.py).
jupyter-book build . --warningiserror --nitpick --keep-going
echo "==> book built in $(( $(date +%s) - start )) s"
echo "==> open file://$PWD/_build/html/index.html"
