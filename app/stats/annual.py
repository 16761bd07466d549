"""The annual performance score of 000 篇20 (高质量发展绩效考核), from an item sheet the township fills,
driven by the central_school preset (central-000-20 or a copy; its `annual` part).

- 满意度测评得分 = (满意 × 1 + 较满意 × 0.8 + 基本满意 × 0.6) ÷ 有效票数 × 100 for each group of raters,
  weighted 班子成员与股室负责人 30 % and 教师、家长、学生 70 % (不满意 votes count nothing).
- 绩效得分 = 指标体系得分 × 60 % + 动态考核得分 × 30 % + 满意度 × 10 % + 教育质量得分 (added directly, at
  most 10).
- 等次: 好 ≥ 90 with 政治素质 and 党建 both 好 and no written criticism (通报批评); 较好 ≥ 80 with both at
  least 较好; 一般 ≥ 70 with both at least 较好; below 70 差 (篇20 names a serious incident or a
  巩固率 below standard for 差; a school below 70 without either is also 差 here, with that said).
- 中心小学得分 = 校本部 × 60 % + 辖区村级学校平均 × 40 %, applied to this annual score
  (app.stats.scoring.central_school_scores).
"""
from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from app.errors import Problem, ValidationError
from app.importing.workbook import read_tables
from app.stats.presets import Preset, resolve
from app.stats.scoring import central_school_scores
from app.validation.text import clean

COLUMNS = {"school": ["学校代码", "学校"], "index": ["指标体系得分"], "dynamic": ["动态考核得分"],
           "leaders_1": ["班子满意"], "leaders_2": ["班子较满意"], "leaders_3": ["班子基本满意"],
           "leaders_votes": ["班子有效票数"], "others_1": ["群众满意"], "others_2": ["群众较满意"],
           "others_3": ["群众基本满意"], "others_votes": ["群众有效票数"], "quality": ["教育质量得分"],
           "politics": ["政治素质等次"], "party": ["党建等次"], "criticised": ["通报批评"], "incident": ["严重事件"]}
NUMBERS = ("index", "dynamic", "leaders_1", "leaders_2", "leaders_3", "leaders_votes", "others_1", "others_2",
           "others_3", "others_votes", "quality")
LEVELS = ("好", "较好", "一般", "差")
YES = ("是", "有", "1", "true", "√")
# The items of the form (ui) and the PDF: each with its Chinese name and what 篇20 says of it.
LABELS = {
    "index": ("指标体系得分", "按县(乡镇)下发的考核指标体系逐项评分的得分,满分 100,按 60% 计入"),
    "dynamic": ("动态考核得分", "基础分 100 + 加分事项 − 减分事项(表彰奖励、通报表扬、通报批评、不良记录等),按 30% 计入"),
    "leaders_1": ("班子成员:满意", "班子成员与各股(室、中心)负责人投“满意”的票数,每票计 1"),
    "leaders_2": ("班子成员:较满意", "投“较满意”的票数,每票计 0.8"),
    "leaders_3": ("班子成员:基本满意", "投“基本满意”的票数,每票计 0.6;“不满意”不计分"),
    "leaders_votes": ("班子成员:有效票数", "这一类测评主体的有效票总数(占满意度的 30%)"),
    "others_1": ("教师家长学生:满意", "教师、家长、学生投“满意”的票数,每票计 1"),
    "others_2": ("教师家长学生:较满意", "投“较满意”的票数,每票计 0.8"),
    "others_3": ("教师家长学生:基本满意", "投“基本满意”的票数,每票计 0.6;“不满意”不计分"),
    "others_votes": ("教师家长学生:有效票数", "这一类测评主体的有效票总数(占满意度的 70%)"),
    "quality": ("教育质量得分", "由教研室按质量检测结果给出,直接计入总分,不超过 10 分"),
    "politics": ("政治素质考核等次", "好、较好、一般、差;评“好”须为“好”,评“较好”“一般”须达到“较好”"),
    "party": ("党建工作成效等次", "好、较好、一般、差;要求同上"),
    "criticised": ("受到书面通报批评", "受到上级书面通报批评(有正式文号)的,不得评为“好”"),
    "incident": ("严重事件或巩固率不达标", "发生造成严重影响的事件或巩固率不达标的,评为“差”"),
}


def check_row(row: dict) -> list[tuple[str, str]]:
    """Return the problems of one school's parsed 篇20 values as (item key, Chinese message): numbers
    missing or below 0, 指标体系 and 动态考核 above 100, an unknown 等次, more 满意/较满意/基本满意 votes
    than valid votes (empty when the row is usable)."""
    problems = []
    for key in NUMBERS:
        value = row.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value or value < 0 \
                or (key in ("index", "dynamic") and value > 100):
            problems.append((key, f"“{'' if value is None else value}”不是有效的分数或票数。"))
    for key in ("politics", "party"):
        if row.get(key) not in LEVELS:
            problems.append((key, f"等次“{row.get(key)}”应为 好、较好、一般 或 差。"))
    for group in ("leaders", "others"):
        counted = sum(v for i in (1, 2, 3) if isinstance(v := row.get(f"{group}_{i}"), (int, float)))
        votes = row.get(f"{group}_votes")
        if isinstance(votes, (int, float)) and counted > votes:
            problems.append((f"{group}_votes", "满意、较满意、基本满意的票数之和超过了有效票数。"))
    return problems


