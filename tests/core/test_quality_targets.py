"""Quality targets: set by the township (one by one or from a messy sheet, all or nothing), each set
beside the exam's result with 完成 / 未完成 and the difference (worked by hand on the five-school
township of test_township_scheme), in the exam-school and township reports, and the 责任书 PDF."""
from __future__ import annotations

import json

import pytest
from openpyxl import Workbook
from report_helpers import pages_text

from app.cli import main
from app.db.database import open_database
from app.db.writes import SYSTEM
from app.errors import PermissionDenied, ValidationError
from app.reports import build_report
from app.reports.targets import build_letter
from app.services.targets import import_targets, list_targets, set_targets
from app.stats.target_results import target_results
from scheme_helpers import build_township


@pytest.fixture(scope="module")
def township(tmp_path_factory):
    """The five-school township of scheme_helpers."""
    return build_township(tmp_path_factory.mktemp("targets"))


def test_targets_beside_results_worked_by_hand(township):
    db = open_database(township["path"])
    try:
        set_targets(db, SYSTEM, [
            {"school": "SA", "grade": 3, "subject": "语文", "metric": "平均分", "target": 80},
            {"school": "SA", "grade": "三年级", "subject": "语文", "metric": "及格率", "target": "95%"},
            {"school": "C校", "grade": 3, "subject": "语", "metric": "低分率", "target": 5},
            {"school": "SD", "metric": "平均分", "target": 65},
        ])
        rows = {(r["school_code"], r["metric"]): r for r in target_results(db, township["exam"])}
    finally:
        db.close()
    # A: 90, 80, 70, 60 → 平均分 75 (target 80: −5, 未完成), 及格率 4/4 (target 95%: +5 points, 完成).
    assert (rows[("SA", "mean")]["result"], rows[("SA", "mean")]["difference"], rows[("SA", "mean")]["status"]) == \
        (75, -5, "未完成")
    assert rows[("SA", "pass_rate")]["target"] == pytest.approx(0.95)
    assert rows[("SA", "pass_rate")]["difference"] == pytest.approx(0.05) and rows[("SA", "pass_rate")]["status"] == "完成"
    # C: nobody below 40 → 低分率 0 against 5 %: lower is better, +5 points.
    assert rows[("SC", "low_rate")]["result"] == 0 and rows[("SC", "low_rate")]["difference"] == pytest.approx(0.05)
    # D, whole school: 语文 60 each → 60 against 65.
    assert (rows[("SD", "mean")]["result"], rows[("SD", "mean")]["status"]) == (60, "未完成")


def test_only_the_township_sets_targets_and_bad_rows_name_their_cell(township, tmp_path):
    db = open_database(township["path"])
    try:
        from app.db.writes import Actor
        with pytest.raises(PermissionDenied):
            set_targets(db, Actor("x", "school_admin", school_id="s"), [{"school": "SA", "metric": "平均分",
                                                                          "target": 1}])
        before = len(list_targets(db))
        book = Workbook()
        sheet = book.active
        sheet.title = "目标"
        sheet.append(["2026 学年质量目标"])
        sheet.append(["学校代码", "年级", "学科", "指标", "目标值", "备注"])
        sheet.append(["SB", "三年级", "语文", "优秀率", "30%", "力争"])
        sheet.append(["SX", "3", "语文", "及格率", "90", None])
        sheet.append(["SB", "十年级", "数学", "合格率", "很高", None])
        path = tmp_path / "目标.xlsx"
        book.save(path)
        with pytest.raises(ValidationError) as caught:
            import_targets(db, SYSTEM, path)
        text = str(caught.value)
        assert "工作表“目标” 第 4 行 “学校代码”列:没有学校“SX”" in text
        assert "第 5 行 “年级”列" in text and "第 5 行 “指标”列" in text
        assert len(list_targets(db)) == before, "nothing written"
        sheet.delete_rows(4, 2)
        book.save(path)
        assert import_targets(db, SYSTEM, path)["added"] == 1
        row = next(r for r in list_targets(db) if r["school_code"] == "SB")
        assert (row["metric"], row["target"], row["grade"], row["note"]) == ("excellent_rate", 0.3, 3, "力争")
    finally:
        db.close()


def test_letter_lists_the_targets_and_both_parties(township, tmp_path, capsys):
    db = open_database(township["path"])
    try:
        set_targets(db, SYSTEM, [{"school": "SE", "grade": 3, "subject": "语文", "metric": "名次", "target": 2}])
        report = build_letter(db, "SE")
    finally:
        db.close()
    from app.reports import write_report
    text = "\n".join(pages_text(write_report(report, tmp_path / "责任书.pdf"))).replace(" ", "")
    assert "教学质量目标责任书" in text and "甲方:测试镇中心学校" in text and "乙方:E校" in text
    assert "3年级语文" in text and "第2名" in text and "校长(签字)" in text
    capsys.readouterr()
    db = open_database(township["path"])
    try:
        db.execute("DELETE FROM quality_target WHERE school_id = (SELECT id FROM school WHERE code = 'SE')")
        db.conn.commit()
    finally:
        db.close()
    assert main(["target", "letter", str(township["path"]), "--school", "SE", "--out", str(tmp_path / "x.pdf")]) == 2
    assert "E校在2026—2027 学年第一学期还没有质量目标" in capsys.readouterr().err


def test_reports_show_target_against_result(demo_db, tmp_path):
    exam = demo_db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    set_targets(demo_db, SYSTEM, [{"school": "QSZ02", "grade": 3, "subject": "数学", "metric": "平均分", "target": 99},
                                  {"school": "QSZ02", "grade": 3, "subject": "数学", "metric": "及格率", "target": "1%"}])
    result = {r["metric"]: r for r in target_results(demo_db, exam)}
    school = build_report(demo_db, "exam-school", exam, school="QSZ02")
    table = next(t for t in school.tables() if t.title == "质量目标完成情况")
    assert [row[0:3] + row[5:] for row in table.rows] == [["3年级数学", "平均分", "99.0", "未完成"],
                                                          ["3年级数学", "及格率", "1.0%", "完成"]]
    assert table.rows[0][3] == f"{result['mean']['result']:.1f}"
    town = build_report(demo_db, "township", exam)
    missed = next(t for t in town.tables() if t.title == "未完成的质量目标")
    assert [row[:3] for row in missed.rows] == [["油溪完全小学", "3年级数学", "平均分"]]


def test_cli_results_json(demo_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["target", "set", str(demo_path), "--school", "QSZ01", "--grade", "4", "--subject", "语文",
                 "--metric", "优秀率", "--target", "90%"]) == 0
    capsys.readouterr()
    assert main(["target", "results", str(demo_path), "--exam", "2026—2027学年第一学期期中统考", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["school_code"], r["metric"], r["status"]) for r in rows] == [("QSZ01", "excellent_rate", "未完成")]
