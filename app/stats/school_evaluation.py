"""The 240-point school evaluation of 000 篇10 from a filled item sheet: the school's self-assessment
first, the township's score beside it (the preset school_evaluation: 过程性 100 + 效益性 100 + 发展性 40;
达标 ≥ 192, 基本达标 144–191, else 不达标).

The sheet has one row per evaluation item: 学校代码, 部分 (过程性 / 效益性 / 发展性), 项目, 满分, 自评得分,
乡镇评分 (empty while the township has not scored). Each score lies between 0 and the item's 满分, and
a part's items add up to at most the part's full marks.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlite_utils import Database

from app.errors import Problem, ValidationError
from app.importing.workbook import read_tables
from app.stats.presets import Preset, resolve
from app.validation.text import clean

COLUMNS = {"school": ["学校代码", "学校"], "part": ["部分", "评估部分"], "item": ["项目", "评估要点"],
           "max": ["满分", "分值"], "self": ["自评得分", "自评"], "township": ["乡镇评分", "复评得分", "复评"]}


def _number(value: object) -> float | None:
    text = clean(value)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return float("nan")


def read_sheet(path: str | Path, preset: Preset) -> list[dict]:
    """Return the checked item rows of an evaluation sheet: school, part, item, max, self, township
    (None when not scored). Raises ValidationError naming sheet, row and column, NotAWorkbook,
    FileNotFoundError."""
    parts = preset["parts"]
    tables = read_tables(path, COLUMNS, required=("school", "part", "max", "self"))
    problems = list(tables.problems)
    rows = []
    for table in tables.tables:
        for r in table.rows:
            sheet, number = table.sheet, r.row
            part = clean(r.values.get("part")).removesuffix("评估")
            if part not in parts:
                problems.append(Problem(f"部分“{part}”应为 {'、'.join(parts)} 之一。", column=table.column("part"), sheet=sheet, row=number))
            full = _number(r.values.get("max"))
            if full is None or full != full or full <= 0:
                problems.append(Problem("满分应为大于 0 的数。", column=table.column("max"), sheet=sheet, row=number))
                full = None
            row = {"school": clean(r.values.get("school")), "part": part, "item": clean(r.values.get("item")),
                   "max": full}
            for key in ("self", "township"):
                value = _number(r.values.get(key))
                if key == "self" and value is None:
                    problems.append(Problem("自评得分不能为空。", column=table.column(key), sheet=sheet, row=number))
                elif value is not None and (value != value or value < 0 or (full is not None and value > full)):
                    problems.append(Problem(f"“{clean(r.values.get(key))}”应为 0 到满分之间的数。",
                                            column=table.column(key), sheet=sheet, row=number))
                row[key] = value
            rows.append(row)
    if problems:
        raise ValidationError(problems)
    return rows


def _band(total: float | None, preset: Preset) -> str | None:
    if total is None:
        return None
    return next((b["name"] for b in preset["bands"] if total >= b["min"]), preset["below"])


def evaluate(db: Database, rows: list[dict], *, preset: Preset | str | None = None) -> dict:
    """Return {"schools": [...], preset_id, preset_hash}: per school its code and name, the parts
    ({part: {max, self, township}}), self_total and self_band, township_total and township_band
    (None until every item has a township score), difference (township − self).
    Raises ValidationError (an unknown school, a part whose items exceed its full marks), NotFound."""
    chosen = resolve(db, "school_evaluation", preset)
    names = {r["code"]: r["name"] for r in db.query("SELECT code, name FROM school")}
    problems = [Problem(f"没有学校“{code}”。", column="学校代码") for code in sorted({r["school"] for r in rows} - set(names))]
    sums: dict[str, dict[str, dict]] = defaultdict(lambda: {p: {"max": 0.0, "self": 0.0, "township": 0.0,
                                                                "scored": True} for p in chosen["parts"]})
    for row in rows:
        part = sums[row["school"]][row["part"]]
        part["max"] += row["max"]
        part["self"] += row["self"]
        part["township"] += row["township"] or 0.0
        part["scored"] = part["scored"] and row["township"] is not None
    for code, parts in sums.items():
        for name, part in parts.items():
            if part["max"] > chosen["parts"][name] + 1e-9:
                problems.append(Problem(f"{names.get(code, code)}的{name}评估各项满分之和 {part['max']:g} 超过了 "
                                        f"{chosen['parts'][name]:g} 分。", column="满分"))
    if problems:
        raise ValidationError(problems)
    out = []
    for code, parts in sorted(sums.items()):
        self_total = sum(p["self"] for p in parts.values())
        scored = all(p["scored"] for p in parts.values() if p["max"])
        town_total = sum(p["township"] for p in parts.values()) if scored else None
        out.append({"school_code": code, "school_name": names[code],
                    "parts": {n: {"max": p["max"], "self": p["self"], "township": p["township"] if scored else None}
                              for n, p in parts.items()},
                    "self_total": self_total, "self_band": _band(self_total, chosen),
                    "township_total": town_total, "township_band": _band(town_total, chosen),
                    "difference": None if town_total is None else town_total - self_total})
    return {"schools": out, **chosen.stamp()}
