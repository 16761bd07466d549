"""A fixed-seed fuzz run over every import (issue 14): mutated workbook bytes, sheet XML, cell values
and CSV encodings fed to import-roster, import-teachers, import-marks and import-timetable.

The run happens in one interpreter limited to 1.5 GB of address space (tests/core/fuzz_worker.py)
so an allocation like calamine's rows × columns grid fails the test instead of the machine. Every
case must exit 0 or 2, print no traceback or internal error, and leave the database unchanged
when it exits 2. The seed is fixed, so a failure is reproduced by running the worker again.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from hostile_helpers import MEMORY_LIMIT, ROOT

SEED = 14
CASES = 100


def test_fuzzed_files_are_refused_or_imported_never_crash(tmp_path):
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "core")]),
           "OPENBLAS_NUM_THREADS": "1", "SCHOOLQ_PASSPHRASE": "demo"}  # the imports write as the administrator
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("fuzz_worker.py")), str(tmp_path),
                           str(SEED), str(CASES)], capture_output=True, text=True, encoding="utf-8", env=env,
                          preexec_fn=limit_memory, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    cases = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(cases) == CASES
    bad = [c for c in cases if c["code"] not in (0, 2) or c["traceback"] or (c["code"] == 2 and c["changed"])]
    assert bad == []
    # The run is not vacuous: both refusals and imports happen, for every kind of file.
    assert {c["code"] for c in cases} == {0, 2}
    assert {c["kind"] for c in cases} == {"roster", "teachers", "marks", "timetable"}
