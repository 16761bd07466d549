"""Genuinely signed packages that would harm the township: absurd sequence numbers, rows of other
schools, values an import would refuse, a school emptied. Each is refused with a Chinese reason and
the township holds exactly what it held before; `township status` and later imports keep working."""
from __future__ import annotations

import shutil
import threading

import pytest

from app.cli import main
from app.db.database import open_database
from app.db.writes import stable_id
from app.packages import snapshot
from app.packages.export import export_package
from app.packages.signing import own_public_pem
from app.packages.township_import import import_package
from app.packages.trust import register_key
from app.queries import township as views
from app.services import setup
from app.services.users import actor_for

CODE = "QSZ05"


def dump(db) -> dict:
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: sorted(map(repr, db.execute(f"SELECT * FROM [{t}]").fetchall())) for t in tables}


@pytest.fixture(scope="module")
def world(demo_template, tmp_path_factory):
    """A township that imported QSZ01's and QSZ05's packages of this term."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(demo_template / "schools", root / "schools")
    usb = root / "usb"
    usb.mkdir()
    township = setup.init_township(root / "township.sqlite", code="QSZ", name="青山镇", passphrase="demo", demo=True)
    admin = actor_for(township)
    for code in ("QSZ01", CODE):
        db = open_database(root / "schools" / f"{code}.sqlite")
        register_key(township, admin, level="school", code=code, pem=own_public_pem(db))
        assert import_package(township, admin, export_package(db, actor_for(db), "demo", usb).path).status == "accepted"
        db.close()
    township.close()
    return root


@pytest.fixture
def township(world, tmp_path):
    path = tmp_path / "township.sqlite"
    source = open_database(world / "township.sqlite")
    source.execute("VACUUM INTO ?", [str(path)])
    source.close()
    db = open_database(path)
    yield db
    db.close()


@pytest.fixture
def school(world, tmp_path):
    path = tmp_path / f"{CODE}.sqlite"
    shutil.copy(world / "schools" / f"{CODE}.sqlite", path)
    db = open_database(path)
    yield db
    db.close()


def signed(school, tmp_path, monkeypatch, change=None):
    """Return the path of a package QSZ05 really signs, its rows first passed through `change`."""
    if change is not None:
        collect = snapshot.collect

        def altered(db, scope):
            rows = collect(db, scope)
            change(rows)
            return rows
        monkeypatch.setattr(snapshot, "collect", altered)
    out = tmp_path / f"usb{len(list(tmp_path.glob('usb*')))}"
    out.mkdir()
    path = export_package(school, actor_for(school), "demo", out).path
    monkeypatch.setattr(snapshot, "collect", snapshot.collect if change is None else collect)
    return path


def refused(township, path, code: str, *words: str):
    before = dump(township)
    result = import_package(township, actor_for(township), path)
    assert result.status == "refused" and result.reason_code == code, result.message
    for word in words:
        assert word in result.message, result.message
    assert dump(township) == before
    return result


def test_a_sequence_far_above_the_last_one_is_refused(township, school, tmp_path, monkeypatch):
    # The school's database says its next package is number 10^12 (the adversarial test's package).
    school.execute("INSERT INTO package_export (id, kind, sequence, term_code, file_name, status, username,"
                   " created_at, updated_at) VALUES ('x', 'data', ?, '2026-2027-1', 'x.zip', 'written', 'admin',"
                   " '2026-01-01', '2026-01-01')", [10**12 - 1])
    school.conn.commit()
    path = signed(school, tmp_path, monkeypatch)
    refused(township, path, "sequence_jump", "第 1000000000000 号", "上一个收到的是第 1 号", "最多 500 个")


def test_status_and_later_imports_work_after_an_older_program_stored_a_huge_number(township, school, tmp_path,
                                                                                   monkeypatch, capsys):
    township.execute("INSERT INTO package_import (id, kind, sender_level, sender_code, sender_name, term_code,"
                     " sequence, package_created_at, file_name, manifest_sha256, key_fingerprint, changes, username,"
                     " created_at, updated_at) VALUES ('huge', 'data', 'school', ?, '竹林教学点', '2026-2027-1', ?,"
                     " '2026-01-01', 'huge.zip', 'h', 'f', '{}', 'admin', '2026-01-01', '2026-01-01')",
                     [CODE, 10**12])
    township.conn.commit()
    status = {r["code"]: r for r in views.package_status(township)}[CODE]
    assert status["missing"] == [] and status["status"] == "正常"
    # The school's number 3 (2 never arrived) is neither "older than 10^12" nor a gap of a trillion.
    signed(school, tmp_path, monkeypatch)
    result = import_package(township, actor_for(township), signed(school, tmp_path, monkeypatch))
    assert result.status == "accepted", result.message
    assert result.sequence == 3 and result.gaps == [(2, 2)] and "第 2 号数据包未收到" in result.message
    path = township.execute("PRAGMA database_list").fetchone()[2]
    assert main(["township", "status", path]) == 0
    assert "第 2 号数据包未收到" in capsys.readouterr().out


def test_reference_rows_never_write_into_another_school(township, school, tmp_path, monkeypatch):
    central = stable_id("school", "QSZ01")

    def forge(rows):
        teacher = dict(rows["教师"][0], id="11111111-1111-4111-8111-111111111111", staff_no="X999", name="冒名",
                       school_id=central, own=0, school_name="青山镇中心小学")
        exam = dict(rows["考试"][0], id="22222222-2222-4222-8222-222222222222", school_id=central, own=0,
                    exam_subject_id="33333333-3333-4333-8333-333333333333", name="假考试")
        rows["教师"].append(teacher)
        rows["考试"].append(exam)
    refused(township, signed(school, tmp_path, monkeypatch, forge), "bad_data", "冒名", "不属于本包的学校")

    def new_school(rows):
        rows["学校"].append(dict(rows["学校"][0], code="QSZ99", name="虚构小学", id=stable_id("school", "QSZ99"),
                                own=0))
        rows["教师"].append(dict(rows["教师"][0], id="44444444-4444-4444-8444-444444444444", staff_no="Y1",
                                school_id=stable_id("school", "QSZ99"), own=0))
    refused(township, signed(school, tmp_path, monkeypatch, new_school), "bad_data", "教师所属学校")
    assert township.execute("SELECT COUNT(*) FROM school WHERE code = 'QSZ99'").fetchone()[0] == 0


def test_values_an_import_would_refuse_are_refused_with_their_cell(township, school, tmp_path, monkeypatch):
    def marks(rows):
        scored = [r for r in rows["成绩"] if r["status"] == "正常"]
        scored[0]["score"] = 9999
        scored[1]["score"] = -50
    result = refused(township, signed(school, tmp_path, monkeypatch, marks), "bad_data", "工作表“成绩”",
                     "“分数”列", "超过满分", "小于 0")
    assert result.message.count("“分数”列") == 2

    def names(rows):
        rows["学生"][0]["name"] = '=HYPERLINK("x")'
        rows["学生"][1]["name"] = "张" * 40000
        rows["教师"][0]["phone"] = "138\x1b[31m0000"
    refused(township, signed(school, tmp_path, monkeypatch, names), "bad_data", "工作表“学生” 第 2 行 “姓名”列",
            "当作公式", "第 3 行 “姓名”列", "内容过长", "“电话”列", "看不见的转义符")

    def student_no(rows):  # a G-number whose ID number ends in 2 where its check digit is 1
        rows["学生"][0]["student_no"] = "G110105200901010012"
    refused(township, signed(school, tmp_path, monkeypatch, student_no), "bad_data", "“学籍号”列", "G 加身份证件号")


def test_a_package_emptying_the_school_is_held_until_confirmed(township, school, tmp_path, monkeypatch, capsys):
    pupils = township.execute("SELECT COUNT(*) FROM pupil WHERE school_id = ?", [stable_id("school", CODE)]).fetchone()[0]
    marks = township.execute("SELECT COUNT(*) FROM mark m JOIN exam e ON e.id = m.exam_id JOIN term t ON t.id = e.term_id"
                             " WHERE m.school_id = ? AND t.code = '2026-2027-1'", [stable_id("school", CODE)]).fetchone()[0]
    assert pupils > 20 and marks > 100

    def empty(rows):
        for sheet in ("学生", "学籍异动", "成绩", "辅导学生", "帮扶名单", "双困生"):
            rows[sheet] = []
    path = signed(school, tmp_path, monkeypatch, empty)
    result = refused(township, path, "shrink", f"{pupils} 名学生中的 {pupils} 名", f"{marks:,} 条成绩中的 {marks:,} 条",
                     "--accept-shrink")
    assert result.summary["shrink"] == {"pupils_before": pupils, "pupils_removed": pupils,
                                        "marks_before": marks, "marks_removed": marks}
    db_path = township.execute("PRAGMA database_list").fetchone()[2]
    township.close()
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["township", "import", db_path, str(path)]) == 2
    assert "--accept-shrink" in capsys.readouterr().err
    assert main(["township", "import", db_path, str(path), "--accept-shrink"]) == 0
    db = open_database(db_path)
    try:
        assert db.execute("SELECT COUNT(*) FROM pupil WHERE school_id = ?", [stable_id("school", CODE)]).fetchone()[0] == 0
    finally:
        db.close()


def test_a_few_pupils_leaving_is_not_held(township, school, tmp_path, monkeypatch):
    def one_less(rows):
        gone = rows["学生"].pop()["id"]
        rows["学籍异动"] = [r for r in rows["学籍异动"] if r["pupil_id"] != gone]
        for sheet in ("成绩", "辅导学生", "帮扶名单", "双困生"):
            rows[sheet] = [r for r in rows[sheet] if r["pupil_id"] != gone]
    result = import_package(township, actor_for(township), signed(school, tmp_path, monkeypatch, one_less))
    assert result.status == "accepted", result.message
    assert result.summary["counts"]["pupil"]["removed"] == 1


def test_two_imports_at_once_both_end_correctly(township, school, tmp_path, monkeypatch):
    """Two windows (or commands) import the same stick at the same moment: one waits for the other,
    then finds the package already there; neither fails."""
    path = signed(school, tmp_path, monkeypatch)
    db_path = township.execute("PRAGMA database_list").fetchone()[2]
    results: list = []

    def run() -> None:
        db = open_database(db_path)
        try:
            results.append(import_package(db, actor_for(db), path))
        finally:
            db.close()
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in results) == ["accepted", "duplicate"], [r.message for r in results]
    assert township.execute("SELECT COUNT(*) FROM package_import WHERE sender_code = ? AND sequence = 2",
                            [CODE]).fetchone()[0] == 1
