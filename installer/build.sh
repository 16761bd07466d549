#!/usr/bin/env bash
# Build the one-folder bundle dist/SchoolQ/ (windowed schoolq-gui, console schoolq, resources).
#   bash installer/build.sh              build (PyInstaller is installed into the venv when missing)
#   bash installer/build.sh --if-stale   build only when a source file is newer than the last build
# PYTHON selects the interpreter (default: .venv/bin/python of the checkout). The build runs on the
# platform it is started on: Linux here, Windows with installer/build_windows.ps1 (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
bundle="dist/SchoolQ"
stamp="dist/.SchoolQ-built"

if [ "${1:-}" = "--if-stale" ] && [ -f "$stamp" ] && [ -x "$bundle/schoolq" ]; then
  newer=$(find app ui resources installer pyproject.toml -type f -newer "$stamp" \
    -not -name '*.pyc' -not -path '*/__pycache__/*' -print -quit)
  if [ -z "$newer" ]; then
    echo "dist/SchoolQ is up to date (nothing changed since the last build)."
    exit 0
  fi
  echo "Rebuilding: $newer changed since the last build."
fi

if ! "$python" -c "import PyInstaller" >/dev/null 2>&1; then
  echo "Installing PyInstaller (the 'build' extra) …"
  "$python" -m pip install -q -e ".[build]"
fi

# The stamp takes the time the build started: a file saved during the build counts as changed.
rm -f "$stamp"
mkdir -p dist
touch "$stamp.new"
started=$(date +%s)
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller installer/schoolq.spec
mv "$stamp.new" "$stamp"

echo "Built $bundle in $(( $(date +%s) - started )) s."
"$python" installer/bundle_size.py --check "$bundle"
