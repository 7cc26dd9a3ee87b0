#!/usr/bin/env bash
# Run every test: ruff, unit tests of src/hw2, nbmake on the notebooks, and checks of
# the built HTML (build the book first with scripts/build_book.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
ruff check src tests benchmarks book scripts  # notebooks included
ensure_browser  # for the browser check (scripts/env.sh)
pytest tests "$@"
pytest --nbmake --nbmake-timeout=900 book/*.ipynb
