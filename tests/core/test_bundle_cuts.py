"""What the frozen bundle leaves out must stay unused by the program (installer/schoolq.spec).

numpy's OpenBLAS is replaced in the Linux bundle by installer/blas_stub.c, which computes the two real dot
products and stops the program on any other BLAS/LAPACK routine. So no code the program runs may reach
numpy's linear algebra: matrix products (`@`, dot, matmul, inner, vdot, tensordot, einsum, the vecdot
family), numpy.linalg, and the functions built on them (polyfit and numpy.polynomial's fits, cov,
corrcoef, correlate, convolve). numpy's random, fft, ma, polynomial, testing, f2py and matlib packages
are left out of the bundle altogether, so the program may not import them either.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLAS_USERS = {"dot", "vdot", "inner", "matmul", "tensordot", "einsum", "einsum_path", "vecdot", "matvec", "vecmat",
              "linalg", "polyfit", "polynomial", "cov", "corrcoef", "correlate", "convolve", "lstsq"}
# numpy's packages the spec excludes (NUMPY_UNUSED in installer/schoolq.spec).
NUMPY_LEFT_OUT = {"random", "fft", "ma", "polynomial", "testing", "f2py", "matlib"}


def blas_uses(path: Path, root: Path = ROOT) -> list[str]:
    """Return 'file:line what' (file relative to `root`) for each matrix product, BLAS-backed numpy name or
    numpy package left out of the bundle used in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
            found.append((node.lineno, "@"))
        elif isinstance(node, ast.Attribute) and (node.attr in BLAS_USERS or node.attr in NUMPY_LEFT_OUT and
                                                  isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy")):
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "numpy":
            found += [(node.lineno, f"import {alias.name}") for alias in node.names
                      if alias.name in BLAS_USERS | NUMPY_LEFT_OUT]
            if set((node.module or "").split(".")) & (BLAS_USERS | NUMPY_LEFT_OUT):
                found.append((node.lineno, f"from {node.module}"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, f"import {alias.name}") for alias in node.names
                      if alias.name.startswith("numpy.") and set(alias.name.split(".")) & (BLAS_USERS | NUMPY_LEFT_OUT)]
    return [f"{path.relative_to(root)}:{line} {what}" for line, what in sorted(found)]


def test_the_program_never_reaches_numpys_blas():
    uses = [use for folder in ("app", "ui") for path in sorted((ROOT / folder).rglob("*.py")) for use in blas_uses(path)]
    assert uses == [], "the bundle carries no BLAS (installer/blas_stub.c) nor these numpy packages: " + ", ".join(uses)


def test_the_guard_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import numpy as np\nfrom numpy.linalg import solve\nfrom numpy import dot\n"
                      "a = np.ones(3)\nb = a @ a\nc = a.dot(a)\nd = np.polyfit(a, a, 1)\ne = np.bincount([1])\n"
                      "f = np.random.default_rng()\nimport numpy.fft\nimport random\ng = random.random()\n",
                      encoding="utf-8")
    assert blas_uses(sample, tmp_path) == ["sample.py:2 from numpy.linalg", "sample.py:3 import dot", "sample.py:5 @",
                                           "sample.py:6 .dot", "sample.py:7 .polyfit", "sample.py:9 .random",
                                           "sample.py:10 import numpy.fft"]
