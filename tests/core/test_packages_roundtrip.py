"""The USB round trip: the demo schools export, a fresh township registers their keys and imports every
package, and then holds exactly the schools' data and gives the same statistics; later packages
replace a school's term and say what changed; a township's package nests into a county."""
from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from app.cli import main
from app.db.database import open_database
from app.packages.export import export_package
from app.packages.signing import own_public_pem
from app.packages.township_import import import_package
from app.queries import township as views
from app.db.writes import SYSTEM, update_row
from app.marks import entry as marks
from app.services import pupils
from app.services.scheme_sheets import annual_rows, evaluation_rows, save_annual, save_evaluation
from app.services.users import actor_for
from app.stats.annual import annual_scores
from app.stats.groups import group_stats
from app.stats.presets import resolve
from app.stats.school_evaluation import evaluate
from app.support.conversion import support_summary
from app.timetable.edit import set_fixed_event, set_locked, set_unavailable
from test_migrations import keys_disagreeing

CODES = ("QSZ01", "QSZ02", "QSZ03", "QSZ04", "QSZ05", "QSZ06")
TERMS = ("2025-2026-2", "2026-2027-1")
STAMPS = ("created_at", "updated_at")
# School-owned tables, and how to pick one school's rows of each (? is the school id).
OWNED = {
    "teacher": "school_id = ?",
    "teacher_subject": "teacher_id IN (SELECT id FROM teacher WHERE school_id = ?)",
    "teacher_role": "teacher_id IN (SELECT id FROM teacher WHERE school_id = ?)",
    "teacher_title": "teacher_id IN (SELECT id FROM teacher WHERE school_id = ?)",
    "teacher_site": "teacher_id IN (SELECT id FROM teacher WHERE school_id = ?)",
    "class": "school_id = ?",
    "class_grade": "class_id IN (SELECT id FROM class WHERE school_id = ?)",
    "pupil": "school_id = ?",
    "pupil_status_change": "school_id = ?",
    "mark": "school_id = ?",
    "teaching_assignment": "school_id = ?",
    "timetable_period": "school_id = ?",
    "timetable_slot": "school_id = ?",
    "timetable_fixed": "school_id = ?",
    "teacher_unavailable": "school_id = ?",
    "lesson_observation": "school_id = ?",
    "routine_check": "school_id = ?",
    "tutoring": "school_id = ?",
    "tutoring_pupil": "school_id = ?",
    "tutoring_plan": "school_id = ?",
    "pupil_difficulty": "school_id = ?",
    "homework_log": "school_id = ?",
    "home_visit": "school_id = ?",
    "prep_session": "school_id = ?",
}


def rows(db, table: str, where: str = "1", args=()) -> set[tuple]:
    # the integer keys of a mark are each database's own (app.db.writes.KEYED): the ids are what travels
    local = {"school_no", "exam_no", "pupil_no", "subject_no", "class_no"} if table == "mark" else set()
    if table == "pupil":
        local = {"id_number"}  # the 身份证号 stays at the school: packages do not carry it
    columns = [c for c in db[table].columns_dict if c not in STAMPS and c not in local]
    return set(db.execute(f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM [{table}] WHERE {where}",
                          list(args)).fetchall())


def school_id(code: str) -> str:
    from app.db.writes import stable_id
    return stable_id("school", code)


@pytest.fixture(scope="module")
def exported(demo_template, tmp_path_factory):
    """Every demo school's own database after exporting last term (no. 1) and this term (no. 2)."""
    root = tmp_path_factory.mktemp("roundtrip")
    shutil.copytree(demo_template / "schools", root / "schools")
    shutil.copy(demo_template / "township.sqlite", root / "demo-township.sqlite")
    (root / "usb").mkdir()
    (root / "keys").mkdir()
    packages = {}
    for code in CODES:
        db = open_database(root / "schools" / f"{code}.sqlite")
        packages[code] = [export_package(db, actor_for(db), "demo", root / "usb", term_code=t, unencrypted=True).path for t in TERMS]
        (root / "keys" / f"{code}.pem").write_text(own_public_pem(db), encoding="ascii")
        db.close()
    return {"root": root, "packages": packages}


