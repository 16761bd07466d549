"""Curriculum plans (课程计划): weekly periods per subject line and grade, each line 统考 or not.

Shipped plans live in resources/presets/curriculum/*.json, read as presets of kind "curriculum"
(app.presets.shipped_curricula) and listed with every other preset (app.preset_store). A school checks its timetable against
its own copy (tables curriculum_plan, curriculum_item, curriculum_hours), which it may adjust —
地方课程, 校本课程, merged subjects — or, without a copy, against the default shipped plan.
A line counts one subject or several together (语文 with 书法; 艺术 = 音乐 + 美术), and gives per
grade either a number of periods or a range (4-5) where the provincial table does.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, insert_row, update_row
from app.errors import NotFound, Problem, ValidationError, invalid
from app.presets import CURRICULUM, DEFAULT_CURRICULUM, Preset, content_hash, make_preset, shipped_curricula
from app.services.subjects import SubjectIndex
from app.services.teachers import split_list
from app.timetable.permissions import require_timetable_write
from app.validation.text import clean

DEFAULT_PRESET = DEFAULT_CURRICULUM


@dataclass
class PlanLine:
    """One line of a plan: its subjects (codes), whether it is 统考, and periods per grade (min, max)."""

    name: str
    subjects: tuple[str, ...]
    tested: bool
    hours: dict[int, tuple[float, float]]
    note: str = ""
    item_id: str | None = None

    def to_dict(self) -> dict:
        """Return the line as JSON-able data (hours keyed by grade)."""
        return {"name": self.name, "subjects": list(self.subjects), "tested": self.tested, "note": self.note,
                "item_id": self.item_id,
                "hours": {str(g): list(band) for g, band in sorted(self.hours.items())}}


@dataclass
class Plan:
    """A curriculum plan in force: its lines and where it came from."""

    name: str
    source: str
    lines: list[PlanLine]
    preset_id: str
    version: int
    preset_hash: str
    plan_id: str | None = None
    school_id: str | None = None
    totals: dict[int, int] = field(default_factory=dict)
    _by_code: dict[str, PlanLine] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for line in self.lines:
            for code in line.subjects:
                self._by_code.setdefault(code, line)

    def line_of(self, code: str) -> PlanLine | None:
        """Return the line that counts subject `code`, or None when the plan does not name it."""
        return self._by_code.get(code)

    def basis(self) -> str:
        """Return the short name results record: 'school plan of <id>' or 'preset id@version#hash8'."""
        if self.plan_id:
            return f"plan:{self.plan_id[:8]}({self.preset_id}@{self.version})"
        return f"{self.preset_id}@{self.version}#{self.preset_hash[:8]}"

    def content(self) -> dict:
        """Return the plan in the form of the shipped plans (id, version, name, source, lines, and per
        grade the periods of each line — a number, or [min, max] for a range — and the weekly total);
        a school's own copy also names the shipped plan it was copied from (based_on, based_on_hash)."""
        grades: dict[int, dict] = {}
        for line in self.lines:
            for grade, (low, high) in line.hours.items():
                periods = grades.setdefault(grade, {"periods": {}})["periods"]
                periods[line.name] = _whole(low) if low == high else [_whole(low), _whole(high)]
        for grade, total in self.totals.items():
            grades.setdefault(grade, {"periods": {}})["total"] = total
        lines = [{"name": line.name, "subjects": list(line.subjects), "tested": line.tested,
                  **({"note": line.note} if line.note else {})} for line in self.lines]
        own = {"based_on": self.preset_id, "based_on_hash": self.preset_hash} if self.plan_id else {}
        return {"id": self.plan_id or self.preset_id, "version": self.version, "name": self.name,
                "source": self.source, **own, "lines": lines,
                "grades": {str(g): grades[g] for g in sorted(grades)}}

    def preset(self) -> Preset:
        """Return the plan as a preset of kind curriculum: the shipped plan as shipped, a school's own
        copy (scope school) with the hash of what it holds now."""
        if not self.plan_id:
            return make_preset(load_preset(self.preset_id), CURRICULUM)
        content = self.content()
        return Preset(id=self.plan_id, kind=CURRICULUM, name=self.name, content=content, hash=content_hash(content),
                      version=self.version, scope="school")

    def record(self, school_code: str | None = None) -> dict:
        """Return what a package's manifest says of the plan, as Preset.record does of a preset: kind
        curriculum, the shipped plan's id, the name, version, sha256 and scope — for a school's own
        copy (scope school, naming `school_code`) the hash of what it holds now, and the hash of the
        shipped plan it was copied from (based_on_hash)."""
        record = {"kind": CURRICULUM, "id": self.preset_id, "name": self.name, "version": self.version,
                  "sha256": self.preset_hash, "scope": "shipped"}
        if not self.plan_id:
            return record
        return {**record, "sha256": self.preset().hash, "scope": "school", "based_on_hash": self.preset_hash,
                **({"school": school_code} if school_code else {})}

    def grade_total(self, grade: int) -> tuple[float, float]:
        """Return the (min, max) weekly periods the plan's lines add up to for `grade`."""
        bands = [line.hours[grade] for line in self.lines if grade in line.hours]
        return sum(b[0] for b in bands), sum(b[1] for b in bands)

    def to_dict(self) -> dict:
        """Return the plan as JSON-able data."""
        return {"name": self.name, "source": self.source, "preset_id": self.preset_id, "version": self.version,
                "preset_hash": self.preset_hash, "plan_id": self.plan_id, "school_id": self.school_id,
                "basis": self.basis(), "lines": [line.to_dict() for line in self.lines]}


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _band(value: object) -> tuple[float, float]:
    if isinstance(value, (list, tuple)):
        low, high = (float(v) for v in value)
    else:
        low = high = float(value)  # type: ignore[arg-type]
    return low, high


