"""Write every figure app.stats computes on a database as exact text, to compare two versions of the code.

A change made for speed must not change a single figure. Run this with the old code and with the new
one on the same database (a copy: opening may migrate it) and compare the two files byte for byte:

    PYTHONPATH=<old checkout> python tests/bench/figures_dump.py county.sqlite before.txt
    PYTHONPATH=<new checkout> python tests/bench/figures_dump.py county.sqlite after.txt
    cmp before.txt after.txt

Set SCHOOLQ_DATA_DIR to an empty folder for each run, so the value-added fits are computed, not read
from an earlier run (app.stats.cache.lasting). Written, per exam: the roster's missing marks (every
school, then the first three schools alone), the records of all four levels under both policies and
of the first three schools read alone, every group's rank and the township records as one school's
report takes them when the county's records are not kept (groups._county_ranks); per pair of exams:
the value-added fit of every grade and subject, 进步值 by class and grade, and value-added by class.
Floats are written by repr (every digit).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from app.db.database import open_database
from app.errors import ValidationError
from app.services.exams import get_exam
from app.stats import groups, progress
from app.stats.frame import load_cells
from app.stats.groups import LEVELS, group_stats_from_cells
from app.stats.presets import resolve
from app.stats.roster import missing_marks


def dump(database: Path, out: Path) -> tuple[str, int]:
    """Write the figures of `database` to `out`; return (sha256 of the file, number of lines)."""
    db = open_database(database, readonly=True)
    preset = resolve(db, "quality", None)
    exams = [r[0] for r in db.execute("SELECT id FROM exam ORDER BY date, id")]
    schools = [r[0] for r in db.execute("SELECT id FROM school ORDER BY code")][:3]
    lines = 0
    with out.open("w", encoding="utf-8") as handle:
        def write(label: str, value: object) -> None:
            nonlocal lines
            handle.write(label + "\t" + json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr) + "\n")
            lines += 1

        for exam_id in exams:
            exam = get_exam(db, exam_id)
            write(f"missing {exam_id}", [vars(m) for m in missing_marks(db, exam, preset)])
            for school in schools:
                write(f"missing {exam_id} {school}",
                      [vars(m) for m in missing_marks(db, exam, preset, school_ids=[school])])
            cells = load_cells(db, exam_id, preset)
            for policy in ("sat", "roster"):
                for level, records in group_stats_from_cells(cells, LEVELS, preset=preset, policy=policy).items():
                    for record in records:
                        write(f"group {exam_id} {policy} {level}", record)
            county = groups._county_ranks(db, exam_id, preset)
            write(f"ranks {exam_id}", sorted(county["ranks"], key=json.dumps))
            write(f"ranks {exam_id} township", county["township"])
            for school in schools:
                own = load_cells(db, exam_id, preset, school_ids=[school])
                for level, records in group_stats_from_cells(own, LEVELS, preset=preset).items():
                    write(f"school {exam_id} {school} {level}", records)
        for exam_id in exams:
            for baseline in exams:
                if baseline == exam_id:
                    continue
                try:
                    fits = progress._fit(db, exam_id, baseline)
                    write(f"fit {exam_id} {baseline}", sorted([list(key), fit] for key, fit in fits.items()))
                    for level in ("class", "grade"):
                        write(f"progress {exam_id} {baseline} {level}",
                              progress.progress_values(db, exam_id, baseline, level))
                    write(f"value-added {exam_id} {baseline}", progress.value_added(db, exam_id, baseline, "class"))
                except ValidationError as exc:  # a later baseline: refused, and that is written too
                    write(f"refused {exam_id} {baseline}", str(exc))
    db.close()
    return hashlib.sha256(out.read_bytes()).hexdigest(), lines


if __name__ == "__main__":
    digest, count = dump(Path(sys.argv[1]), Path(sys.argv[2]))
    print(digest, count)
