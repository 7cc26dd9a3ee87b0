#!/usr/bin/env bash
# Build the book: make the environment, execute every page, write HTML to _build/html.
# Any cell error or Sphinx warning fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
start=$(date +%s)
# jupyter-cache keys an executed page on the page's own text, but every page also runs
# hw2: when the package's source changes, drop the executed pages so all run again.
source_hash="$(find src/hw2 -name '*.py' -print0 | sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1)"
if [ "$(cat _build/.hw2-source 2>/dev/null || true)" != "$source_hash" ]; then
  rm -rf _build/.jupyter_cache
fi
jupyter-book build . --warningiserror --nitpick --keep-going
echo "$source_hash" > _build/.hw2-source
echo "==> book built in $(( $(date +%s) - start )) s"
echo "==> open file://$PWD/_build/html/index.html"