def satisfaction(votes: tuple[float, float, float], valid: float, weights: dict) -> float | None:
    """Return (满意 × w1 + 较满意 × w2 + 基本满意 × w3) ÷ 有效票数 × 100, or None without valid votes."""
    if not valid:
        return None
    return 100 * (votes[0] * weights["满意"] + votes[1] * weights["较满意"] + votes[2] * weights["基本满意"]) / valid


def _band(score: float, row: dict, bands: list[dict]) -> tuple[str, str]:
    """Return (等次, why) for an annual score and the school's other 篇20 conditions."""
    at_least = lambda level, need: LEVELS.index(level) <= LEVELS.index(need)  # noqa: E731
    both = (row["politics"], row["party"])
    limits = {b["name"]: b["min"] for b in bands}
    if score >= limits["好"] and all(at_least(x, "好") for x in both) and not row["criticised"]:
        return "好", ""
    if score >= limits["较好"] and all(at_least(x, "较好") for x in both):
        return "较好", "受到通报批评,不得评为“好”" if score >= limits["好"] and row["criticised"] else ""
    if score >= limits["一般"] and all(at_least(x, "较好") for x in both):
        return "一般", ""
    if score >= limits["一般"]:
        return "差", "政治素质或党建考核未达到“较好”"
    why = "有造成严重影响的事件或巩固率不达标" if row["incident"] else "低于 70 分(原文另要求有严重事件或巩固率不达标)"
    return "差", why


def annual_scores(db: Database, rows: list[dict], *, preset: Preset | str | None = None) -> dict:
    """Return {"schools": [...], "central": [...], preset_id, preset_hash} for checked item rows (see
    read_items): each school with school_code, school_name, school_type, the items, satisfaction,
    score, band and band_note; central: the 中心小学得分 of each township from these scores.
    Raises ValidationError (an unknown school code), NotFound."""
    chosen = resolve(db, "central_school", preset)
    annual = chosen["annual"]
    w = annual["weights"]
    known = {r["code"]: dict(r) for r in db.query("SELECT code, name, type FROM school")}
    unknown = [r["school"] for r in rows if r["school"] not in known]
    if unknown:
        raise ValidationError([Problem(f"没有学校“{code}”。", column="学校代码") for code in unknown])
    out = []
    for row in rows:
        raters = annual["satisfaction_raters"]
        parts = [(raters[g], satisfaction((row[f"{g}_1"], row[f"{g}_2"], row[f"{g}_3"]), row[f"{g}_votes"],
                                          annual["satisfaction_votes"])) for g in ("leaders", "others")]
        weighted = [(share, s) for share, s in parts if s is not None]
        happy = sum(share * s for share, s in weighted) / sum(share for share, _ in weighted) if weighted else 0.0
        quality = min(row["quality"], annual["quality_max"])
        score = w["index"] * row["index"] + w["dynamic"] * row["dynamic"] + w["satisfaction"] * happy + quality
        band, note = _band(score, row, annual["bands"])
        school = known[row["school"]]
        out.append({"school_code": row["school"], "school_name": school["name"], "school_type": school["type"],
                    **{k: row[k] for k in ("index", "dynamic")}, "quality": quality, "satisfaction": happy,
                    "score": score, "band": band, "band_note": note})
    central = central_school_scores(db, {s["school_code"]: s["score"] for s in out}, preset=chosen) \
        if any(s["school_type"] == "中心校本部" for s in out) else []
    return {"schools": out, "central": central, **chosen.stamp()}


def read_items(path: str | Path) -> list[dict]:
    """Return the checked rows of an item sheet (columns of COLUMNS: numbers ≥ 0, 等次 one of 好/较好/一般/差,
    通报批评 and 严重事件 是/否). Raises ValidationError naming sheet, row and column (nothing used),
    NotAWorkbook, FileNotFoundError."""
    tables = read_tables(path, COLUMNS, required=("school", "index", "dynamic"))
    problems = list(tables.problems)
    rows = []
    for table in tables.tables:
        for r in table.rows:
            row: dict = {"school": clean(r.values.get("school"))}
            for key in NUMBERS:
                text = clean(r.values.get(key)) or "0"
                try:
                    row[key] = float(text)
                except ValueError:
                    row[key] = text  # refused by check_row, which names it
            for key in ("politics", "party"):
                row[key] = clean(r.values.get(key)) or "好"
            for key in ("criticised", "incident"):
                row[key] = clean(r.values.get(key)).lower() in YES
            problems += [Problem(message, sheet=table.sheet, row=r.row, column=table.column(key) or COLUMNS[key][0])
                         for key, message in check_row(row)]
            rows.append(row)
    if problems:
        raise ValidationError(problems)
    return rows