@pytest.fixture(scope="module")
def aggregated(exported, tmp_path_factory):
    """A fresh township (made with the CLI) that registered every key and imported every package."""
    import os

    root = tmp_path_factory.mktemp("aggregated")
    path = root / "township.sqlite"
    os.environ["SCHOOLQ_PASSPHRASE"] = "青山镇中心校口令"
    try:
        assert main(["township", "init", str(path), "--code", "QSZ", "--name", "青山镇", "--county", "青山县"]) == 0
        for code in CODES:
            assert main(["township", "register", str(path), "--school-code", code, "--pubkey",
                         str(exported["root"] / "keys" / f"{code}.pem")]) == 0
        files = [str(p) for code in reversed(CODES) for p in reversed(exported["packages"][code])]
        assert main(["township", "import", str(path), *files, "--json"]) == 0
    finally:
        del os.environ["SCHOOLQ_PASSPHRASE"]
    return path


@pytest.fixture
def township(aggregated, tmp_path):
    copy = tmp_path / "township.sqlite"
    source = sqlite3.connect(aggregated)
    source.execute("VACUUM INTO ?", [str(copy)])
    source.close()
    db = open_database(copy)
    yield db
    db.close()


def test_township_holds_exactly_each_schools_own_data(exported, township):
    for code in CODES:
        school = open_database(exported["root"] / "schools" / f"{code}.sqlite")
        try:
            for table, where in OWNED.items():
                assert rows(township, table, where, [school_id(code)]) == rows(school, table, where, [school_id(code)]), \
                    (code, table)
            own = next(iter(school.query("SELECT code, name, type FROM school WHERE id = ?", [school_id(code)])))
            there = next(iter(township.query("SELECT code, name, type FROM school WHERE id = ?", [school_id(code)])))
            assert dict(own) == dict(there)
        finally:
            school.close()
    # The demo township was generated directly, not through packages: an independent witness.
    demo = open_database(exported["root"] / "demo-township.sqlite")
    try:
        for table in (*OWNED, "exam", "exam_grade", "exam_subject", "subject", "term"):
            assert rows(township, table) == rows(demo, table), table
    finally:
        demo.close()


def test_township_support_summary_equals_the_schools_own(exported, township):
    at_township = {r["school_code"]: r for r in support_summary(township)["schools"]}
    assert set(at_township) == set(CODES)
    assert sum(r["tutoring_sessions"] for r in at_township.values()) > 50
    assert sum(r["difficulty_pupils"] for r in at_township.values()) > 5
    for code in CODES:
        school = open_database(exported["root"] / "schools" / f"{code}.sqlite")
        try:
            own = support_summary(school)["schools"]
        finally:
            school.close()
        assert own == [at_township[code]], code


def test_township_statistics_equal_those_of_the_schools_own_databases(exported, township):
    exams = list(township.query("SELECT id, name, policy FROM exam ORDER BY date"))
    assert len(exams) == 3
    ignore = {"rank", "rank_of", "township_code", "township_name"}
    for exam in exams:
        at_township = {(r["school_code"], r["grade"], r["subject_code"]): r
                       for r in group_stats(township, exam["id"], "school")}
        totals: dict[str, list[float]] = {}
        for code in CODES:
            school = open_database(exported["root"] / "schools" / f"{code}.sqlite")
            try:
                for record in group_stats(school, exam["id"], "school"):
                    mine = at_township[(record["school_code"], record["grade"], record["subject_code"])]
                    assert {k: v for k, v in record.items() if k not in ignore} == \
                        {k: v for k, v in mine.items() if k not in ignore}
                for subject, total, roster, exempt, written in school.execute(
                        "SELECT s.code, SUM(m.score), COUNT(*), SUM(m.status = '免考'), SUM(m.status = '正常')"
                        " FROM mark m JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ? GROUP BY s.code",
                        [exam["id"]]):
                    sums = totals.setdefault(subject, [0.0, 0, 0, 0])
                    sums[0] += total or 0
                    sums[1] += roster
                    sums[2] += exempt
                    sums[3] += written
            finally:
                school.close()
        whole = {r["subject_code"]: r for r in group_stats(township, exam["id"], "township") if r["grade"] is None}
        assert set(whole) == set(totals)
        for subject, (total, roster, exempt, written) in totals.items():
            assert whole[subject]["n_roster"] == roster and whole[subject]["n_exempt"] == exempt
            if whole[subject]["grades"] is not None:  # 等级 subjects: every level written is counted, no total
                assert sum(whole[subject]["grades"].values()) == written and whole[subject]["total"] is None
                continue
            assert whole[subject]["total"] == pytest.approx(total)
            if exam["policy"] == "roster":
                assert whole[subject]["mean"] == pytest.approx(total / (roster - exempt))


