"""The filled item sheets of 000 篇20 (年度绩效考核, kind 'annual') and 篇10 (240 分学校教学质量评估, kind
'evaluation'), stored per school and school year in scheme_sheet, entered in the GUI form or read
from an xlsx sheet, carried down in the township's config package (app.packages.config).

Who writes what: the township fills 篇20 for its schools. For 篇10 the school assesses itself first
("学校先进行自评,然后教育局复评"): a school's administrator or 教务 writes the items and the 自评 of
their own school and can never change the 乡镇评分 column; the township's administrator writes both.
Every save checks the whole input first (nothing is written when one value is wrong), writes in
one transaction and is audited.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from sqlite_utils import Database

from app.db.writes import Actor, insert_row, update_row
from app.errors import NotFound, PermissionDenied, Problem, ValidationError
from app.services.permissions import require_school_admin, require_township_admin
from app.services.schools import school_by_code
from app.stats.annual import COLUMNS, LABELS, annual_scores, check_row, read_items
from app.stats.presets import resolve
from app.stats.school_evaluation import evaluate, read_sheet

KINDS = {"annual": "年度绩效考核表(篇20)", "evaluation": "学校教学质量评估表(篇10)"}


def year_id(db: Database, year: str) -> str:
    """Return the id of school year `year` ('2026-2027'). Raises NotFound."""
    row = db.execute("SELECT id FROM academic_year WHERE code = ?", [year.strip()]).fetchone()
    if row is None:
        raise NotFound(f"数据库中没有学年“{year}”(学年写作 2026-2027)。")
    return row[0]


def _may_import(actor: Actor) -> None:
    """Raise PermissionDenied unless `actor` may write some school's sheet (checked before reading a file)."""
    if actor.role not in ("township_admin", "school_admin", "academic"):
        raise PermissionDenied("考核评估表由学校管理员、教务或乡镇中心校填写。")


def _may_write(actor: Actor, kind: str, school_id: str) -> None:
    """Raise PermissionDenied unless `actor` may write this school's sheet of `kind`."""
    if actor.role == "township_admin":
        return
    if kind == "evaluation" and actor.role in ("school_admin", "academic") and actor.school_id == school_id:
        return
    if kind == "annual":
        raise PermissionDenied("年度绩效考核表由乡镇中心校填写,学校只能查看。")
    raise PermissionDenied("只能填写本校的自评;乡镇评分由乡镇中心校填写。")


def stored(db: Database, kind: str, year: str, school_id: str | None = None) -> list[dict]:
    """Return the stored sheets of `kind` for `year` (of one school, or all), ordered by school code:
    each {"school_id", "school_code", "school_name", "content"} with content as saved (annual: the
    item values; evaluation: {"items": [...]}). Raises NotFound for an unknown year."""
    found = year_id(db, year)
    return [{"school_id": r["school_id"], "school_code": r["code"], "school_name": r["name"],
             "content": json.loads(r["content"])} for r in db.query(
        "SELECT x.school_id, s.code, s.name, x.content FROM scheme_sheet x JOIN school s ON s.id = x.school_id"
        " WHERE x.kind = ? AND x.academic_year_id = ? AND (? IS NULL OR x.school_id = ?) ORDER BY s.code",
        [kind, found, school_id, school_id])]


def annual_rows(db: Database, year: str, school_id: str | None = None) -> list[dict]:
    """Return the stored 篇20 sheets as the rows app.stats.annual.annual_scores takes."""
    return [{"school": s["school_code"], **s["content"]} for s in stored(db, "annual", year, school_id)]


def evaluation_rows(db: Database, year: str, school_id: str | None = None) -> list[dict]:
    """Return the stored 篇10 sheets as the item rows app.stats.school_evaluation.evaluate takes."""
    return [{"school": s["school_code"], **item} for s in stored(db, "evaluation", year, school_id)
            for item in s["content"]["items"]]


