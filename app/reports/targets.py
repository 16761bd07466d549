"""Quality targets in print: the target-vs-result table the exam-school and township reports carry,
and the 教学质量目标责任书 of one school (003 三(一): "与学校层层签订教学质量目标责任书,逐级明确目标、
落实责任、严格管理"; 001 §15–17: targets set per school and grade, assessed every school year) — and of
one teacher with the school, when the quality preset in force asks for letters down to the teachers
(its responsibility_letters is 'teacher')."""
from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from app.errors import invalid
from app.reports.common import find_school, make_stamp
from app.reports.model import Column, Report, Section, Table, Text
from app.services.schools import current_term
from app.services.targets import METRICS, RATES, list_targets, target_text
from app.stats.presets import active_preset

# The terms of the letter; the second party's duties follow 003 三(一)(四)(六) and 001 §16–17.
TERMS = (
    "一、乙方按本责任书所列目标组织教育教学,目标逐级分解到年级、学科和教师,明确目标、落实责任、严格管理。",
    "二、目标以本学期乡镇统一质量检测的成绩为准,按年级分别核算;统计口径、分数线与评分方案以乡镇下发的为准。",
    "三、甲方每学年对目标完成情况考核一次,考核结果作为校长履职考核、评优评先和奖励性绩效分配的重要依据。",
    "四、对工作不作为、慢作为,导致教学质量严重下滑的,按有关规定问责。",
    "五、本责任书一式两份,甲乙双方各执一份,自签订之日起生效,至本学年末止。",
)


# The teacher's terms (003 三(一)(四): targets broken down to the teachers; the school assesses them).
TEACHER_TERMS = (
    "一、乙方按本责任书所列目标组织所任班级、学科的教育教学,落实教学常规,做好培优补差。",
    "二、目标以本学期乡镇统一质量检测的成绩为准,按乙方所任班级、学科核算;统计口径、分数线与评分方案以乡镇下发的为准。",
    "三、甲方每学年对目标完成情况考核一次,考核结果作为教师年度考核、评优评先和奖励性绩效分配的重要依据。",
    "四、本责任书一式两份,甲乙双方各执一份,自签订之日起生效,至本学年末止。",
)


def _where(row: dict) -> str:
    teacher = f"{row['teacher_name']}(教师)" if row.get("teacher_id") else ""
    return teacher + (f"{row['grade']}年级" if row["grade"] else ("" if teacher else "全校")) + (row["subject"] or "各学科")


def difference_text(row: dict) -> str:
    """Return a target's difference as people read it: rates in percentage points, '—' without a result."""
    if row["difference"] is None:
        return "—"
    value = row["difference"]
    if row["metric"] in RATES:
        return f"{100 * value:+.1f} 个百分点"
    return f"{value:+g}" if row["metric"] == "rank" else f"{value:+.1f}"


def target_table(rows: list[dict], title: str = "质量目标完成情况", *, with_school: bool = False) -> Table:
    """Return the table of targets and results (rows of app.stats.target_results.target_results):
    范围, 指标, 目标, 实际, 差额 (positive is better), 完成情况; with the school first when asked."""
    columns = [Column("学校")] if with_school else []
    columns += [Column("年级与学科"), Column("指标"), Column("目标"), Column("实际"), Column("差额"), Column("完成情况")]
    body = [([r["school_name"]] if with_school else []) + [
        _where(r), METRICS[r["metric"]], target_text(r["metric"], r["target"]), target_text(r["metric"], r["result"]),
        difference_text(r), r["status"]] for r in rows]
    return Table(title, columns, body, sheet=title[:31],
                 note="差额为正表示好于目标(低分率、名次越低越好)。目标由乡镇下发。")


def _term(db: Database, term_code: str | None) -> dict:
    if not term_code:
        return current_term(db)
    row = db.execute("SELECT id, code, name FROM term WHERE code = ?", [term_code]).fetchone()
    if row is None:
        raise invalid(f"数据库中没有学期“{term_code}”。", "term")
    return {"id": row[0], "code": row[1], "name": row[2]}


