#!/usr/bin/env bash
# The Colab notebooks and the workbooks (_build/html/_colab, written by the book build)
# run with `pytest --nbmake` in a second environment that holds what a Colab runtime
# holds (torch, torchvision, NumPy, matplotlib, Pillow, the kernel) and hw2 installed
# non-editable from this checkout, as the notebooks' install cell leaves it: no Jupyter
# Book, Sphinx or myst-nb. Each notebook runs from a scratch copy with a fresh data
# folder, on the build's trained results: nothing may be trained again (checked).
# Called by scripts/test.sh, after scripts/env.sh (HW2_CACHE_DIR and the lock).
set -euo pipefail
cd "$(dirname "$0")/.."
COLAB_VENV="${HW2_COLAB_VENV:-.venv-colab}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
RUNTIME=(torch torchvision numpy matplotlib pillow tqdm ipykernel nbmake pytest)
if [ ! -x "$COLAB_VENV/bin/python" ]; then
  echo "==> creating $COLAB_VENV: a Colab-like runtime"
  "$PYTHON" -m venv "$COLAB_VENV"
  "$COLAB_VENV/bin/python" -m pip install --quiet --upgrade pip
fi
stamp="$(cat requirements-lock.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$COLAB_VENV/.runtime-installed" 2>/dev/null || true)" != "$stamp" ]; then
  "$COLAB_VENV/bin/python" -m pip install --quiet -c requirements-lock.txt "${RUNTIME[@]}"
  "$COLAB_VENV/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
  echo "$stamp" > "$COLAB_VENV/.runtime-installed"
fi
# The install cell's result: hw2 from this checkout, not editable, package data included.
"$COLAB_VENV/bin/python" -m pip install --quiet -c requirements-lock.txt --force-reinstall \
  --no-deps . && "$COLAB_VENV/bin/python" -m pip install --quiet -c requirements-lock.txt .
"$COLAB_VENV/bin/python" - <<'PY'
import importlib.util
import hw2
toolchain = ["jupyter_book", "myst_nb", "sphinx", "jupyter_cache", "sphinx_exercise"]
found = [name for name in toolchain if importlib.util.find_spec(name) is not None]
assert not found, f"the Colab-like environment holds the book's toolchain: {found}"
assert "site-packages" in hw2.__file__, f"hw2 is not installed non-editable: {hw2.__file__}"
PY
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp _build/html/_colab/book/*.ipynb "$scratch/"
if [ -z "${HW2_DATA_URL:-}" ]; then  # it would download the archive from the internet
  echo "==> no HW2_DATA_URL: the CNN notebooks are not run"
  rm "$scratch"/catsdogs*.ipynb
fi
listing() { ls -1 "$HW2_CACHE_DIR" 2>/dev/null | sort | sha256sum; }
before="$(listing)"
# JUPYTER_PATH first: the notebooks' kernel "python3" is this environment's Python.
JUPYTER_PATH="$COLAB_VENV/share/jupyter" HW2_DATA_DIR="$scratch/data" \
  "$COLAB_VENV/bin/python" -m pytest --nbmake --nbmake-timeout=1200 -p no:cacheprovider \
  -q "$scratch"/*.ipynb
[ "$(listing)" = "$before" ] || { echo "a notebook trained or prepared something again"; exit 1; }
[ -z "${HW2_DATA_URL:-}" ] || [ -d "$scratch/data/cats_and_dogs_filtered" ] || { echo "the CNN notebook did not download its data"; exit 1; }
echo "==> every Colab notebook and workbook ran under nbmake in $COLAB_VENV"