def _write(db: Database, actor: Actor, kind: str, found: str, sheets: dict[str, dict]) -> int:
    """Upsert each school's content (by school id) for the year with id `found`; return how many changed."""
    changed = 0
    for school_id, content in sheets.items():
        text = json.dumps(content, ensure_ascii=False, sort_keys=True)
        row = db.execute("SELECT id, content FROM scheme_sheet WHERE school_id = ? AND academic_year_id = ?"
                         " AND kind = ?", [school_id, found, kind]).fetchone()
        if row is None:
            insert_row(db, actor, "scheme_sheet", {"school_id": school_id, "academic_year_id": found, "kind": kind,
                                                   "content": text})
            changed += 1
        elif row[1] != text:
            update_row(db, actor, "scheme_sheet", row[0], {"content": text})
            changed += 1
    return changed


def save_annual(db: Database, actor: Actor, year: str, rows: list[dict]) -> int:
    """Store 篇20 item rows (each with "school" = code and the values of app.stats.annual.COLUMNS),
    one per school, replacing what the schools had for the year; return how many sheets changed.
    Raises PermissionDenied (only the township fills them), ValidationError (a value out of range,
    an unknown or repeated school: nothing written), NotFound (year)."""
    problems = [Problem(f"{row['school']} {LABELS[key][0]}:{message}", field=key)
                for row in rows for key, message in check_row(row)]
    codes = [r["school"] for r in rows]
    problems += [Problem(f"学校“{c}”出现了不止一次。", column="学校代码") for c in sorted({c for c in codes if codes.count(c) > 1})]
    if problems:
        raise ValidationError(problems)
    annual_scores(db, rows)  # unknown schools are refused here
    sheets = {}
    for row in rows:
        school = school_by_code(db, row["school"])
        _may_write(actor, "annual", school["id"])
        sheets[school["id"]] = {k: v for k, v in row.items() if k != "school"}
    with db.atomic():
        return _write(db, actor, "annual", year_id(db, year), sheets)


def save_evaluation(db: Database, actor: Actor, year: str, rows: list[dict]) -> int:
    """Store 篇10 item rows (school, part, item, max, self, township), replacing each named school's
    items for the year; return how many sheets changed. A school's own account keeps the stored
    乡镇评分 of an item of the same part and name (theirs in the input is refused when it differs).
    Raises PermissionDenied, ValidationError (a score outside 0–满分, a part over its full marks,
    an unknown school: nothing written), NotFound (year)."""
    preset = resolve(db, "school_evaluation", None)
    problems = []
    for row in rows:
        if row["part"] not in preset["parts"]:
            problems.append(Problem(f"部分“{row['part']}”应为 {'、'.join(preset['parts'])} 之一。", field="part"))
        for key in ("self", "township"):
            value = row.get(key)
            if value is not None and not 0 <= value <= (row["max"] or 0):
                problems.append(Problem(f"{row['item'] or row['part']}:“{value:g}”应为 0 到满分 {row['max']:g} 之间的数。",
                                        field=key))
    if problems:
        raise ValidationError(problems)
    evaluate(db, rows, preset=preset)  # unknown schools and parts over their full marks are refused here
    by_school: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_school[row["school"]].append(row)
    sheets = {}
    for code, items in by_school.items():
        school = school_by_code(db, code)
        _may_write(actor, "evaluation", school["id"])
        if actor.role != "township_admin":
            before = {(i["part"], i["item"]): i["township"] for s in stored(db, "evaluation", year, school["id"])
                      for i in s["content"]["items"]}
            for item in items:
                kept = before.get((item["part"], item["item"]))
                if item["township"] is not None and item["township"] != kept:
                    raise PermissionDenied(f"“{item['item']}”的乡镇评分由乡镇中心校填写,学校不能修改。")
                item["township"] = kept
        sheets[school["id"]] = {"items": [{k: i[k] for k in ("part", "item", "max", "self", "township")}
                                          for i in items]}
    with db.atomic():
        return _write(db, actor, "evaluation", year_id(db, year), sheets)


def import_sheet(db: Database, actor: Actor, kind: str, year: str, path: str | Path) -> int:
    """Read a filled xlsx item sheet of `kind` and store it (save_annual / save_evaluation): all or
    nothing. Returns how many school sheets changed. Raises ValidationError naming sheet, row and
    column, NotAWorkbook, FileNotFoundError, PermissionDenied, NotFound."""
    _may_import(actor)
    if kind == "annual":
        return save_annual(db, actor, year, read_items(path))
    return save_evaluation(db, actor, year, read_sheet(path, resolve(db, "school_evaluation", None)))


