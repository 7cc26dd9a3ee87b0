#!/usr/bin/env bash
# Build the book: make the environment, execute every page, write HTML to _build/html.
# Any cell error or Sphinx warning fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
start=$(date +%s)
jupyter-book build . --warningiserror --nitpick --keep-going
echo "==> book built in $(( $(date +%s) - start )) s"
echo "==> open file://$PWD/_build/html/index.html"
