"""The township's cross-school checks, shared by `schoolq township checks` and the 数据交换 page's
数据核查 dialog: the same 学籍号 enrolled in two schools, 走教 teachers timetabled at two schools at
once, unified exams over the term's limit and, for one exam, the schools without marks and the
pupils on a roster without a mark (缺考 = 0 under the roster basis, 000 篇9)."""
from __future__ import annotations

from sqlite_utils import Database

from app.queries.township import duplicate_student_numbers, itinerant_clashes, schools_missing_exam
from app.services.exam_limits import exam_limits, unified_exam_counts
from app.services.exams import find_exam
from app.services.schools import current_term
from app.timestamps import shown
from app.stats.roster import pupils_without_marks

WEEKDAYS = "一二三四五六日"


def township_checks(db: Database, exam: str | None = None) -> dict:
    """Return {duplicate_student_numbers, itinerant_clashes, unified_exams, unified_exam_rule} and,
    when `exam` (id or name) is given, {missing_for_exam, pupils_without_marks}. Raises NotFound for
    an unknown exam or a database without a current term."""
    term_id = current_term(db)["id"]
    report = {"duplicate_student_numbers": duplicate_student_numbers(db),
              "itinerant_clashes": itinerant_clashes(db, term_id)}
    if exam:
        found = find_exam(db, exam)
        report["missing_for_exam"] = schools_missing_exam(db, found["id"])
        report["pupils_without_marks"] = pupils_without_marks(db, found)
    report["unified_exams"] = unified_exam_counts(db, term_id)
    report["unified_exam_rule"] = exam_limits(db)["rule"]
    return report


def check_lines(report: dict) -> list[str]:
    """Return the report of township_checks as Chinese lines: a heading line per check with its
    count, then one indented line per finding."""
    lines = []
    dupes = report["duplicate_student_numbers"]
    lines.append(f"同一学籍号在两所及以上学校在籍:{len(dupes)} 个")
    for item in dupes:
        where = "、".join(f"{s['school_name']}({s['name']},{s['status']})" for s in item["schools"])
        lines.append(f"  {item['student_no']}:{where}")
    clashes = report["itinerant_clashes"]
    lines.append(f"走教教师同一时间排在两所学校:{len(clashes)} 处")
    for c in clashes:
        lines.append(f"  {c['teacher']}({c['home_school']})星期{WEEKDAYS[c['day'] - 1]}:{c['school_a']} {c['class_a']}"
                     f" {c['label_a'] or '第' + str(c['slot_a']) + '节'} 与 {c['school_b']} {c['class_b']}"
                     f" {c['label_b'] or '第' + str(c['slot_b']) + '节'}")
    over = [c for c in report["unified_exams"] if c["over"]]
    lines.append(f"本学期各校各年级的统一考试次数:超过规定的 {len(over)} 处({report['unified_exam_rule']})")
    for c in over:
        lines.append(f"  {c['school_name']} {c['grade']}年级:{c['count']} 次(至多 {c['limit']} 次)")
    if "missing_for_exam" in report:
        missing = report["missing_for_exam"]
        lines.append(f"这次考试还没有成绩的学校:{len(missing)} 所")
        for s in missing:
            lines.append(f"  {s['code']} {s['name']}(最近导入:{shown(s['last_imported_at']) if s['last_imported_at'] else '从未'})")
        without = report["pupils_without_marks"]
        lines.append(f"名册上有、却没有成绩的学生(考试当天在班,未免考;按应考统计计缺考 0 分):"
                     f"{sum(len(c['pupils']) for c in without)} 人")
        for c in without:
            lines.append(f"  {c['school_name']} {c['class_name']}:" + "、".join(
                f"{p['name']}({p['student_no']},缺{'、'.join(p['subjects'])})" for p in c["pupils"]))
    return lines
