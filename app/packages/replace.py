"""Replace a sender's data for one term by the snapshot a package carries, inside the caller's transaction.

The rows of data.xlsx are checked first (every row of the sender's own data belongs to one of its
schools and to the package's term, every id it refers to is in the package), then each table is
brought to the snapshot: rows missing from it are deleted, changed rows updated (old → new in the
audit log), new rows inserted. Reference rows (another school's 走教 teacher, a unified exam) must
already be in this database: they are read, never written, and a school is never created from
another school's package (a school registered here but not yet imported is recorded from the
reference row, so the 走教 links to it are kept). Returns a summary of what changed, for the import log.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from sqlite_utils import Database

from app.db.writes import (DERIVED_IDS, Actor, bulk_insert, delete_row, derived_id, insert_row, set_links, stable_id,
                           update_row)
from app.errors import Problem
from app.packages.datasheet import SHEET, ReadRow
from app.packages.format import Manifest, PackageRefused
from app.packages.row_checks import check_values
from app.services.schools import ensure_term

# The columns of each table a package carries, in the order rows are written.
COLUMNS = {
    "school": ("code", "name", "type", "township_id", "address", "daily_max_periods"),
    "teacher": ("school_id", "staff_no", "name", "gender", "birth_date", "hire_date", "phone", "active"),
    "class": ("school_id", "academic_year_id", "name", "number", "head_teacher_id"),
    # No 身份证号 (id_number): nothing at the township uses it, and a lost stick should not carry it.
    "pupil": ("school_id", "student_no", "name", "gender", "birth_date", "class_id", "grade", "boarding", "left_behind",
              "migrant", "disabled", "pe_exempt", "status", "status_date", "enrol_date"),
    "pupil_status_change": ("school_id", "pupil_id", "status", "date", "note"),
    "exam": ("school_id", "township_id", "name", "type", "scope", "term_id", "date", "policy"),
    "exam_subject": ("exam_id", "subject_id", "full_marks", "grades", "excellent_pct", "pass_pct", "low_pct",
                     "assessment", "levels"),
    "mark": ("school_id", "exam_id", "pupil_id", "subject_id", "class_id", "grade", "score", "status"),
    "teaching_assignment": ("school_id", "term_id", "teacher_id", "class_id", "subject_id", "weekly_periods"),
    "timetable_period": ("school_id", "term_id", "slot", "label", "kind", "start_time", "minutes"),
    "timetable_slot": ("school_id", "term_id", "class_id", "day", "slot", "subject_id", "teacher_id", "room",
                       "locked"),
    "timetable_fixed": ("school_id", "term_id", "day", "slot", "label", "subject_id"),
    "teacher_unavailable": ("school_id", "term_id", "teacher_id", "day", "slot", "reason"),
    "lesson_observation": ("school_id", "term_id", "observer_id", "teacher_id", "class_id", "subject_id", "date",
                           "form_id", "ratings", "score", "notes"),
    "routine_check": ("school_id", "term_id", "teacher_id", "checker_id", "date", "link", "sheet_id", "scores",
                      "total", "notes"),
    "quality_target": ("school_id", "term_id", "grade", "subject_id", "metric", "target", "note", "teacher_id"),
    "tutoring": ("school_id", "term_id", "teacher_id", "subject_id", "date", "minutes", "content", "outcome"),
    "tutoring_pupil": ("school_id", "term_id", "tutoring_id", "pupil_id"),
    "tutoring_plan": ("school_id", "term_id", "teacher_id", "pupil_id", "subject_id", "list", "exam_id", "note"),
    "pupil_difficulty": ("school_id", "term_id", "pupil_id", "kind", "reason", "date"),
    "homework_log": ("school_id", "term_id", "class_id", "date", "subject_id", "minutes", "note"),
    "home_visit": ("school_id", "term_id", "pupil_id", "teacher_id", "date", "way", "notes"),
    "prep_session": ("school_id", "term_id", "group_name", "date", "lead_id", "topic", "attendee_ids", "notes"),
}
# Tables holding the sender's rows of the package term (sheet, table), parents before children.
TERM_TABLES = (("成绩", "mark"), ("任课", "teaching_assignment"), ("作息时间", "timetable_period"),
               ("课表", "timetable_slot"), ("固定活动", "timetable_fixed"), ("教师不能上课", "teacher_unavailable"),
               ("听课记录", "lesson_observation"), ("教学常规", "routine_check"), ("质量指标", "quality_target"),
               ("辅导记录", "tutoring"), ("辅导学生", "tutoring_pupil"), ("帮扶名单", "tutoring_plan"),
               ("双困生", "pupil_difficulty"), ("作业时间", "homework_log"), ("家访", "home_visit"),
               ("集体备课", "prep_session"))
LABELS = {"school": "学校", "teacher": "教师", "class": "班级", "pupil": "学生", "pupil_status_change": "学籍异动",
          "exam": "考试", "exam_subject": "考试科目", "exam_cutoff": "分年级分数线", "mark": "成绩",
          "teaching_assignment": "任课", "timetable_period": "作息时间", "timetable_slot": "课表",
          "timetable_fixed": "固定活动", "teacher_unavailable": "教师不能上课",
          "lesson_observation": "听课记录", "routine_check": "教学常规", "quality_target": "质量指标",
          "tutoring": "辅导记录", "tutoring_pupil": "辅导学生", "tutoring_plan": "帮扶名单", "pupil_difficulty": "双困生",
          "homework_log": "作业时间", "home_visit": "家访", "prep_session": "集体备课"}
DETAIL_LIMIT = 50


@dataclass
class Snapshot:
    """The package's rows as table rows, with which of them are the sender's own."""

    rows: dict[str, dict[str, dict]] = field(default_factory=dict)
    own: dict[str, set[str]] = field(default_factory=dict)
    links: dict[str, dict[str, list]] = field(default_factory=dict)
    cutoffs: dict[str, list[tuple]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    where: dict[tuple[str, str], ReadRow] = field(default_factory=dict)
    adopted: set[str] = field(default_factory=set)  # reference rows written all the same (see _schools, _exams)
    absent: set[str] = field(default_factory=set)  # tables of optional sheets an older package lacks: left as they are

    def table(self, name: str) -> dict[str, dict]:
        """Return the rows of table `name` (id → values), creating the entry."""
        return self.rows.setdefault(name, {})


def ensure_term_code(db: Database, actor: Actor, code: str) -> str:
    """Return the id of the term with code like 2025-2026-1, creating it (and its year) when missing."""
    first, _, seq = code.rpartition("-")
    return ensure_term(db, actor, int(first.split("-")[0]), int(seq))


class _Resolver:
    """Maps names and codes written in the package to ids of this database."""

    def __init__(self, db: Database, actor: Actor, sheets: dict[str, list[ReadRow]]):
        self.db, self.actor = db, actor
        self.subjects = {r["name"]: r["id"] for r in db.query("SELECT id, name FROM subject")}
        self.schools = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM school")}
        self.schools.update({r.values["code"]: r.values["id"] for r in sheets.get("学校", [])})
        self.townships = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM township")}
        self._terms: dict[str, str] = {}
        self._years: dict[str, str] = {}

    def subject(self, name: str | None) -> str | None:
        """Return the id of the subject named `name`, or None."""
        return self.subjects.get(name) if name else None

    def term(self, code: str) -> str:
        """Return the id of the term `code`, creating it when missing."""
        if code not in self._terms:
            self._terms[code] = ensure_term_code(self.db, self.actor, code)
        return self._terms[code]

    def year(self, code: str) -> str:
        """Return the id of the academic year `code` (2025-2026), creating it when missing."""
        if code not in self._years:
            row = self.db.execute("SELECT id FROM academic_year WHERE code = ?", [code]).fetchone()
            if row:
                self._years[code] = row[0]
            else:
                first = int(code.split("-")[0])
                self._years[code] = insert_row(self.db, self.actor, "academic_year", {
                    "id": stable_id("academic_year", code), "code": code, "start_date": f"{first}-09-01",
                    "end_date": f"{first + 1}-08-31"})
        return self._years[code]


def build_snapshot(db: Database, actor: Actor, manifest: Manifest, sheets: dict[str, list[ReadRow]],
                   township_id: str | None) -> Snapshot:
    """Return the package's rows as table rows, with every problem found (located by sheet, row, column).

    `township_id` is the township the sender's schools belong to in this database. Creates missing
    terms and academic years (the caller's transaction rolls them back if the package is refused).
    """
    snap = Snapshot()
    res = _Resolver(db, actor, sheets)
    term = manifest.term_code

    def add(table: str, row: ReadRow, values: dict, own: bool = True) -> None:
        # A mark is known by its exam, pupil and subject, whatever 成绩ID the sender's version wrote.
        keyed = table in DERIVED_IDS and all(values.get(c) for c in DERIVED_IDS[table])
        rid = derived_id(table, values) if keyed else row.values["id"]
        if rid in snap.table(table):
            snap.problems.append(row.problem("id", f"ID {rid} 在本表中重复出现。"))
            return
        snap.table(table)[rid] = values
        snap.where[(table, rid)] = row
        if own:
            snap.own.setdefault(table, set()).add(rid)

    def need_subject(row: ReadRow, key: str = "subject", optional: bool = False) -> str | None:
        name = row.values.get(key)
        if not name and optional:
            return None
        found = res.subject(name)
        if found is None:
            snap.problems.append(row.problem(key, f"本数据库没有科目“{name}”,请升级程序后再导入。"))
        return found

    def need_term(row: ReadRow) -> str | None:
        if row.values.get("term_code") != term:
            snap.problems.append(row.problem("term_code", f"学期“{row.values.get('term_code')}”与数据包的学期 {term} 不符。"))
            return None
        return res.term(term)

    own_schools = _schools(snap, res, manifest, sheets.get("学校", []), township_id, add)
    for row in sheets.get("教师", []):
        v = row.values
        own = bool(v["own"])
        if own != (v["school_id"] in own_schools):
            snap.problems.append(row.problem("own", "“本包数据”与教师所属学校不符。"))
        add("teacher", row, {k: v.get(k) for k in COLUMNS["teacher"]}, own)
        sites = [res.schools.get(code) for code in v["sites"]]
        if None in sites:
            snap.problems.append(row.problem("sites", "走教学校代码不在数据包的“学校”表中。"))
        subjects = [res.subject(name) for name in v["subjects"]]
        if None in subjects:
            snap.problems.append(row.problem("subjects", "任教学科中有本数据库没有的科目。"))
        snap.links.setdefault("teacher", {})[v["id"]] = [subjects, v["roles"], v["titles"], sites]
    for row in sheets.get("班级", []):
        v = row.values
        if not v.get("year_code") or not _year_code_ok(v["year_code"]) or not v.get("grades"):
            snap.problems.append(row.problem("year_code", "学年或年级无效。"))
            continue
        add("class", row, {**{k: v.get(k) for k in COLUMNS["class"] if k != "academic_year_id"},
                           "academic_year_id": res.year(v["year_code"])})
        snap.links.setdefault("class", {})[v["id"]] = [int(g) for g in v["grades"].split(",")]
    for row in sheets.get("学生", []):
        add("pupil", row, {k: row.values.get(k) for k in COLUMNS["pupil"]})
    for row in sheets.get("学籍异动", []):
        add("pupil_status_change", row, {k: row.values.get(k) for k in COLUMNS["pupil_status_change"]})
    _exams(snap, res, manifest, sheets.get("考试", []), own_schools, township_id, add, need_subject)
    for sheet, table in TERM_TABLES:
        if sheet not in sheets and SHEET[sheet].optional:
            snap.absent.add(table)
        for row in sheets.get(sheet, []):
            v = dict(row.values)
            if "subject" in v:
                v["subject_id"] = need_subject(row, optional=table in ("timetable_slot", "timetable_fixed",
                                                                        "lesson_observation", "quality_target",
                                                                        "tutoring"))
            if table != "mark":
                v["term_id"] = need_term(row)
            if table == "timetable_slot":
                v["locked"] = int(bool(v.get("locked")))  # an older package has no 锁定 column
            add(table, row, {k: v.get(k) for k in COLUMNS[table]})
    _check_references(snap, own_schools, manifest)
    check_reference_rows(db, snap, township_id)
    check_values(db, snap)
    return snap


def _year_code_ok(code: str) -> bool:
    parts = code.split("-")
    return len(parts) == 2 and all(p.isdigit() and len(p) == 4 for p in parts) and int(parts[1]) == int(parts[0]) + 1


def _schools(snap: Snapshot, res: _Resolver, manifest: Manifest, rows: list[ReadRow], township_id: str | None,
             add) -> set[str]:
    own_schools = set()
    for row in rows:
        v = row.values
        mine = bool(v["own"])
        if mine and manifest.level == "school" and v["code"] != manifest.sender_code:
            snap.problems.append(row.problem("own", f"数据包来自 {manifest.sender_code},却包含学校 {v['code']} 的数据。"))
        if mine and manifest.level == "township" and v.get("township_code") != manifest.sender_code:
            snap.problems.append(row.problem("own", f"学校 {v['code']} 不属于乡镇 {manifest.sender_code}。"))
        existing = res.db.execute("SELECT id, township_id FROM school WHERE code = ?", [v["code"]]).fetchone()
        if existing and existing[0] != v["id"]:
            snap.problems.append(row.problem("id", f"学校 {v['code']} 在本数据库中的 ID 与数据包不同,无法对应。"))
        if mine and existing and township_id and existing[1] != township_id:
            snap.problems.append(row.problem("own", f"学校 {v['code']} 在本数据库中属于另一个乡镇,"
                                                    f"{manifest.sender_code} 的数据包不能改动它。"))
        registered = not mine and not existing and _registered(res.db, v["code"])
        if not mine and not existing and not registered:
            # A school this database does not know is never created from another school's
            # package: registering it (`township register`) or its own package brings it in.
            continue
        values = {k: v.get(k) for k in COLUMNS["school"] if k != "township_id"}
        values["township_id"] = township_id if mine or registered else res.townships.get(v.get("township_code") or "")
        add("school", row, values, mine)
        if registered:
            snap.adopted.add(v["id"])
        if mine:
            own_schools.add(v["id"])
    if manifest.level == "school" and len(own_schools) != 1:
        snap.problems.append(Problem(f"“学校”表应恰有一行本校({manifest.sender_code})数据。", sheet="学校"))
    return own_schools


def _registered(db: Database, code: str) -> bool:
    """Return True when this database registered a key for the school `code` (one of its schools)."""
    return db.execute("SELECT 1 FROM trusted_key WHERE level = 'school' AND code = ? AND active = 1",
                      [code]).fetchone() is not None


def _exams(snap: Snapshot, res: _Resolver, manifest: Manifest, rows: list[ReadRow], own_schools: set[str],
           township_id: str | None, add, need_subject) -> None:
    for row in rows:
        v = row.values
        exam_id = v["id"]
        tw = res.townships.get(v.get("township_code") or "")
        mine = bool(v["own"])
        owner_ok = (v.get("school_id") in own_schools) or (
            manifest.level == "township" and not v.get("school_id") and v.get("township_code") == manifest.sender_code)
        if mine != owner_ok:
            snap.problems.append(row.problem("own", "“本包数据”与考试的归属不符。"))
        if v.get("term_code") != manifest.term_code:
            snap.problems.append(row.problem("term_code", f"考试不属于数据包的学期 {manifest.term_code}。"))
            continue
        if exam_id not in snap.table("exam"):
            values = {"school_id": v.get("school_id"), "township_id": township_id if mine and not v.get("school_id")
                      else tw, "name": v.get("name"), "type": v.get("type"),
                      "scope": v.get("scope"), "term_id": res.term(manifest.term_code), "date": v.get("date"),
                      "policy": v.get("policy") or "sat"}
            add("exam", row, values, mine)
            snap.links.setdefault("exam", {})[exam_id] = [int(g) for g in (v.get("exam_grades") or "").split(",") if g]
        if v.get("exam_subject_id"):
            subject_id = need_subject(row)
            es = {"exam_id": exam_id, "subject_id": subject_id, "full_marks": v.get("full_marks"),
                  "grades": v.get("subject_grades"), "excellent_pct": v.get("excellent_pct"),
                  "pass_pct": v.get("pass_pct"), "low_pct": v.get("low_pct"),
                  "assessment": v.get("assessment") or "分数", "levels": v.get("levels")}
            if v["exam_subject_id"] in snap.table("exam_subject"):
                snap.problems.append(row.problem("exam_subject_id", "考试科目 ID 重复出现。"))
            snap.table("exam_subject")[v["exam_subject_id"]] = es
            snap.cutoffs.setdefault(exam_id, []).extend(
                (subject_id, grade, e, p, low) for grade, e, p, low in (v.get("cutoffs") or []))


def _check_references(snap: Snapshot, own_schools: set[str], manifest: Manifest) -> None:
    """Every own row belongs to an own school; every id a row names is in the package."""
    ids = {t: set(rows) for t, rows in snap.rows.items()}
    refs = {
        "class": (("head_teacher_id", "teacher", True),),
        "pupil": (("class_id", "class", True),),
        "pupil_status_change": (("pupil_id", "pupil", False),),
        "mark": (("exam_id", "exam", False), ("pupil_id", "pupil", False), ("class_id", "class", True)),
        "teaching_assignment": (("teacher_id", "teacher", False), ("class_id", "class", False)),
        "timetable_slot": (("class_id", "class", False), ("teacher_id", "teacher", True)),
        "teacher_unavailable": (("teacher_id", "teacher", False),),
        "lesson_observation": (("observer_id", "teacher", False), ("teacher_id", "teacher", False),
                               ("class_id", "class", True)),
        "routine_check": (("teacher_id", "teacher", False), ("checker_id", "teacher", True)),
        "tutoring": (("teacher_id", "teacher", False),),
        "tutoring_pupil": (("tutoring_id", "tutoring", False), ("pupil_id", "pupil", False)),
        "tutoring_plan": (("teacher_id", "teacher", False), ("pupil_id", "pupil", False)),
        "pupil_difficulty": (("pupil_id", "pupil", False),),
        "homework_log": (("class_id", "class", False),),
        "home_visit": (("pupil_id", "pupil", False), ("teacher_id", "teacher", False)),
        "prep_session": (("lead_id", "teacher", False),),
        "quality_target": (("teacher_id", "teacher", True),),
    }
    for table in ("class", "pupil", "pupil_status_change", *(t for _, t in TERM_TABLES)):
        for rid, values in snap.table(table).items():
            row = snap.where[(table, rid)]
            if values.get("school_id") not in own_schools:
                snap.problems.append(row.problem("school_id", "这一行不属于本包的学校。"))
            for key, target, optional in refs.get(table, ()):
                value = values.get(key)
                if value is None and optional:
                    continue
                if value not in ids.get(target, set()):
                    snap.problems.append(row.problem(key, f"引用的{LABELS[target]}不在数据包中。"))
    for rid in snap.table("teacher"):
        school = snap.table("teacher")[rid]["school_id"]
        if school not in ids.get("school", set()):
            snap.problems.append(snap.where[("teacher", rid)].problem("school_id", "教师所属学校不在数据包的“学校”表中,"
                                                                                "或是本数据库中没有的外校。"))


def check_reference_rows(db: Database, snap: Snapshot, township_id: str | None) -> None:
    """Add a problem for every reference row (本包数据=否: another school's teacher, an exam) this
    database does not already hold with the same owner: a package only changes its own school's
    rows, so such a row would have to be created in another school's name. The one exception is a
    unified exam of the receiving township itself (no school, this township), which a township
    database rebuilt from its schools' packages learns from them."""
    for table, key, owner, label in (("teacher", "name", "school_id", "教师"), ("exam", "name", "school_id", "考试")):
        own = snap.own.get(table, set())
        for rid, values in snap.table(table).items():
            if rid in own:
                continue
            found = db.execute(f"SELECT [{owner}] FROM [{table}] WHERE id = ?", [rid]).fetchone()
            receivers = (table == "exam" and values.get("school_id") is None and township_id is not None
                         and values.get("township_id") == township_id)
            if found is None and receivers:
                snap.adopted.add(rid)
            elif found is None or found[0] != values.get(owner):
                where = snap.where[(table, rid)]
                snap.problems.append(where.problem(
                    "own", f"{label}“{values.get(key)}”不属于本包的学校(本包数据=否),本数据库中也没有这条记录:"
                           "数据包只能改动发送学校自己的数据。请先导入它所属学校的数据包。"))


@dataclass
class Changes:
    """What replacing changed, per table: ids added, removed, changed, and rows kept though missing."""

    added: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[dict]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)

    def note(self, kind: str, table: str, item: object) -> None:
        """Record `item` under `kind` (added, removed, changed) for `table`."""
        getattr(self, kind).setdefault(table, []).append(item)


def _existing(db: Database, table: str, where: str, params: list) -> dict[str, dict]:
    cols = ", ".join(f"x.[{c}]" for c in COLUMNS[table])
    return {r["id"]: dict(r) for r in db.query(f"SELECT x.id, {cols} FROM [{table}] x WHERE {where}", params)}


def apply_snapshot(db: Database, actor: Actor, snap: Snapshot, manifest: Manifest, term_id: str,
                   township_id: str | None, note: str) -> Changes:
    """Bring this database to the snapshot for the sender's schools and the term; return the Changes.

    Must run inside the caller's transaction. Raises PackageRefused (id_conflict) when a row of the
    package has the id of another school's row here, sqlite3.IntegrityError on a constraint.
    """
    changes = Changes()
    own_schools = sorted(snap.own.get("school", set()))
    marks = ",".join("?" for _ in own_schools) or "NULL"
    exam_owner = f"x.school_id IN ({marks})"
    exam_args: list = list(own_schools)
    if manifest.level == "township":
        exam_owner = f"({exam_owner} OR (x.school_id IS NULL AND x.township_id = ?))"
        exam_args.append(township_id)
    scopes = {
        "school": (f"x.id IN ({marks})", own_schools),
        "teacher": (f"x.school_id IN ({marks})", own_schools),
        "class": (f"x.school_id IN ({marks})", own_schools),
        "pupil": (f"x.school_id IN ({marks})", own_schools),
        "pupil_status_change": (f"x.school_id IN ({marks})", own_schools),
        "exam": (f"{exam_owner} AND x.term_id = ?", [*exam_args, term_id]),
        "mark": (f"x.school_id IN ({marks}) AND x.exam_no IN (SELECT n.no FROM exam_number n"
                 " JOIN exam e ON e.id = n.id WHERE e.term_id = ?)",
                 [*own_schools, term_id]),
        **{t: (f"x.school_id IN ({marks}) AND x.term_id = ?", [*own_schools, term_id]) for _, t in TERM_TABLES
           if t != "mark"},
    }
    current = {t: _existing(db, t, where, args) for t, (where, args) in scopes.items()}
    _refuse_foreign_ids(db, snap, current)
    order = tuple(t for t in ("school", "teacher", "class", "pupil", "pupil_status_change", "exam", "mark",
                              "teaching_assignment", "timetable_period", "timetable_slot", "timetable_fixed",
                              "teacher_unavailable", "lesson_observation", "routine_check", "quality_target",
                              "tutoring", "tutoring_pupil", "tutoring_plan", "pupil_difficulty",
                              "homework_log", "home_visit", "prep_session")
                  if t not in snap.absent)
    # Delete first (children before parents) so a row re-created under a new id can take back its
    # 学籍号 or class name; a delete that is still referenced waits until the new rows are in.
    waiting = []
    for table in reversed(order):
        for rid in sorted(set(current[table]) - set(snap.table(table))):
            if not _remove(db, actor, table, rid, current[table][rid], changes, final=False):
                waiting.append((table, rid))
    for table in order:
        _upsert(db, actor, table, snap, current[table], changes, note)
        if table == "teacher":
            _teacher_links(db, actor, snap, changes, note)
        elif table == "class":
            _links(db, actor, snap, "class", "class_grade", "class_id", "grade", changes, note)
        elif table == "exam":
            _exam_parts(db, actor, snap, changes, note)
    for table, rid in waiting:
        _remove(db, actor, table, rid, current[table][rid], changes, final=True)
    return changes


def apply_exams(db: Database, actor: Actor, snap: Snapshot, note: str) -> Changes:
    """Insert or update the exams of `snap` (all its own) with their grades, subjects and cut-offs;
    never delete an exam. Returns the Changes. Must run inside the caller's transaction."""
    changes = Changes()
    ids = sorted(snap.table("exam"))
    current = _existing(db, "exam", f"x.id IN ({','.join('?' for _ in ids) or 'NULL'})", ids)
    _upsert(db, actor, "exam", snap, current, changes, note)
    _exam_parts(db, actor, snap, changes, note)
    return changes


def _refuse_foreign_ids(db: Database, snap: Snapshot, current: dict[str, dict]) -> None:
    for table, rows in current.items():
        new = [rid for rid in snap.own.get(table, ()) if rid not in rows]
        for start in range(0, len(new), 500):
            chunk = new[start:start + 500]
            clash = db.execute(f"SELECT id FROM [{table}] WHERE id IN ({','.join('?' for _ in chunk)}) LIMIT 1",
                               chunk).fetchone()
            if clash:
                where = snap.where[(table, clash[0])]
                raise PackageRefused("id_conflict", f"{where.sheet} 第 {where.row} 行的 ID 与本数据库中另一所学校"
                                                    "(或另一学期)的记录相同,无法对应。")


def _remove(db: Database, actor: Actor, table: str, rid: str, old: dict, changes: Changes,
            final: bool = True) -> bool:
    """Delete one row; return False when it is still referenced (kept, and noted when `final`)."""
    try:
        with db.atomic():
            delete_row(db, actor, table, rid)
    except sqlite3.IntegrityError:
        if final:
            if table == "teacher" and old.get("active"):
                update_row(db, actor, "teacher", rid, {"active": 0})
            changes.kept.append(f"{LABELS[table]}“{old.get('name') or rid}”已不在数据包中,但仍被其他数据引用,予以保留")
        return False
    changes.note("removed", table, old)
    return True


def _upsert(db: Database, actor: Actor, table: str, snap: Snapshot, current: dict, changes: Changes,
            note: str) -> None:
    own = snap.own.get(table, set())
    new_rows = []
    for rid, values in snap.table(table).items():
        if rid in current:
            diff = {k: values[k] for k in COLUMNS[table] if current[rid][k] != values[k]}
            if diff:
                update_row(db, actor, table, rid, diff)
                changes.note("changed", table, rid)
        elif rid in own or rid in snap.adopted:
            new_rows.append({"id": rid, **values})
            changes.note("added", table, rid)
    bulk_insert(db, actor, table, new_rows, note)


def _links(db: Database, actor: Actor, snap: Snapshot, owner_table: str, link_table: str, owner_col: str,
           value_col: str, changes: Changes, note: str) -> None:
    fresh = set(changes.added.get(owner_table, ()))
    rows = []
    for owner, values in snap.links.get(owner_table, {}).items():
        if owner in fresh:
            rows += [{owner_col: owner, value_col: v} for v in dict.fromkeys(values)]
        elif owner in snap.own.get(owner_table, set()):
            if set_links(db, actor, link_table, owner_col, owner, value_col, values):
                changes.note("changed", owner_table, owner)
    bulk_insert(db, actor, link_table, rows, note)


def _teacher_links(db: Database, actor: Actor, snap: Snapshot, changes: Changes, note: str) -> None:
    fresh = set(changes.added.get("teacher", ()))
    known_schools = {r[0] for r in db.execute("SELECT id FROM school").fetchall()}
    tables = (("teacher_subject", "subject_id"), ("teacher_role", "role"), ("teacher_title", "title"),
              ("teacher_site", "school_id"))
    new_rows: dict[str, list[dict]] = {t: [] for t, _ in tables}
    for teacher, lists in snap.links.get("teacher", {}).items():
        for (table, column), values in zip(tables, lists):
            values = [v for v in values if v is not None and (table != "teacher_site" or v in known_schools)]
            if teacher in fresh:
                new_rows[table] += [{"teacher_id": teacher, column: v} for v in dict.fromkeys(values)]
            elif teacher in snap.own.get("teacher", set()):
                school = snap.table("teacher")[teacher]["school_id"]
                if set_links(db, actor, table, "teacher_id", teacher, column, values, school):
                    changes.note("changed", "teacher", teacher)
    for table, rows in new_rows.items():
        bulk_insert(db, actor, table, rows, note)


def _exam_parts(db: Database, actor: Actor, snap: Snapshot, changes: Changes, note: str) -> None:
    """Grades, subjects and per-grade cut-offs of the exams this package owns or brings in new."""
    _links(db, actor, snap, "exam", "exam_grade", "exam_id", "grade", changes, note)
    fresh = set(changes.added.get("exam", ()))
    mine = snap.own.get("exam", set())
    handled = fresh | mine
    incoming = {rid: v for rid, v in snap.table("exam_subject").items() if v["exam_id"] in handled}
    args = sorted(mine)
    current = _existing(db, "exam_subject", f"x.exam_id IN ({','.join('?' for _ in args) or 'NULL'})", args)
    touched = set()
    for rid in sorted(set(current) - set(incoming)):
        if _remove(db, actor, "exam_subject", rid, current[rid], changes):
            touched.add(current[rid]["exam_id"])
    new_rows = []
    for rid, values in incoming.items():
        if rid in current:
            diff = {k: values[k] for k in COLUMNS["exam_subject"] if current[rid][k] != values[k]}
            if diff:
                update_row(db, actor, "exam_subject", rid, diff)
                changes.note("changed", "exam_subject", rid)
                touched.add(values["exam_id"])
        else:
            new_rows.append({"id": rid, **values})
            changes.note("added", "exam_subject", rid)
            touched.add(values["exam_id"])
    bulk_insert(db, actor, "exam_subject", new_rows, note)
    existing_cut = {(r["exam_id"], r["subject_id"], r["grade"]): dict(r) for r in db.query(
        f"SELECT * FROM exam_cutoff WHERE exam_id IN ({','.join('?' for _ in args) or 'NULL'})", args)}
    wanted = {(exam, s, g): (e, p, low) for exam in handled for s, g, e, p, low in snap.cutoffs.get(exam, [])}
    for key in sorted(set(existing_cut) - set(wanted), key=str):
        if _remove(db, actor, "exam_cutoff", existing_cut[key]["id"], existing_cut[key], changes):
            touched.add(key[0])
    cut_rows = []
    for key, (e, p, low) in wanted.items():
        row = existing_cut.get(key)
        if row is None:
            cut_rows.append({"exam_id": key[0], "subject_id": key[1], "grade": key[2], "excellent_pct": e,
                             "pass_pct": p, "low_pct": low})
            changes.note("added", "exam_cutoff", key[0])
            touched.add(key[0])
        elif (row["excellent_pct"], row["pass_pct"], row["low_pct"]) != (e, p, low):
            update_row(db, actor, "exam_cutoff", row["id"], {"excellent_pct": e, "pass_pct": p, "low_pct": low})
            changes.note("changed", "exam_cutoff", row["id"])
            touched.add(key[0])
    bulk_insert(db, actor, "exam_cutoff", cut_rows, note)
    for exam_id in sorted(touched - fresh):
        changes.note("changed", "exam", exam_id)