def test_a_later_package_replaces_the_term_and_the_log_says_what_changed(exported, township, tmp_path):
    source = exported["root"] / "schools" / "QSZ05.sqlite"
    school = open_database(shutil.copy(source, tmp_path / "QSZ05.sqlite"))
    actor = actor_for(school)
    sid = school_id("QSZ05")
    klass = next(iter(school.query("SELECT c.id, g.grade FROM class c JOIN class_grade g ON g.class_id = c.id"
                                   " JOIN academic_year y ON y.id = c.academic_year_id WHERE y.code = '2026-2027'"
                                   " ORDER BY c.name LIMIT 1")))
    leaver = next(iter(school.query("SELECT id, name FROM pupil WHERE status = '在读' ORDER BY student_no LIMIT 1")))
    pupils.add_pupil(school, actor, sid, {"student_no": "G430000201501019991", "name": "新来生", "gender": "女",
                                          "grade": klass["grade"], "class_id": klass["id"], "status": "在读"})
    pupils.update_pupil(school, actor, leaver["id"], {"status": "转出", "status_date": "2026-11-20"})
    mark = next(iter(school.query(
        "SELECT m.exam_id, m.pupil_id, m.subject_id, m.score FROM mark m JOIN exam e ON e.id = m.exam_id"
        " WHERE e.name LIKE '%期中%' AND m.status = '正常' ORDER BY m.id LIMIT 1")))
    new_score = 50 if mark["score"] != 50 else 51
    marks.set_mark(school, actor, exam_id=mark["exam_id"], pupil_id=mark["pupil_id"], subject_id=mark["subject_id"],
                   value=new_score)
    teacher = next(iter(school.query("SELECT id, name FROM teacher WHERE school_id = ? ORDER BY staff_no", [sid])))
    with school.atomic():
        update_row(school, actor, "teacher", teacher["id"], {"phone": "13800000000"})
    usb = tmp_path / "usb"
    usb.mkdir()
    third = export_package(school, actor, "demo", usb, unencrypted=True)
    fourth = export_package(school, actor, "demo", usb, unencrypted=True)
    fifth = export_package(school, actor, "demo", usb, unencrypted=True)
    school.close()
    assert (third.sequence, fourth.sequence, fifth.sequence) == (3, 4, 5)

    result = import_package(township, actor_for(township), third.path)
    assert result.status == "accepted", result.message
    summary = result.summary
    assert summary["pupils_added"] == ["新来生(G430000201501019991)"]
    assert summary["marks_changed"] == 1
    assert summary["teachers_changed"] == [f"{teacher['name']}" + next(
        f"({r[0]})" for r in township.execute("SELECT staff_no FROM teacher WHERE id = ?", [teacher["id"]]))]
    assert summary["counts"]["pupil"]["changed"] == 1 and summary["counts"]["pupil"]["added"] == 1
    assert township.execute("SELECT score FROM mark WHERE exam_id = ? AND pupil_id = ? AND subject_id = ?",
                            [mark["exam_id"], mark["pupil_id"], mark["subject_id"]]).fetchone()[0] == new_score
    assert township.execute("SELECT status FROM pupil WHERE id = ?", [leaver["id"]]).fetchone()[0] == "转出"
    log = views.import_log(township)[0]
    assert log["sender_code"] == "QSZ05" and log["sequence"] == 3 and log["changes"]["marks_changed"] == 1
    audit = township.execute("SELECT old_value, new_value FROM audit_log WHERE table_name = 'mark' AND action = 'update'"
                             " ORDER BY id DESC LIMIT 1").fetchone()
    assert json.loads(audit[0])["score"] == mark["score"] and json.loads(audit[1])["score"] == new_score

    skipped = import_package(township, actor_for(township), fifth.path)
    assert skipped.status == "accepted" and skipped.gaps == [(4, 4)] and "第 4 号数据包未收到" in skipped.message
    assert "内容与上次相同" in skipped.message
    status = {r["code"]: r for r in views.package_status(township)}
    assert status["QSZ05"]["last_sequence"] == 5 and status["QSZ05"]["status"] == "第 4 号数据包未收到"
    assert status["QSZ01"]["status"] == "正常" and status["QSZ01"]["last_term"] == "2026-2027-1"
    late = import_package(township, actor_for(township), fourth.path)
    assert late.status == "refused" and late.reason_code == "old_sequence"


