# Sourced by build_book.sh and test.sh: make (or reuse) the project's virtual
# environment in .venv, install hw2 with the book and test tools, and activate it.
# Installs within requirements-lock.txt (the toolchain's lock); re-installs only when
# pyproject.toml or requirements-lock.txt changes.
set -euo pipefail
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
VENV="${HW2_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$(cat pyproject.toml requirements-lock.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$VENV/.hw2-installed" 2>/dev/null || true)" != "$stamp" ]; then
  echo "==> installing hw2 and its book/test tools into $VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -c requirements-lock.txt -e ".[book,test]"
  "$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
  echo "$stamp" > "$VENV/.hw2-installed"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"
# Trained results are cached here so that the book build and the tests share one training.
export HW2_CACHE_DIR="${HW2_CACHE_DIR:-$PWD/_build/.hw2-cache}"
# Pages executed by the build (and the Colab notebooks the tests run, which must find
# the build's trained results) keep no progress bars and run on the CPU: the book shows the CPU's numbers.
export HW2_PROGRESS=0
export HW2_DEVICE=cpu

# The machine's own browser, never a downloaded one, prints the PDF and runs the browser
# check: HW2_CHROME (and HW2_CHROMEDRIVER) if set (CI on GitHub: the runner's Chrome),
# else Debian's chromium and chromedriver, installed with apt-get when run as root.
ensure_browser() {
  if [ -n "${HW2_CHROME:-}" ] || { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing chromium and chromium-driver from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
}

# axe-core, the accessibility checker that tests/test_a11y.py runs in each page: the
# pinned version from npm, into the git-ignored .node folder, only when missing.
AXE_VERSION=4.14.1
ensure_axe() {
  if grep -qs "\"version\": \"$AXE_VERSION\"" .node/node_modules/axe-core/package.json; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    echo "==> no npm: tests/test_a11y.py needs axe-core (npm install axe-core@$AXE_VERSION)" >&2
    return 0
  fi
  echo "==> installing axe-core $AXE_VERSION from npm into .node"
  npm install --no-save --no-audit --no-fund --prefix .node "axe-core@$AXE_VERSION" >/dev/null
}
