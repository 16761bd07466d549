"""installer/blas_stub.c, which stands in for numpy's OpenBLAS in the Linux bundle: its two dot products give
the right figures (numpy checks one on import), every other routine names itself and stops the program."""
from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("cc") is None,
                                reason="the stub is built on Linux with a C compiler")


@pytest.fixture(scope="module")
def stub(tmp_path_factory) -> Path:
    """Compile the stub as the spec does, with one stopping routine (dgemm); return the library."""
    folder = tmp_path_factory.mktemp("blas-stub")
    (folder / "blas_symbols.h").write_text("STUB(scipy_cblas_dgemm64_)\n")
    library = folder / "libscipy_openblas64_-test.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-s", f"-I{folder}", "-o", str(library),
                    str(ROOT / "installer" / "blas_stub.c")], check=True)
    return library


def dot(library: Path, name: str, kind, x: list[float], incx: int, y: list[float], incy: int) -> float:
    """Call the stub's dot product `name` on the numbers x and y of C type `kind`."""
    routine = getattr(ctypes.CDLL(str(library)), name)
    routine.restype = kind
    routine.argtypes = [ctypes.c_int64, ctypes.POINTER(kind), ctypes.c_int64, ctypes.POINTER(kind), ctypes.c_int64]
    n = (len(x) + abs(incx) - 1) // abs(incx)
    return routine(n, (kind * len(x))(*x), incx, (kind * len(y))(*y), incy)


def test_dot_products_are_computed(stub):
    assert dot(stub, "scipy_cblas_sdot64_", ctypes.c_float, [1, 1], 1, [1, 1], 1) == 2.0  # numpy's import check
    assert dot(stub, "scipy_cblas_ddot64_", ctypes.c_double, [1, 2, 3], 1, [4, 5, 6], 1) == 32.0
    # every second element: 1·4 + 3·6; y read backwards: 1·6 + 2·5 + 3·4
    assert dot(stub, "scipy_cblas_ddot64_", ctypes.c_double, [1, 2, 3], 2, [4, 5, 6], 2) == 22.0
    assert dot(stub, "scipy_cblas_ddot64_", ctypes.c_double, [1, 2, 3], 1, [4, 5, 6], -1) == 28.0
    assert dot(stub, "scipy_cblas_sdot64_", ctypes.c_float, [0.5, 0.25], 1, [2, 4], 1) == 2.0
    assert dot(stub, "scipy_cblas_ddot64_", ctypes.c_double, [], 1, [], 1) == 0.0


def test_any_other_routine_stops_the_program_and_names_itself(stub):
    call = f"import ctypes; ctypes.CDLL({str(stub)!r}).scipy_cblas_dgemm64_()"
    result = subprocess.run([sys.executable, "-c", call], capture_output=True, text=True, timeout=60)
    assert result.returncode < 0  # SIGABRT
    assert "numpy called scipy_cblas_dgemm64_" in result.stderr and "does not carry" in result.stderr