def list_presets() -> list[Preset]:
    """Return the shipped curriculum plans, the default first (app.presets.shipped_curricula)."""
    return shipped_curricula()


def load_preset(preset_id: str = DEFAULT_PRESET) -> dict:
    """Return the content of the shipped plan `preset_id`. Raises NotFound."""
    for preset in shipped_curricula():
        if preset.id == preset_id:
            return preset.content
    raise NotFound(f"没有编号为“{preset_id}”的课程计划预设。")


def preset_problems(content: dict, known_codes: set[str] | None = None) -> list[Problem]:
    """Return what is wrong with a plan preset: unknown subject codes, a grade naming a line that
    does not exist, a range upside down, totals out of reach of the lines' ranges."""
    problems = []
    names = [line["name"] for line in content.get("lines", [])]
    if len(set(names)) != len(names):
        problems.append(Problem("课程计划中有重名的科目行。"))
    for line in content.get("lines", []):
        for code in line["subjects"]:
            if known_codes is not None and code not in known_codes:
                problems.append(Problem(f"科目行“{line['name']}”中的学科代码“{code}”不在学科目录中。"))
    for grade, spec in content.get("grades", {}).items():
        for name, value in spec["periods"].items():
            if name not in names:
                problems.append(Problem(f"{grade} 年级的课时中有不存在的科目行“{name}”。"))
                continue
            low, high = _band(value)
            if low < 0 or high < low:
                problems.append(Problem(f"{grade} 年级“{name}”的课时范围 {low:g}-{high:g} 不合理。"))
        if "total" in spec:
            bands = [_band(v) for v in spec["periods"].values()]
            low, high = sum(b[0] for b in bands), sum(b[1] for b in bands)
            if not low <= spec["total"] <= high:
                problems.append(Problem(f"{grade} 年级各科课时之和({low:g}-{high:g})与周总课时 {spec['total']} 不符。"))
    return problems


def preset_plan(content: dict) -> Plan:
    """Return the Plan a shipped preset describes."""
    lines = []
    for spec in content["lines"]:
        hours = {int(g): _band(v["periods"][spec["name"]]) for g, v in content["grades"].items()
                 if spec["name"] in v["periods"]}
        lines.append(PlanLine(spec["name"], tuple(spec["subjects"]), bool(spec["tested"]), hours, spec.get("note", "")))
    totals = {int(g): int(v["total"]) for g, v in content["grades"].items() if "total" in v}
    return Plan(content["name"], content["source"], lines, content["id"], int(content["version"]),
                content_hash(content), totals=totals)