def test_locks_events_and_unavailable_times_travel_with_the_timetable(exported, township, tmp_path):
    school = open_database(shutil.copy(exported["root"] / "schools" / "QSZ02.sqlite", tmp_path / "QSZ02.sqlite"))
    actor = actor_for(school)
    sid = school_id("QSZ02")
    teacher = school.execute("SELECT id FROM teacher WHERE school_id = ? ORDER BY staff_no LIMIT 1", [sid]).fetchone()[0]
    zh = school.execute("SELECT id FROM subject WHERE name = '综合实践活动'").fetchone()[0]
    lesson = school.execute("SELECT class_id, day, slot FROM timetable_slot WHERE school_id = ? AND subject_id IS NOT NULL"
                            " ORDER BY class_id, day, slot LIMIT 1", [sid]).fetchone()
    # The demo's day plan: slots 2, 3, 5, 6, 8, 9 are lessons (1 早读, 4 大课间, 7 午休).
    set_unavailable(school, actor, teacher_id=teacher, day=3, reason="中心校教研")
    set_unavailable(school, actor, teacher_id=teacher, day=4, slot=8)
    set_fixed_event(school, actor, school_id=sid, day=1, slot=2, label="升旗")
    set_fixed_event(school, actor, school_id=sid, day=5, slot=9, label="班会", subject_id=zh)
    set_locked(school, actor, class_id=lesson[0], day=lesson[1], slot=lesson[2], locked=True)
    usb = tmp_path / "usb"
    usb.mkdir()
    first = export_package(school, actor, "demo", usb, unencrypted=True)
    set_fixed_event(school, actor, school_id=sid, day=1, slot=2, label=None)
    set_unavailable(school, actor, teacher_id=teacher, day=4, slot=8, unavailable=False)
    second = export_package(school, actor, "demo", usb, unencrypted=True)
    school.close()

    def there() -> tuple:
        return (township.execute("SELECT teacher_id, day, slot, reason FROM teacher_unavailable WHERE school_id = ?"
                                 " ORDER BY day", [sid]).fetchall(),
                township.execute("SELECT day, slot, label, subject_id FROM timetable_fixed WHERE school_id = ?"
                                 " ORDER BY day", [sid]).fetchall(),
                township.execute("SELECT class_id, day, slot FROM timetable_slot WHERE school_id = ? AND locked = 1",
                                 [sid]).fetchall())

    assert import_package(township, actor_for(township), first.path).status == "accepted"
    assert there() == ([(teacher, 3, None, "中心校教研"), (teacher, 4, 8, None)],
                       [(1, 2, "升旗", None), (5, 9, "班会", zh)], [tuple(lesson)])
    assert import_package(township, actor_for(township), second.path).status == "accepted"
    assert there() == ([(teacher, 3, None, "中心校教研")], [(5, 9, "班会", zh)], [tuple(lesson)])