def build_teacher_letter(db: Database, staff_no: str, *, term_code: str | None = None,
                         made: dt.datetime | None = None) -> Report:
    """Return the 教学质量目标责任书 between a school and its teacher with 工号 `staff_no` for a term
    (default the current one): the teacher's targets, the terms and both signature lines.
    Raises NotFound (term), ValidationError (the quality preset in force signs letters with the
    schools only, an unknown teacher, no targets of the teacher in the term)."""
    preset = active_preset(db, "quality")
    if preset.content.get("responsibility_letters", "school") != "teacher":
        raise invalid("在用的“三率一分”方案规定责任书只与学校签订(见评分方案“责任书签到哪一级”)。", "teacher")
    found = db.execute("SELECT t.id, t.name, t.staff_no, s.name FROM teacher t JOIN school s ON s.id = t.school_id"
                       " WHERE t.staff_no = ? AND t.active = 1", [staff_no.strip().upper()]).fetchone()
    if found is None:
        raise invalid(f"没有工号为“{staff_no}”的在职教师。", "teacher")
    teacher_id, name, number, school_name = found
    term = _term(db, term_code)
    targets = [t for t in list_targets(db, term_id=term["id"]) if t["teacher_id"] == teacher_id]
    if not targets:
        raise invalid(f"{name}在{term['name']}还没有质量目标,请先设定目标。", "teacher")
    table = Table("教学质量目标", [Column("年级与学科"), Column("指标"), Column("目标"), Column("说明", "para")],
                  [[_where(t), t["metric_name"], target_text(t["metric"], t["target"]), t["note"] or ""]
                   for t in targets], sheet="目标")
    signatures = Table("双方签字", [Column(f"甲方:{school_name}(盖章)"), Column(f"乙方:{name}")],
                       [["校长(签字):", "教师(签字):"], ["", ""], ["日期:      年    月    日", "日期:      年    月    日"]],
                       sheet="签字")
    sections = [Section(None, [Text(f"为把教学质量目标逐级分解到教师,明确目标、落实责任,甲方{school_name}与乙方{name}"
                                    f"老师就{term['name']}教学质量目标签订本责任书。")]),
                Section("教学质量目标", [table]),
                Section("责任与考核", [Text(t) for t in TEACHER_TERMS]),
                Section("签字", [signatures])]
    stamp = make_stamp(db, [], [preset], made=made,
                       extra=[(t["id"], t["grade"], t["subject"], t["metric"], t["target"]) for t in targets])
    title = "教学质量目标责任书"
    return Report(kind="responsibility", title=title, subtitle=f"{school_name} {name} · {term['name']}",
                  header=f"{school_name} {name} · {title}", stamp=stamp, sections=sections,
                  basis=[("甲方", school_name), ("乙方", f"{name}(工号 {number})"), ("学期", term["name"])],
                  file_title=f"{name}{term['name']}{title}")


def build_letter(db: Database, school_code: str | None, *, term_code: str | None = None,
                 made: dt.datetime | None = None) -> Report:
    """Return the 教学质量目标责任书 of one school for a term (default the current one): the parties,
    the school's targets, the terms and the signature lines of both parties.
    Raises NotFound (school, term), ValidationError (no targets for the school in the term)."""
    school = find_school(db, school_code)
    term = _term(db, term_code)
    targets = [t for t in list_targets(db, term_id=term["id"], school_id=school["id"]) if not t["teacher_id"]]
    if not targets:
        raise invalid(f"{school['name']}在{term['name']}还没有质量目标,请先设定目标。", "school")
    township = db.execute("SELECT t.name FROM school s JOIN township t ON t.id = s.township_id WHERE s.id = ?",
                          [school["id"]]).fetchone()
    first = f"{township[0]}中心学校" if township else "乡镇中心学校"
    table = Table("教学质量目标", [Column("年级与学科"), Column("指标"), Column("目标"), Column("说明", "para")],
                  [[_where(t), t["metric_name"], target_text(t["metric"], t["target"]), t["note"] or ""]
                   for t in targets], sheet="目标")
    signatures = [Table("双方签字", [Column(f"甲方:{first}(盖章)"), Column(f"乙方:{school['name']}(盖章)")],
                        [["负责人(签字):", "校长(签字):"], ["", ""], ["日期:      年    月    日", "日期:      年    月    日"]],
                        sheet="签字")]
    sections = [Section(None, [Text(f"为落实教学质量目标管理制度,明确目标、落实责任,甲方{first}与乙方{school['name']}"
                                    f"就{term['name']}教学质量目标签订本责任书。")]),
                Section("教学质量目标", [table]),
                Section("责任与考核", [Text(t) for t in TERMS]),
                Section("签字", signatures)]
    stamp = make_stamp(db, [], [active_preset(db, "quality")], made=made, school_ids=[school["id"]],
                       extra=[(t["id"], t["grade"], t["subject"], t["metric"], t["target"]) for t in targets])
    title = "教学质量目标责任书"
    return Report(kind="responsibility", title=title, subtitle=f"{school['name']} · {term['name']}",
                  header=f"{school['name']} · {title}", stamp=stamp, sections=sections,
                  basis=[("甲方", first), ("乙方", f"{school['name']}({school['code']})"), ("学期", term["name"])],
                  file_title=f"{school['name']}{term['name']}{title}")