def school_plan(db: Database, school_id: str) -> Plan:
    """Return the plan in force for a school: its own copy, else the default shipped plan."""
    rows = list(db.query("SELECT * FROM curriculum_plan WHERE school_id = ?", [school_id]))
    if not rows:
        plan = preset_plan(load_preset())
        plan.school_id = school_id
        return plan
    return _stored_plans(db, rows)[0]


def school_plans(db: Database, school_ids: list[str]) -> dict[str, Plan]:
    """Return the plan in force for each school id (one query per table, for the checker)."""
    rows = list(db.query("SELECT * FROM curriculum_plan"))
    stored = {p.school_id: p for p in _stored_plans(db, rows)} if rows else {}
    default = preset_plan(load_preset())
    out = {}
    for school_id in school_ids:
        if school_id in stored:
            out[school_id] = stored[school_id]
        else:
            out[school_id] = Plan(default.name, default.source, default.lines, default.preset_id, default.version,
                                  default.preset_hash, school_id=school_id, totals=default.totals)
    return out


def _stored_plans(db: Database, plan_rows: list) -> list[Plan]:
    ids = [r["id"] for r in plan_rows]
    marks = ",".join("?" for _ in ids)
    items: dict[str, list[dict]] = {}
    for row in db.query(f"SELECT * FROM curriculum_item WHERE plan_id IN ({marks}) ORDER BY sort_order, name", ids):
        items.setdefault(row["plan_id"], []).append(dict(row))
    hours: dict[str, dict[int, tuple[float, float]]] = {}
    for row in db.query(f"SELECT h.* FROM curriculum_hours h JOIN curriculum_item i ON i.id = h.item_id"
                        f" WHERE i.plan_id IN ({marks})", ids):
        hours.setdefault(row["item_id"], {})[row["grade"]] = (row["min_periods"], row["max_periods"])
    plans = []
    for row in plan_rows:
        lines = [PlanLine(i["name"], tuple(c for c in i["subjects"].split(",") if c), bool(i["tested"]),
                          hours.get(i["id"], {}), i["note"] or "", i["id"]) for i in items.get(row["id"], [])]
        plans.append(Plan(row["name"], row["source"] or "", lines, row["preset_id"] or "", row["preset_version"] or 0,
                          row["preset_hash"] or "", plan_id=row["id"], school_id=row["school_id"]))
    return plans


def copy_preset(db: Database, actor: Actor, school_id: str, preset_id: str = DEFAULT_PRESET,
                replace: bool = False) -> str:
    """Copy a shipped plan into the school so it can be adjusted; return the new plan id.

    Raises ValidationError when the school already has a plan (unless replace=True, which deletes
    it first), NotFound for an unknown preset, PermissionDenied.
    """
    require_timetable_write(actor, school_id)
    content = load_preset(preset_id)
    existing = db.execute("SELECT id FROM curriculum_plan WHERE school_id = ?", [school_id]).fetchone()
    if existing and not replace:
        raise invalid("本校已有自己的课程计划。如要重新从预设复制,请先删除本校课程计划。")
    plan = preset_plan(content)
    with db.atomic():
        if existing:
            delete_plan(db, actor, school_id)
        plan_id = insert_row(db, actor, "curriculum_plan", {
            "school_id": school_id, "name": plan.name, "preset_id": plan.preset_id, "preset_version": plan.version,
            "preset_hash": plan.preset_hash, "source": plan.source})
        for order, line in enumerate(plan.lines):
            _insert_line(db, actor, plan_id, school_id, line, order)
    return plan_id


