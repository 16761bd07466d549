"""`schoolq report --kind exam-school --all-schools --out DIR`: one 考试质量分析报告 per school with
marks in the exam, each the same as that school's report made alone, and 报告目录.xlsx listing the
schools with links to their files; progress on stderr; refusals exit 2; 取消 leaves no file."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from app.cli import main
from app.progress import Cancelled
from app.reports import build_report, write_report
from app.reports.all_schools import INDEX_NAME, write_all_school_reports
from report_helpers import exam_ids

# The demo township's schools, all of which sat the midterm, with the pupils who have a mark in it.
SCHOOLS = ["QSZ01", "QSZ02", "QSZ03", "QSZ04", "QSZ05", "QSZ06"]


def _sheet(path, name: str) -> list[tuple]:
    return list(load_workbook(path)[name].iter_rows(values_only=True))


def test_every_school_gets_its_report_and_the_index_lists_them(demo_path, demo_db, tmp_path, capsys):
    exams = exam_ids(demo_db)
    out = tmp_path / "全部学校"
    assert main(["report", str(demo_path), "--kind", "exam-school", "--exam", "2026—2027学年第一学期期中统考",
                 "--all-schools", "--format", "xlsx", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "已生成 6 所学校的考试质量分析报告" in printed.out
    assert "第 1/6 所:青山镇中心小学" in printed.err and "[100%] 完成" in printed.err

    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 7 and INDEX_NAME in files
    index = _sheet(out / INDEX_NAME, "报告目录")
    assert "共 6 所学校" in index[0][0]
    assert index[1] == ("乡镇", "学校代码", "学校", "类型", "参考学生", "文件")
    rows = index[2:]
    assert [r[1] for r in rows] == SCHOOLS
    pupils = dict(demo_db.execute(
        "SELECT s.code, COUNT(DISTINCT m.pupil_id) FROM mark m JOIN school s ON s.id = m.school_id"
        " WHERE m.exam_id = ? GROUP BY s.code", [exams["统考"]]).fetchall())
    for township, code, name, _type, count, file in rows:
        assert township == "青山镇" and count == pupils[code] and file in files and code in file and name in file
    link = load_workbook(out / INDEX_NAME)["报告目录"].cell(row=3, column=6).hyperlink
    assert link is not None and link.target == rows[0][5]

    # Each school's file holds what its report made alone holds.
    alone = write_report(build_report(demo_db, "exam-school", exams["统考"], school="QSZ04"), tmp_path / "alone.xlsx")
    in_batch = out / next(r[5] for r in rows if r[1] == "QSZ04")
    for sheet in ("各年级三率一分", "班级对比", "进步值", "临界生"):
        assert _sheet(in_batch, sheet) == _sheet(alone, sheet)


@pytest.mark.parametrize("extra, message", [
    (["--kind", "class"], "只用于考试质量分析报告"),
    (["--kind", "exam-school", "--school", "QSZ01"], "不能同时用 --school"),
])
def test_all_schools_refusals(demo_path, demo_db, tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    assert main(["report", str(demo_path), "--exam", exam_ids(demo_db)["统考"], "--all-schools",
                 "--out", str(out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cancelled_batch_leaves_no_file(demo_db, tmp_path):
    exams = exam_ids(demo_db)
    seen: list[str] = []
    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        write_all_school_reports(demo_db, exams["统考"], out, progress=lambda _f, message: seen.append(message),
                                 cancelled=lambda: any("第 3/6 所" in m for m in seen))
    assert any("第 2/6 所" in m for m in seen)
    assert list(out.iterdir()) == []
