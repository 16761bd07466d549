"""`schoolq report`: PDF or workbook by the file's extension, the exam named by id or name, clear
refusals, a cancelled report leaves no file behind, and printing hands a PDF to `lp`."""
from __future__ import annotations

import sys

import pytest
from openpyxl import load_workbook

from app.cli import main
from app.errors import SchoolQError
from app.progress import Cancelled
from app.reports import make_report
from app.reports.printing import print_file
from report_helpers import exam_ids, pages_text


def test_report_to_pdf_and_xlsx(demo_path, demo_db, tmp_path, capsys):
    exams = exam_ids(demo_db)
    pdf = tmp_path / "油溪.pdf"
    assert main(["report", str(demo_path), "--kind", "exam-school", "--exam", "2026—2027学年第一学期期中统考",
                 "--school", "QSZ02", "--baseline", exams["期末"], "--out", str(pdf)]) == 0
    assert "已生成考试质量分析报告" in capsys.readouterr().out
    assert pdf.read_bytes()[:5] == b"%PDF-" and "油溪完全小学" in pages_text(pdf)[0]
    xlsx = tmp_path / "slips.xlsx"
    assert main(["report", str(demo_path), "--kind", "slips", "--exam", exams["统考"], "--school", "QSZ05",
                 "--class", "二(1)班", "--out", str(xlsx)]) == 0
    assert "成绩通知单" in load_workbook(xlsx).sheetnames
    split = tmp_path / "split.pdf"
    assert main(["report", str(demo_path), "--kind", "class-split", "--exam", exams["统考"], "--school", "QSZ01",
                 "--grade", "1", "--classes", "3", "--subject", "数学", "--out", str(split)]) == 0
    first = pages_text(split)[0]
    assert "平行编班分班建议" in first and "青山镇中心小学 一年级" in first and "数学成绩" in first


@pytest.mark.parametrize("extra, message", [
    (["--kind", "class", "--school", "QSZ01", "--out", "x.pdf"], "需要指明班级"),
    (["--kind", "exam-school", "--out", "x.pdf"], "--school"),
    (["--kind", "exam-school", "--school", "QSZ01", "--out", "x.docx"], ".pdf 或 .xlsx"),
    (["--kind", "class", "--school", "QSZ05", "--class", "六(1)班", "--out", "x.pdf"], "参加考试的班级"),
    (["--kind", "teacher", "--teacher", "NOBODY", "--out", "x.pdf"], "工号"),
    (["--kind", "class-split", "--school", "QSZ01", "--classes", "3", "--out", "x.pdf"], "--grade"),
    (["--kind", "class-split", "--school", "QSZ01", "--grade", "1", "--classes", "1", "--out", "x.pdf"], "2 到 20 个"),
    (["--kind", "class-split", "--school", "QSZ01", "--grade", "1", "--classes", "3", "--subject", "音乐",
      "--out", "x.xlsx"], "只评等级"),
])
def test_refusals_say_what_to_do(demo_path, demo_db, tmp_path, capsys, extra, message):
    exams = exam_ids(demo_db)
    out = tmp_path / "out"
    out.mkdir()
    args = ["report", str(demo_path), "--exam", exams["统考"]] + [
        str(out / a) if a.startswith("x.") else a for a in extra]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not list(out.iterdir())


def test_cancelled_report_writes_nothing(demo_db, tmp_path):
    exams = exam_ids(demo_db)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "cancelled.pdf"
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 6  # let the figures be gathered, stop while the pages are laid out

    with pytest.raises(Cancelled):
        make_report(demo_db, "exam-school", exams["统考"], target, school="QSZ01", cancelled=cancelled)
    assert not list(out.iterdir())
    seen = []
    make_report(demo_db, "township", exams["统考"], out / "town.xlsx", progress=lambda f, m: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows prints through the file's own program")
def test_print_goes_to_lp(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "printed.txt"
    lp = bin_dir / "lp"
    lp.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\n")
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    pdf = tmp_path / "报表.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    assert print_file(pdf) == "已把“报表.pdf”交给默认打印机。"
    assert log.read_text(encoding="utf-8").strip() == str(pdf)
    workbook = tmp_path / "报表.xlsx"
    workbook.write_bytes(b"PK")
    with pytest.raises(SchoolQError, match="WPS"):
        print_file(workbook)
    with pytest.raises(FileNotFoundError):
        print_file(tmp_path / "没有.pdf")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SchoolQError, match="没有找到打印命令"):
        print_file(pdf)