def _insert_line(db: Database, actor: Actor, plan_id: str, school_id: str, line: PlanLine, order: int) -> str:
    item_id = insert_row(db, actor, "curriculum_item", {
        "plan_id": plan_id, "school_id": school_id, "name": line.name, "subjects": ",".join(line.subjects),
        "tested": int(line.tested), "sort_order": order, "note": line.note or None})
    for grade, (low, high) in sorted(line.hours.items()):
        insert_row(db, actor, "curriculum_hours", {"item_id": item_id, "school_id": school_id, "grade": grade,
                                                   "min_periods": low, "max_periods": high})
    return item_id


def delete_plan(db: Database, actor: Actor, school_id: str) -> bool:
    """Delete the school's own plan (it is checked against the default shipped plan again);
    audited row by row. Returns whether there was one. Raises PermissionDenied."""
    require_timetable_write(actor, school_id)
    row = db.execute("SELECT id FROM curriculum_plan WHERE school_id = ?", [school_id]).fetchone()
    if not row:
        return False
    with db.atomic():
        remove_plan(db, actor, row[0])
    return True


def remove_plan(db: Database, actor: Actor, plan_id: str) -> None:
    """Delete the plan `plan_id` with its lines and their periods, row by row (audited), within the
    caller's transaction; the caller checks who may."""
    for item in db.query("SELECT id FROM curriculum_item WHERE plan_id = ?", [plan_id]):
        for hours in db.query("SELECT id FROM curriculum_hours WHERE item_id = ?", [item["id"]]):
            delete_row(db, actor, "curriculum_hours", hours["id"])
        delete_row(db, actor, "curriculum_item", item["id"])
    delete_row(db, actor, "curriculum_plan", plan_id)


def _subject_codes(db: Database, subjects: object, plan_id: str,
                   item_id: str | None = None) -> tuple[list[str], list[Problem]]:
    index = SubjectIndex.load(db)
    taken = {code: row["name"] for row in db.query(
        "SELECT name, subjects FROM curriculum_item WHERE plan_id = ? AND id IS NOT ?", [plan_id, item_id])
        for code in row["subjects"].split(",")}
    codes, problems = [], []
    for item in split_list(subjects):
        subject = index.find(item)
        if subject is None:
            problems.append(Problem(f"学科“{item}”不在学科目录中。", field="subjects"))
        elif subject["code"] in taken:
            problems.append(Problem(f"学科“{subject['name']}”已计入“{taken[subject['code']]}”一行,一门学科只能计入一行。",
                                    field="subjects"))
        elif subject["code"] not in codes:
            codes.append(subject["code"])
    if not codes and not problems:
        problems.append(Problem("至少要写一个学科。", field="subjects"))
    return codes, problems


def add_line(db: Database, actor: Actor, school_id: str, *, name: str, subjects: object, tested: bool = False,
             note: str | None = None) -> str:
    """Add a line (e.g. a 校本课程 or 地方课程) to the school's own plan; return its id.
    `subjects` names subjects as written (语文、书法). Raises ValidationError, NotFound (no own plan),
    PermissionDenied."""
    require_timetable_write(actor, school_id)
    plan = db.execute("SELECT id FROM curriculum_plan WHERE school_id = ?", [school_id]).fetchone()
    if not plan:
        raise NotFound("本校还没有自己的课程计划,请先从预设复制一份。")
    name = clean(name)
    codes, problems = _subject_codes(db, subjects, plan[0])
    if not name:
        problems.append(Problem("科目行名称不能为空。", field="name"))
    elif db.execute("SELECT 1 FROM curriculum_item WHERE plan_id = ? AND name = ?", [plan[0], name]).fetchone():
        problems.append(Problem(f"课程计划中已有“{name}”一行。", field="name"))
    if problems:
        raise ValidationError(problems)
    order = db.execute("SELECT COALESCE(MAX(sort_order), -1) + 1 FROM curriculum_item WHERE plan_id = ?",
                       [plan[0]]).fetchone()[0]
    with db.atomic():
        return _insert_line(db, actor, plan[0], school_id, PlanLine(name, tuple(codes), tested, {}, note or ""), order)


