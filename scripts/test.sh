#!/usr/bin/env bash
# Run every test: ruff, unit tests of src/hw2, nbmake on the notebooks, and checks of
# the built HTML (build the book first with scripts/build_book.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
ruff check src tests benchmarks book  # notebooks included
# The browser check uses the machine's own browser, never a downloaded one: HW2_CHROME and
# HW2_CHROMEDRIVER if set (CI: the runner's Chrome), else Debian's chromium and chromedriver.
if [ -z "${HW2_CHROME:-}" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing chromium and chromium-driver from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
pytest tests "$@"
pytest --nbmake --nbmake-timeout=900 book/*.ipynb