def test_a_pupil_deleted_at_the_school_disappears_at_the_township(exported, township, tmp_path):
    school = open_database(shutil.copy(exported["root"] / "schools" / "QSZ06.sqlite", tmp_path / "s.sqlite"))
    actor = actor_for(school)
    usb = tmp_path / "usb"
    usb.mkdir()
    klass = next(iter(school.query("SELECT c.id, g.grade FROM class c JOIN class_grade g ON g.class_id = c.id"
                                   " JOIN academic_year y ON y.id = c.academic_year_id WHERE y.code = '2026-2027'"
                                   " LIMIT 1")))
    pid = pupils.add_pupil(school, actor, school_id("QSZ06"), {
        "student_no": "G430000201501018884", "name": "录错生", "gender": "男", "grade": klass["grade"],
        "class_id": klass["id"], "status": "在读"})
    first = export_package(school, actor, "demo", usb, unencrypted=True)
    pupils.delete_pupil(school, actor, pid)
    second = export_package(school, actor, "demo", usb, unencrypted=True)
    school.close()
    assert import_package(township, actor_for(township), first.path).summary["pupils_added"] == ["录错生(G430000201501018884)"]
    result = import_package(township, actor_for(township), second.path)
    assert result.summary["pupils_removed"] == ["录错生(G430000201501018884)"]
    assert township.execute("SELECT COUNT(*) FROM pupil WHERE id = ?", [pid]).fetchone()[0] == 0


def test_cross_school_checks_find_shared_student_numbers_and_itinerant_clashes(exported, township, tmp_path):
    assert views.duplicate_student_numbers(township) == []
    assert views.itinerant_clashes(township) == []
    school = open_database(shutil.copy(exported["root"] / "schools" / "QSZ04.sqlite", tmp_path / "s.sqlite"))
    other = township.execute("SELECT student_no, name FROM pupil WHERE school_id = ? AND status = '在读'"
                             " ORDER BY student_no LIMIT 1", [school_id("QSZ05")]).fetchone()
    mine = school.execute("SELECT id, name FROM pupil WHERE status = '在读' ORDER BY student_no LIMIT 1").fetchone()
    school.execute("UPDATE pupil SET student_no = ? WHERE id = ?", [other[0], mine[0]])
    # A 走教 teacher of the central school, moved at 黄土岭 into a period he already teaches at home.
    visit = school.execute("SELECT x.id, x.teacher_id, x.class_id FROM timetable_slot x JOIN teacher t"
                           " ON t.id = x.teacher_id WHERE t.school_id != ? ORDER BY x.id LIMIT 1",
                           [school_id("QSZ04")]).fetchone()
    home = township.execute("SELECT day, slot FROM timetable_slot WHERE teacher_id = ? AND school_id = ?"
                            " ORDER BY day, slot LIMIT 1", [visit[1], school_id("QSZ01")]).fetchone()
    school.execute("DELETE FROM timetable_slot WHERE class_id = ? AND day = ? AND slot = ?", [visit[2], *home])
    school.execute("UPDATE timetable_slot SET day = ?, slot = ? WHERE id = ?", [*home, visit[0]])
    school.conn.commit()
    package = export_package(school, actor_for(school), "demo", tmp_path, unencrypted=True)
    school.close()
    assert import_package(township, actor_for(township), package.path).status == "accepted"
    dupes = views.duplicate_student_numbers(township)
    assert [d["student_no"] for d in dupes] == [other[0]]
    assert {s["school_code"] for s in dupes[0]["schools"]} == {"QSZ04", "QSZ05"}
    clashes = views.itinerant_clashes(township)
    assert len(clashes) == 1 and clashes[0]["day"] == home[0]
    assert {clashes[0]["school_a"], clashes[0]["school_b"]} == {"青山镇中心小学", "黄土岭教学点"}