def update_line(db: Database, actor: Actor, item_id: str, **changes: object) -> dict:
    """Change a line's name, subjects (as written), tested flag or note; return what changed.
    Raises ValidationError, NotFound, PermissionDenied."""
    item = get_row(db, "curriculum_item", item_id)
    require_timetable_write(actor, item["school_id"])
    unknown = set(changes) - {"name", "subjects", "tested", "note"}
    if unknown:
        raise invalid(f"不能修改科目行的这些字段:{'、'.join(sorted(unknown))}。")
    values: dict = {}
    problems: list[Problem] = []
    if "name" in changes:
        name = clean(changes["name"])
        if not name:
            problems.append(Problem("科目行名称不能为空。", field="name"))
        elif name != item["name"] and db.execute("SELECT 1 FROM curriculum_item WHERE plan_id = ? AND name = ?",
                                                 [item["plan_id"], name]).fetchone():
            problems.append(Problem(f"课程计划中已有“{name}”一行。", field="name"))
        values["name"] = name
    if "subjects" in changes:
        codes, more = _subject_codes(db, changes["subjects"], item["plan_id"], item_id)
        problems += more
        values["subjects"] = ",".join(codes)
    if "tested" in changes:
        values["tested"] = int(bool(changes["tested"]))
    if "note" in changes:
        values["note"] = clean(changes["note"]) or None
    if problems:
        raise ValidationError(problems)
    with db.atomic():
        return update_row(db, actor, "curriculum_item", item_id, values)


def delete_line(db: Database, actor: Actor, item_id: str) -> None:
    """Remove a line and its periods from the school's plan; audited. Raises NotFound, PermissionDenied."""
    item = get_row(db, "curriculum_item", item_id)
    require_timetable_write(actor, item["school_id"])
    with db.atomic():
        for hours in db.query("SELECT id FROM curriculum_hours WHERE item_id = ?", [item_id]):
            delete_row(db, actor, "curriculum_hours", hours["id"])
        delete_row(db, actor, "curriculum_item", item_id)


def parse_band(text: object) -> tuple[float, float] | None:
    """Return (min, max) for periods typed as '4', '4-5', '4~5', '４－５'; None for an empty cell.
    Raises ValidationError for anything else."""
    value = clean(text).replace("~", "-").replace("—", "-").replace("至", "-")
    if not value:
        return None
    parts = value.split("-")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise invalid(f"课时“{value}”无法识别,请写成 4 或 4-5 的形式。", "periods") from None
    if len(numbers) == 1:
        numbers *= 2
    if len(numbers) != 2 or numbers[0] < 0 or numbers[1] < numbers[0] or numbers[1] > 20:
        raise invalid(f"课时“{value}”不合理:应在 0 到 20 之间,且下限不大于上限。", "periods")
    return numbers[0], numbers[1]


def set_hours(db: Database, actor: Actor, item_id: str, grade: int, periods: object) -> None:
    """Set a line's weekly periods for one grade, typed as '4' or '4-5'; empty removes the grade
    from the line. Audited. Raises ValidationError, NotFound, PermissionDenied."""
    item = get_row(db, "curriculum_item", item_id)
    require_timetable_write(actor, item["school_id"])
    if not 1 <= int(grade) <= 9:
        raise invalid("年级应在 1 到 9 之间。", "grade")
    band = parse_band(periods)
    existing = db.execute("SELECT id FROM curriculum_hours WHERE item_id = ? AND grade = ?",
                          [item_id, int(grade)]).fetchone()
    with db.atomic():
        if band is None:
            if existing:
                delete_row(db, actor, "curriculum_hours", existing[0])
        elif existing:
            update_row(db, actor, "curriculum_hours", existing[0], {"min_periods": band[0], "max_periods": band[1]})
        else:
            insert_row(db, actor, "curriculum_hours", {"item_id": item_id, "school_id": item["school_id"],
                                                       "grade": int(grade), "min_periods": band[0],
                                                       "max_periods": band[1]})


def format_band(band: tuple[float, float] | None) -> str:
    """Return periods as shown to users: '4', '4-5', or '' for none."""
    if band is None:
        return ""
    low, high = band
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"
