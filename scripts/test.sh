#!/usr/bin/env bash
# Run every test: ruff, the loss-curves page in other arithmetic
# (scripts/other_arithmetic.py), unit tests of src/hw2, checks of the built HTML, PDF
# and Colab notebooks, and the Colab notebooks and workbooks run with nbmake in a
# Colab-like environment (scripts/nbmake.sh). Build the book first
# (scripts/build_book.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
ruff check src tests benchmarks book scripts
ruff format --check src tests benchmarks book scripts
# The pages' code cells, checked and formatted as notebooks, at most 79 characters a
# line (book/ruff-pages.toml; ruff does not read MyST itself).
python scripts/ruff_pages.py
ensure_browser  # for the browser check (scripts/env.sh)
ensure_axe  # for the accessibility check (scripts/env.sh)
# The loss-curves page executed again in arithmetic other than the build's, on a fresh
# result cache: every claim it makes must hold for the run it gets (about 10 minutes).
python scripts/other_arithmetic.py
pytest tests "$@"
bash scripts/nbmake.sh