def township_sheets(db: Database, township_id: str, academic_year_id: str) -> list[dict]:
    """Return the stored sheets of the township's schools for a school year as the config package
    carries them: school_code, kind and content."""
    return [{"school_code": r["code"], "kind": r["kind"], "content": json.loads(r["content"])} for r in db.query(
        "SELECT s.code, x.kind, x.content FROM scheme_sheet x JOIN school s ON s.id = x.school_id"
        " WHERE s.township_id = ? AND x.academic_year_id = ? ORDER BY s.code, x.kind", [township_id, academic_year_id])]


def store_from_township(db: Database, actor: Actor, school_id: str, academic_year_id: str, sheets: list[dict]) -> int:
    """Make the school's sheets of the year those of a verified township config package (the
    township's copy, with its scores, replaces the school's; the caller holds the transaction);
    return how many changed. Raises PermissionDenied (not the school's administrator),
    ValidationError for a kind the program does not know."""
    require_school_admin(actor, school_id)
    unknown = sorted({s["kind"] for s in sheets} - set(KINDS))
    if unknown:
        raise ValidationError([Problem(f"配置包中有本程序不认识的考核表“{k}”,请升级程序后再导入。") for k in unknown])
    return sum(_write(db, actor, s["kind"], academic_year_id, {school_id: s["content"]}) for s in sheets)


def receive_from_package(db: Database, actor: Actor, rows: list[dict], own_schools: set[str], *,
                         from_school: bool) -> int:
    """Store the item sheets of a verified data package's 考核评估表 sheet (each row: sheet, row,
    school_id, year_code, kind, content as JSON text) for the sender's schools. A school's package
    brings its 篇10 items and 自评, and the township's scores already here stay beside them; a
    township's package, to its county, brings its 篇10 scores too and the 篇20 sheets it filled (a
    school's package carrying a 篇20 sheet is refused: only the township fills them). The caller
    holds the transaction. Returns how many sheets changed. Raises PermissionDenied (not an
    administrator of the receiving township or county), ValidationError naming the row of a bad sheet."""
    require_township_admin(actor)
    problems, sheets = [], {}
    for row in rows:
        where = {"sheet": row["sheet"], "row": row["row"]}
        found = db.execute("SELECT id FROM academic_year WHERE code = ?", [row.get("year_code")]).fetchone()
        kind = row.get("kind")
        clean = _package_content(kind, row.get("content"), from_school)
        if row.get("school_id") not in own_schools or found is None or clean is None:
            problems.append(Problem("考核评估表这一行不属于本包的学校,或学年、表格、内容无效。", column="内容", **where))
            continue
        if kind == "evaluation" and from_school:
            before = {(i["part"], i["item"]): i["township"] for s in db.query(
                "SELECT content FROM scheme_sheet WHERE school_id = ? AND academic_year_id = ? AND kind = 'evaluation'",
                [row["school_id"], found[0]]) for i in json.loads(s["content"])["items"]}
            clean = {"items": [{**i, "township": before.get((i["part"], i["item"]))} for i in clean["items"]]}
        sheets[(kind, row["school_id"], found[0])] = clean
    if problems:
        raise ValidationError(problems)
    return sum(_write(db, actor, kind, year, {school: content}) for (kind, school, year), content in sheets.items())


def _package_content(kind: object, text: object, from_school: bool) -> dict | None:
    """Return the content of a package's sheet of `kind` as stored (evaluation: {"items": [...]};
    annual: the 篇20 item values), or None when it is not valid or not the sender's to send."""
    try:
        content = json.loads(str(text or ""))
        if kind == "evaluation":
            return {"items": [{k: i[k] for k in ("part", "item", "max", "self", "township")} for i in content["items"]]}
        if kind == "annual" and not from_school and isinstance(content, dict):
            values = {k: content.get(k) for k in COLUMNS if k != "school"}
            return None if check_row(values) else values
    except (ValueError, KeyError, TypeError):
        return None
    return None