def test_schools_missing_for_an_exam(exported, tmp_path):
    from app.packages.trust import register_key
    from app.services import setup

    db = setup.init_township(tmp_path / "t.sqlite", code="QSZ", name="青山镇", passphrase="demo", demo=True)
    try:
        admin = actor_for(db)
        # QSZ05's 走教 teachers come from QSZ01, whose own package must be in before QSZ05's.
        for code in ("QSZ01", "QSZ05", "QSZ06"):
            register_key(db, admin, level="school", code=code,
                         pem=(exported["root"] / "keys" / f"{code}.pem").read_bytes())
        arrived = [*exported["packages"]["QSZ01"], *exported["packages"]["QSZ05"], exported["packages"]["QSZ06"][0]]
        assert all(import_package(db, admin, p).status == "accepted" for p in arrived)
        exams = {r["name"]: r["id"] for r in db.query("SELECT id, name FROM exam")}
        midterm = next(i for n, i in exams.items() if "期中" in n)
        last_final = next(i for n, i in exams.items() if "期末" in n)
        assert [s["code"] for s in views.schools_missing_exam(db, midterm)] == ["QSZ06"]
        assert views.schools_missing_exam(db, last_final) == []
        status = {r["code"]: r for r in views.package_status(db)}
        assert status["QSZ06"]["last_sequence"] == 1 and status["QSZ05"]["last_sequence"] == 2
        # Schools named in the packages' reference rows but never registered here are not created.
        assert {r[0] for r in db.execute("SELECT code FROM school")} == {"QSZ01", "QSZ05", "QSZ06"}
    finally:
        db.close()


# 篇20 of QSZ02 as the township fills it, worked by hand: 班子 (10 + 5 × 0.8 + 3 × 0.6) ÷ 20 × 100 = 79.0,
# 群众 (120 + 40 × 0.8 + 20 × 0.6) ÷ 200 × 100 = 82.0, 满意度 = 79.0 × 30 % + 82.0 × 70 % = 81.1,
# 绩效得分 = 85 × 60 % + 90 × 30 % + 81.1 × 10 % + 8 = 94.11 → 好.
ANNUAL = {"school": "QSZ02", "index": 85.0, "dynamic": 90.0, "leaders_1": 10.0, "leaders_2": 5.0, "leaders_3": 3.0,
          "leaders_votes": 20.0, "others_1": 120.0, "others_2": 40.0, "others_3": 20.0, "others_votes": 200.0,
          "quality": 8.0, "politics": "好", "party": "好", "criticised": False, "incident": False}
# 篇10 of QSZ03: 自评 one point below every 满分 (240 − 11 = 229); the township's scores add up to 160.
TOWNSHIP_SCORES = [15, 15, 15, 10, 10, 5, 20, 30, 20, 10, 10]


