"""Results of 留守儿童, 寄宿, 随迁子女 and 残疾 pupils beside the rest, checked with plain SQL on the demo,
with the small-group rule (fewer than 10 papers: n only), and their place in the two reports."""
from __future__ import annotations

from app.reports.pdf import write_pdf
from app.reports import exam_school, township
from app.stats.care_groups import care_group_results
from report_helpers import pages_text


def _exam(db):
    return db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]


def _plain(db, exam_id, school_id, flag, value):
    rows = [r[0] for r in db.execute(
        f"SELECT m.score FROM mark m JOIN pupil p ON p.id = m.pupil_id JOIN subject s ON s.id = m.subject_id"
        f" WHERE m.exam_id = ? AND m.school_id = ? AND s.name = '语文' AND m.status = '正常' AND p.{flag} = ?",
        [exam_id, school_id, value])]
    # full marks 100, 及格 60, 优秀 85 for every grade of the demo's 统考
    return len(rows), sum(rows) / len(rows), sum(v >= 60 for v in rows) / len(rows), sum(v >= 85 for v in rows) / len(rows)


def test_groups_beside_the_rest_against_plain_sql(demo_db):
    exam_id = _exam(demo_db)
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    found = {(r["subject"], r["label"]): r for r in care_group_results(demo_db, exam_id, school_ids=[school_id])}
    assert {s for s, _ in found} == {"语文", "数学", "英语"}
    left = found[("语文", "留守儿童")]
    n, mean, passed, excellent = _plain(demo_db, exam_id, school_id, "left_behind", 1)
    assert left["flagged"]["n"] == n > 10
    assert abs(left["flagged"]["mean"] - mean) < 1e-9 and abs(left["flagged"]["pass_rate"] - passed) < 1e-9
    assert abs(left["flagged"]["excellent_rate"] - excellent) < 1e-9
    n2, mean2, passed2, _ = _plain(demo_db, exam_id, school_id, "left_behind", 0)
    assert left["others"]["n"] == n2 and abs(left["mean_gap"] - (mean - mean2)) < 1e-9
    assert abs(left["pass_gap"] - (passed - passed2)) < 1e-9
    disabled = found[("语文", "残疾")]
    assert disabled["flagged"]["n"] < 10 and disabled["flagged"]["small_sample"]
    assert disabled["flagged"]["mean"] is None and disabled["mean_gap"] is None


def test_both_reports_carry_the_groups_without_small_group_figures(demo_db, tmp_path):
    exam_id = _exam(demo_db)
    for report, name in ((exam_school.build(demo_db, exam_id, school_code="QSZ01"), "school.pdf"),
                         (township.build(demo_db, exam_id, township_code="QSZ"), "township.pdf")):
        table = next(t for t in report.tables() if t.title == "各群体主科成绩与其他学生对比")
        small = [row for row in table.rows if row[1] == "残疾"]
        assert small and all(row[3] is None and row[-1] == "样本过小" for row in small)
        text = "".join(pages_text(write_pdf(report, tmp_path / name)))
        assert "留守儿童" in text and "人数少于 10 的群体只列人数" in text.replace("\n", "")
