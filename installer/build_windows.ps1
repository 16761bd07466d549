# Build the one-folder bundle dist\SchoolQ\ on Windows 10/11 64-bit, check it, and zip it for a USB stick.
#   powershell -ExecutionPolicy Bypass -File installer\build_windows.ps1
# Needs 64-bit Python 3.11 or newer from python.org (with the "py" launcher) and internet access to PyPI on
# the build machine only; the school laptops need neither. Creates .venv in the checkout when missing.
# The bundle runs on Windows 10 (1809 or later) and 11, 64-bit. Qt 6 and Python 3.11 do not support
# Windows 7 or 8, nor 32-bit Windows.
$ErrorActionPreference = "Stop"
Set-Location (Split-Path -Parent $PSScriptRoot)

function Invoke-Checked {
    param([string]$Program, [string[]]$Arguments)
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Program $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

if (-not (Test-Path .venv\Scripts\python.exe)) {
    Invoke-Checked py @("-3", "-m", "venv", ".venv")
}
$python = (Resolve-Path .venv\Scripts\python.exe).Path
Invoke-Checked $python @("-c", "import struct, sys; sys.exit(0 if struct.calcsize('P') == 8 else 'Use 64-bit Python')")
Invoke-Checked $python @("-m", "pip", "install", "-q", "--upgrade", "pip")
Invoke-Checked $python @("-m", "pip", "install", "-q", "-e", ".[build]")

$started = Get-Date
Invoke-Checked $python @("-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
    "--distpath", "dist", "--workpath", "build\pyinstaller", "installer\schoolq.spec")
Write-Host ("Built dist\SchoolQ in {0:N0} s." -f ((Get-Date) - $started).TotalSeconds)

# ortools (自动排课) links against the Visual C++ runtime; the laptops have no Visual C++ installer, so the
# bundle must carry these DLLs (PyInstaller copies them from the build machine's System32).
$runtime = @("msvcp140.dll", "vcruntime140.dll", "vcruntime140_1.dll")
$missing = $runtime | Where-Object { -not (Get-ChildItem -Path dist\SchoolQ -Recurse -Filter $_ -ErrorAction SilentlyContinue) }
if ($missing) {
    throw ("dist\SchoolQ lacks the Visual C++ runtime DLLs ortools needs: $($missing -join ', '). " +
           "Install the Microsoft Visual C++ Redistributable 2015-2022 (x64) on the build machine and build again.")
}

# Check the frozen programs against a throw-away data folder, never the builder's own.
$check = Join-Path $env:TEMP ("schoolq-build-check-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $check | Out-Null
$env:SCHOOLQ_DATA_DIR = $check
try {
    Invoke-Checked dist\SchoolQ\schoolq.exe @("demo", (Join-Path $check "check.sqlite"))
    Invoke-Checked dist\SchoolQ\schoolq.exe @("info", (Join-Path $check "check.sqlite"))
    Invoke-Checked dist\SchoolQ\schoolq.exe @("timetable", "generate", (Join-Path $check "check.sqlite"), "--dry-run",
        "--time-limit", "5")
    # schoolq-gui.exe is a windowed program: wait for it and read its exit code.
    $gui = Start-Process -FilePath dist\SchoolQ\schoolq-gui.exe -ArgumentList "--smoke" -Wait -PassThru
    if ($gui.ExitCode -ne 0) { throw "schoolq-gui.exe --smoke failed with exit code $($gui.ExitCode); see $check" }
    if (Get-ChildItem -Path $check -Filter "*error.log") { throw "the frozen programs logged errors in $check" }
} finally {
    Remove-Item Env:\SCHOOLQ_DATA_DIR
}
Remove-Item -Recurse -Force $check

# The size against both targets, as on Linux: installer/bundle_size.py --check fails the build over either.
# Of the Linux cuts, the spec's platform checks leave these out here: ICU's stub data (Qt uses Windows' own
# ICU, nothing to cut) and strip (DLLs keep their symbols in .pdb files, which are not shipped); numpy's
# OpenBLAS DLL is shipped, as no C compiler builds installer\blas_stub.c here.
Invoke-Checked $python @("installer\bundle_size.py", "--check", "dist\SchoolQ")
$version = & $python -c "import app; print(app.__version__)"
$zip = "dist\SchoolQ-$version-win64.zip"
if (Test-Path $zip) { Remove-Item $zip }
Compress-Archive -Path dist\SchoolQ -DestinationPath $zip
Write-Host "Copy $zip (or the folder dist\SchoolQ) to the USB stick."