def test_a_townships_package_nests_into_a_county(exported, township, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "青山镇中心校口令")
    save_annual(township, SYSTEM, "2026-2027", [ANNUAL])
    items = resolve(township, "school_evaluation", None)["items"]
    save_evaluation(township, SYSTEM, "2026-2027", [
        {"school": "QSZ03", "part": i["part"], "item": i["name"], "max": float(i["max"]), "self": i["max"] - 1.0,
         "township": float(TOWNSHIP_SCORES[n])} for n, i in enumerate(items)])
    township.close()
    tw_path = tmp_path / "township.sqlite"
    assert main(["package", "export", str(tw_path), "--out", str(tmp_path)]) == 0
    package = capsys.readouterr().out.strip()
    assert package.endswith("QSZ_2026-2027-1_0001.zip")
    assert main(["keys", "export-public", str(tw_path), "--out", str(tmp_path / "township.pem")]) == 0
    county = tmp_path / "county.sqlite"
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "青山县教育局口令")
    assert main(["county", "init", str(county), "--code", "QSX", "--name", "青山县"]) == 0
    assert main(["township", "register", str(county), "--township-code", "QSZ", "--pubkey",
                 str(tmp_path / "township.pem")]) == 0
    capsys.readouterr()
    assert main(["township", "import", str(county), package, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)[0]
    assert result["status"] == "accepted" and result["sender_code"] == "QSZ"
    a, b = open_database(tw_path), open_database(county)
    try:
        term = "term_id = (SELECT id FROM term WHERE code = '2026-2027-1')"
        for table in ("school", "pupil", "teacher", "class", "teaching_assignment", "timetable_slot"):
            assert rows(b, table) == rows(a, table), table
        assert rows(b, "exam", term) == rows(a, "exam", term) and len(rows(b, "exam")) == 2
        marks_sql = f"exam_id IN (SELECT id FROM exam WHERE {term})"
        assert rows(b, "mark", marks_sql) == rows(a, "mark", marks_sql)
        assert {r["township_code"] for r in b.query("SELECT t.code AS township_code FROM school s"
                                                    " JOIN township t ON t.id = s.township_id")} == {"QSZ"}
        assert [r["code"] for r in views.package_status(b)] == ["QSZ"]
        # the township's 篇20 and 篇10 sheets are carried on to the county like its marks
        annual = annual_scores(b, annual_rows(b, "2026-2027"))["schools"]
        assert [(r["school_code"], round(r["score"], 2), r["band"]) for r in annual] == [("QSZ02", 94.11, "好")]
        evaluation = [(r["school_code"], r["self_total"], r["township_total"])
                      for r in evaluate(b, evaluation_rows(b, "2026-2027"))["schools"]]
        assert ("QSZ03", 229, 160) in evaluation
    finally:
        a.close()
        b.close()
    # A school's package is not for the county; the township's again is a duplicate.
    assert main(["township", "import", str(county), str(exported["packages"]["QSZ01"][1]), package, "--json"]) == 2
    outcome = {r["file"]: r for r in json.loads(capsys.readouterr().out)}
    assert outcome[exported["packages"]["QSZ01"][1].name]["reason_code"] == "wrong_level"
    assert outcome[package.rsplit("/", 1)[1]]["status"] == "duplicate"


def test_township_status_and_checks_on_the_command_line(township, capsys):
    midterm = township.execute("SELECT id FROM exam WHERE name LIKE '%期中%'").fetchone()[0]
    path = township.execute("PRAGMA database_list").fetchone()[2]
    assert main(["township", "status", path, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [(s["code"], s["last_sequence"], s["status"]) for s in status] == [(c, 2, "正常") for c in CODES]
    assert main(["township", "checks", path, "--exam", midterm]) == 0
    out = capsys.readouterr().out
    assert "同一学籍号在两所及以上学校在籍:0 个" in out and "走教教师同一时间排在两所学校:0 处" in out
    assert "这次考试还没有成绩的学校:0 所" in out
    assert main(["township", "log", path, "--json"]) == 0  # two packages from each school, the later ones first
    log = json.loads(capsys.readouterr().out)
    assert sorted((r["sender_code"], r["sequence"]) for r in log) == sorted((c, n) for c in CODES for n in (1, 2))
    assert {r["kind"] for r in log} == {"data"}
    for code in CODES:
        assert [r["sequence"] for r in log if r["sender_code"] == code] == [2, 1]
    assert main(["township", "log", path, "--limit", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "数据包" in lines[0] and "第 2 号(2026-2027-1)" in lines[0] and "导入人 admin" in lines[0]


def test_a_teacher_removed_at_home_but_still_timetabled_elsewhere_is_kept_inactive(exported, township, tmp_path):
    school = open_database(shutil.copy(exported["root"] / "schools" / "QSZ01.sqlite", tmp_path / "s.sqlite"))
    walker = school.execute("SELECT t.id, t.name FROM teacher t JOIN teacher_site ts ON ts.teacher_id = t.id"
                            " WHERE t.school_id = ? ORDER BY t.staff_no LIMIT 1", [school_id("QSZ01")]).fetchone()
    for sql in ("DELETE FROM lesson_observation WHERE teacher_id = ?1 OR observer_id = ?1",
                "DELETE FROM routine_check WHERE teacher_id = ?1 OR checker_id = ?1",
                "DELETE FROM timetable_slot WHERE teacher_id = ?", "DELETE FROM teaching_assignment WHERE teacher_id = ?",
                "UPDATE class SET head_teacher_id = NULL WHERE head_teacher_id = ?", "DELETE FROM teacher WHERE id = ?"):
        school.execute(sql, [walker[0]])
    school.conn.commit()
    package = export_package(school, actor_for(school), "demo", tmp_path, unencrypted=True)
    school.close()
    elsewhere = township.execute("SELECT COUNT(*) FROM timetable_slot WHERE teacher_id = ? AND school_id != ?",
                                 [walker[0], school_id("QSZ01")]).fetchone()[0]
    assert elsewhere > 0
    result = import_package(township, actor_for(township), package.path)
    assert result.status == "accepted"
    assert result.summary["kept"] == [f"教师“{walker[1]}”已不在数据包中,但仍被其他数据引用,予以保留"]
    assert township.execute("SELECT active FROM teacher WHERE id = ?", [walker[0]]).fetchone()[0] == 0
    assert township.execute("SELECT COUNT(*) FROM timetable_slot WHERE teacher_id = ? AND school_id = ?",
                            [walker[0], school_id("QSZ01")]).fetchone()[0] == 0


def test_missing_numbers_read_as_ranges():
    from app.packages.township_import import gap_ranges, gap_text

    assert gap_text(gap_ranges([5, 7])) == "第 1-4 号数据包未收到;第 6 号数据包未收到"
    assert gap_text(gap_ranges([5, 10, 7])) == "第 1-4 号数据包未收到;第 6 号数据包未收到;第 8-9 号数据包未收到"
    assert gap_text(gap_ranges([1, 3]), "config") == "第 2 号配置包未收到"
    assert gap_text(gap_ranges([1, 2, 3])) == ""
    # A number stored after an absurd jump (by an older program) is no gap of a trillion numbers.
    assert gap_ranges([1, 2, 10**12, 4]) == [(3, 3)]


def test_every_mark_carries_the_numbers_of_its_own_rows_at_the_township_and_the_schools(exported, township):
    """The integer keys marks are indexed by are each database's own: after packages went both
    ways they still name the same rows as the ids, everywhere."""
    assert township.execute("SELECT COUNT(*) FROM mark").fetchone()[0] > 0
    assert keys_disagreeing(township) == 0
    for code in CODES:
        school = open_database(exported["root"] / "schools" / f"{code}.sqlite")
        try:
            assert keys_disagreeing(school) == 0
        finally:
            school.close()


def test_township_records_summary_equals_the_schools_own(exported, township):
    """控辍保学, homework, 家访 and 集体备课 travel in the packages: the township's figures for each school
    are the school's own, and the township table adds them up."""
    import datetime as dt

    from app.records.homework import weekly_check
    from app.records.prep import group_cadence
    from app.records.retention import retention
    from app.records.visits import visit_summary

    day = dt.date(2026, 11, 20)
    at_township = retention(township, as_of=day)
    by_code = {r.school_code: r.to_dict() for r in at_township.schools}
    weeks_seen = 0
    for code in CODES:
        school = open_database(exported["root"] / "schools" / f"{code}.sqlite")
        try:
            own = retention(school, school_id=school_id(code), as_of=day)
            assert [r.to_dict() for r in own.schools] == [by_code[code]]
            assert own.left == [p for p in at_township.left if p["school_code"] == code]
            mine = weekly_check(school, school_id=school_id(code))
            assert mine == weekly_check(township, school_id=school_id(code))
            weeks_seen += len(mine)
            for summary in (visit_summary, group_cadence):
                assert summary(school, school_id=school_id(code)) == summary(township, school_id=school_id(code))
        finally:
            school.close()
    assert weeks_seen and at_township.total().left == 3
    assert at_township.total().base == sum(r["base"] for r in by_code.values())
