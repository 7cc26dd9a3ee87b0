#!/usr/bin/env bash
# Run every test: ruff, unit tests of src/hw2, the Colab notebooks run as in Colab
# (tests/test_colab.py), and checks of the built HTML and PDF (build the book first
# with scripts/build_book.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
ruff check src tests benchmarks book scripts  # notebooks included
ensure_browser  # for the browser check (scripts/env.sh)
pytest tests "$@"
