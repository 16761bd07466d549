"""`schoolq records` (each school's homework, 家访 and 集体备课 summary) and `schoolq import-records`
(a sheet checked whole: exit 2 naming sheet, row and column, nothing written; else written)."""
from __future__ import annotations

import json

import pytest
import xlsxwriter

from app.cli import main
from records_helpers import small_school


@pytest.fixture
def school(tmp_path, monkeypatch):
    path = tmp_path / "s.sqlite"
    db, ids = small_school(path)
    db.close()
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    return path, ids


def _sheet(path, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("作业")
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return str(path)


def test_import_records_refuses_then_writes_and_the_summary_counts_it(school, tmp_path, capsys):
    path, _ids = school
    bad = _sheet(tmp_path / "bad.xlsx", [["班级", "日期", "语文", "数学"], ["三(1)班", "2026-11-16", 40, 35],
                                         ["五(1)班", "2026-11-16", "一小时", 20]])
    assert main(["import-records", str(path), bad, "--kind", "homework"]) == 2
    out = capsys.readouterr().out
    assert "工作表“作业” 第 3 行 “语文”列" in out and "未写入任何数据" in out
    assert main(["records", str(path), "--json"]) == 0
    [before] = json.loads(capsys.readouterr().out)
    assert (before["homework_weeks"], before["visits"]) == (0, 0)  # nothing was written
    good = _sheet(tmp_path / "good.xlsx", [["班级", "日期", "语文", "数学"], ["三(1)班", "2026-11-16", 40, 35],
                                           ["三(1)班", "2026-11-17", 20, 15], ["五(1)班", "2026-11-16", 30, 20]])
    assert main(["import-records", str(path), good, "--kind", "homework", "--dry-run"]) == 0
    assert "试运行" in capsys.readouterr().out
    assert main(["import-records", str(path), good, "--kind", "homework"]) == 0
    assert "已登记 3 个班级日" in capsys.readouterr().out
    assert main(["records", str(path), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    # 三(1)班 75 and 35 → mean 55 (within 60); 五(1)班 50: two class-weeks, none over
    assert (row["school_code"], row["homework_weeks"], row["homework_weeks_over"]) == ("XS01", 2, 0)
    assert (row["visits"], row["teachers"], row["prep_groups"]) == (0, 4, 0)


def test_import_visits_from_the_command_line(school, tmp_path, capsys):
    path, _ids = school
    sheet = _sheet(tmp_path / "v.xlsx", [["学籍号", "家访教师", "日期", "方式", "情况记录"],
                                         ["XS000001", "李春燕", "2026-10-10", "上门", "学习习惯好"],
                                         ["XS000007", "王建国", "2026-10-12", "电话", ""]])
    assert main(["import-records", str(path), sheet, "--kind", "visits"]) == 0
    assert main(["records", str(path)]) == 0
    out = capsys.readouterr().out
    assert "溪水完全小学" in out and "0/4" in out
