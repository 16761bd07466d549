"""控辍保学: 巩固率 and 流失率 from a status history worked by hand (tests/core/records_helpers.py).

三年级 (三(1)班): A stays; B 流失 10-12; C 转出 10-20; D came 转入 09-15 (after the intake);
E 休学 11-02 (still on the roll); F 流失 11-03 and back 在读 11-10 (劝返).
五年级 (五(1)班): G, I stay; H 流失 09-20; J 流失 last June (before the intake).

On 2026-11-20: 三年级 intake A B C E F = 5, C transferred → base 4, left B = 1, 巩固率 3/4.
五年级 intake G H I = 3, base 3, left H = 1, 巩固率 2/3. School: intake 8, base 7, left 2, 5/7.
On 2026-11-05 F is away too: 三年级 left 2, 巩固率 2/4.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from app.cli import main
from app.records.retention import marked_left_on, retention
from records_helpers import small_school


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    path = tmp_path_factory.mktemp("retention") / "s.sqlite"
    db, ids = small_school(path)
    yield db, ids, path
    db.close()


def _by_grade(result):
    return {r.grade: r for r in result.grades}


def test_retention_worked_by_hand(school):
    db, _ids, _ = school
    result = retention(db, as_of=dt.date(2026, 11, 20))
    assert result.intake_day == "2026-09-01"
    grades = _by_grade(result)
    assert (grades[3].intake, grades[3].transferred_out, grades[3].base, grades[3].left) == (5, 1, 4, 1)
    assert grades[3].retention_rate == pytest.approx(0.75)
    assert grades[3].loss_rate == pytest.approx(0.25)
    assert (grades[5].intake, grades[5].base, grades[5].left) == (3, 3, 1)
    assert grades[5].retention_rate == pytest.approx(2 / 3)
    [whole] = result.schools
    assert (whole.intake, whole.base, whole.left) == (8, 7, 2)
    assert whole.retention_rate == pytest.approx(5 / 7)
    assert [(p["name"], p["date"], p["reason"]) for p in result.left] == [
        ("学生B", "2026-10-12", "随父母外出务工"), ("学生H", "2026-09-20", "家庭困难辍学")]


def test_a_pupil_who_came_back_counted_as_left_while_away(school):
    db, _ids, _ = school
    grades = _by_grade(retention(db, as_of=dt.date(2026, 11, 5)))
    assert grades[3].left == 2
    assert grades[3].retention_rate == pytest.approx(0.5)
    early = _by_grade(retention(db, as_of=dt.date(2026, 10, 1)))
    assert (early[3].transferred_out, early[3].left, early[5].left) == (0, 0, 1)


def test_warning_lists_pupils_marked_left_that_day(school):
    db, _ids, _ = school
    assert [p["name"] for p in marked_left_on(db, dt.date(2026, 10, 12))] == ["学生B"]
    # F was marked 流失 on 11-03 but is back: no warning for a pupil no longer away
    assert marked_left_on(db, dt.date(2026, 11, 3)) == []


def test_cli_json_one_row_per_school_and_grade(school, capsys):
    _db, _ids, path = school
    assert main(["retention", str(path), "--json", "--grades", "--as-of", "2026-11-20"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {(r["school_code"], r["grade"]): r for r in out["rows"]}
    assert rows[("XS01", None)]["level"] == "school"
    assert (rows[("XS01", None)]["base"], rows[("XS01", None)]["left"]) == (7, 2)
    assert rows[("XS01", None)]["retention_rate"] == round(5 / 7, 4)
    assert rows[("XS01", 3)]["level"] == "grade" and rows[("XS01", 3)]["retention_rate"] == 0.75
    assert main(["retention", str(path), "--as-of", "2026-11-20"]) == 0
    text = capsys.readouterr().out
    assert "随父母外出务工" in text and "71.43%" in text


def test_cli_refuses_a_bad_date_and_year(school, capsys):
    _db, _ids, path = school
    assert main(["retention", str(path), "--as-of", "11/20"]) == 2
    assert "无法识别" in capsys.readouterr().err
    assert main(["retention", str(path), "--year", "2030-2031"]) == 2
    assert "没有学年" in capsys.readouterr().err


def test_the_township_scheme_counts_the_same_retention_on_the_exam_day(school):
    """000 篇7's 巩固率 item is this definition: on the hand-worked history above, an exam on 11-20
    gives 三年级 3/4 and 五年级 2/3, one on 11-05 gives 三年级 2/4 (F away)."""
    from app.db.writes import SYSTEM
    from app.services.exams import create_exam, get_exam
    from app.stats.township_scheme import retention as scheme_retention

    db, ids, _ = school
    for day, expected in (("2026-11-20", {3: 0.75, 5: 2 / 3}), ("2026-11-05", {3: 0.5, 5: 2 / 3})):
        exam = get_exam(db, create_exam(db, SYSTEM, name=f"{day}统测", type="统考", grades="3,5",
                                        subjects="语文:100,数学:100", date=day, scope="校"))
        by_scheme = {grade: rate for (school_id, grade), rate in scheme_retention(db, exam).items()
                     if school_id == ids["school"]}
        assert by_scheme == pytest.approx(expected)
        own = {r.grade: r.retention_rate for r in retention(db, as_of=dt.date.fromisoformat(day)).grades}
        assert by_scheme == pytest.approx(own)
