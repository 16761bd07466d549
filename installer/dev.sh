#!/usr/bin/env bash
# Set up a development checkout and run it: the two README commands call this.
#   bash installer/dev.sh gui     install what is missing, then start the GUI on the demo township
#   bash installer/dev.sh test    install what is missing, then run the whole test suite
#   bash installer/dev.sh bench   install what is missing, then run the benchmarks (tests/bench)
# Works on Debian/Ubuntu with Python 3.11+. System packages are installed only when missing
# (with sudo when not root); Python packages go into .venv inside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-gui}"

# Qt's xcb/offscreen platforms, the fonts and PDF tools the tests use.
system_packages=(python3-venv libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0
  libfontconfig1 libdbus-1-3 poppler-utils openssl xvfb)
# FET's command-line solver: the tests solve a .fet file SchoolQ exports and import it back; the
# benchmark compares 自动排课 with it on FET's own example files (fet-data).
# The bundle build (tests/build; installer/build.sh) compiles ICU's stub data and numpy's BLAS stub with a C
# compiler and reads libraries with binutils (nm, readelf, strip): without them the bundle is about 65 MB larger.
case "$mode" in
  test)  system_packages+=(fet gcc binutils) ;;
  bench) system_packages+=(fet fet-data gcc binutils) ;;
esac

if command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in "${system_packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
extras="test"
[ "$mode" = "bench" ] && extras="test,bench"
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-$extras"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$extras]"
  touch "$stamp"
fi

case "$mode" in
  gui)   exec .venv/bin/schoolq-gui --demo ;;
  test)  exec .venv/bin/python -m pytest -q ;;
  bench) exec .venv/bin/python -m pytest -q -s tests/bench -p no:cacheprovider ;;
  *) echo "usage: bash installer/dev.sh gui|test|bench" >&2; exit 64 ;;
esac
