"""Downward packages: the township sends unified exam definitions, its presets and curriculum plans.

config.json holds the township's own exams of a term (with their stable ids, so the marks the
schools send back line up with the township's exams), its presets (every named copy and the preset
in force of every kind, which the school then keeps as the township's: app.preset_store) and the
curriculum plans it keeps for its schools. A school trusts the township's key the
first time, once a person has compared the fingerprint; every later package must match that key.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from app.db.writes import Actor, bulk_insert, delete_row, insert_row, update_row
from app.errors import SchoolQError, ValidationError
from app.packages import replace
from app.packages.export import ExportResult, build_and_write, check_folder
from app.packages.format import CONFIG_JSON, Manifest, PackageRefused
from app.packages.sealing import check_recipient, recipient_of
from app.packages.signing import fingerprint_of_pem, public_key_from_pem, unlock_private_key
from app.packages.township_import import check_sequence, gap_text, missing_sequences
from app.packages.trust import trusted_key
from app.packages.verify import check_signature, open_package
from app.preset_store import apply_township_presets, township_presets
from app.progress import Progress
from app.services import schools
from app.services.permissions import require_school_admin, require_township_admin
from app.services.scheme_sheets import store_from_township, township_sheets
from app.timetable.plans import remove_plan

_STAMPS = ("created_at", "updated_at")


class NeedsConfirmation(SchoolQError):
    """The township's key is not trusted yet: a person must compare the fingerprint first."""

    def __init__(self, township_code: str, township_name: str, fingerprint: str):
        super().__init__(f"这是第一次导入 {township_name}({township_code})的配置包。请与乡镇中心校电话核对密钥指纹:"
                         f"{fingerprint};一致后再确认导入。")
        self.township_code = township_code
        self.township_name = township_name
        self.fingerprint = fingerprint


@dataclass
class ConfigResult:
    """The outcome of importing a config package at a school."""

    file: str
    status: str  # accepted | duplicate
    message: str
    township_code: str
    fingerprint: str
    first_time: bool
    sequence: int
    summary: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Return the result as plain data (for --json)."""
        return asdict(self)


def _plain(row) -> dict:
    return {k: v for k, v in dict(row).items() if k not in _STAMPS}


def build_config(db: Database, township: dict, term: dict) -> dict:
    """Return the content of config.json: the township's exams of `term`, its presets
    (app.preset_store.township_presets) and the curriculum plans it keeps for its schools."""
    exams = []
    for exam in db.query("SELECT * FROM exam WHERE township_id = ? AND school_id IS NULL AND term_id = ?"
                         " ORDER BY date, name", [township["id"], term["id"]]):
        exams.append({
            **{k: exam[k] for k in ("id", "name", "type", "scope", "date", "policy")},
            "term_code": term["code"],
            "grades": [r[0] for r in db.execute("SELECT grade FROM exam_grade WHERE exam_id = ? ORDER BY grade",
                                                [exam["id"]]).fetchall()],
            "subjects": [{**_plain(r), "subject_code": r["subject_code"]} for r in db.query(
                "SELECT es.*, sj.code AS subject_code FROM exam_subject es JOIN subject sj ON sj.id = es.subject_id"
                " WHERE es.exam_id = ? ORDER BY sj.sort_order", [exam["id"]])],
            "cutoffs": [_plain(r) for r in db.query("SELECT * FROM exam_cutoff WHERE exam_id = ?"
                                                     " ORDER BY subject_id, grade", [exam["id"]])],
        })
    plans = []
    for plan in db.query("SELECT p.*, s.code AS school_code FROM curriculum_plan p JOIN school s"
                         " ON s.id = p.school_id WHERE s.township_id = ? ORDER BY s.code", [township["id"]]):
        plans.append({"school_code": plan["school_code"],
                      "plan": {k: v for k, v in _plain(plan).items() if k != "school_code"},
                      "items": [_plain(r) for r in db.query("SELECT * FROM curriculum_item WHERE plan_id = ?"
                                                             " ORDER BY sort_order, name", [plan["id"]])],
                      "hours": [_plain(r) for r in db.query(
                          "SELECT h.* FROM curriculum_hours h JOIN curriculum_item i ON i.id = h.item_id"
                          " WHERE i.plan_id = ? ORDER BY h.item_id, h.grade", [plan["id"]])]})
    return {"township": {k: township[k] for k in ("code", "name", "county")},
            "term": {"code": term["code"], "name": term["name"]}, "exams": exams,
            "presets": township_presets(db),
            "quality_targets": [{**_plain(r), "school_code": r["school_code"], "subject_code": r["subject_code"]}
                                for r in db.query(
                "SELECT q.*, s.code AS school_code, sj.code AS subject_code FROM quality_target q"
                " JOIN school s ON s.id = q.school_id LEFT JOIN subject sj ON sj.id = q.subject_id"
                " WHERE s.township_id = ? AND q.term_id = ? ORDER BY s.code, q.id", [township["id"], term["id"]])],
            "curriculum_plans": plans,
            "scheme_sheets": township_sheets(db, township["id"], term["academic_year_id"])}


def export_config(db: Database, actor: Actor, passphrase: str, folder: str | Path, *, term_code: str | None = None,
                  progress: Progress | None = None) -> ExportResult:
    """Export the township's config package for its schools into `folder`; return the ExportResult.

    Raises ValidationError (not a township database, wrong passphrase, unknown term, folder, file
    exists), PermissionDenied, ExportFailed.
    """
    require_township_admin(actor)
    if schools.get_meta(db, "kind") != "township":
        raise SchoolQError("只有乡镇数据库可以导出下发给学校的配置包。")
    check_folder(folder)
    private_key = unlock_private_key(db, passphrase)
    rows = list(db.query("SELECT * FROM township WHERE code = ?", [schools.get_meta(db, "township_code") or ""]))
    if not rows:
        raise SchoolQError("数据库没有记录本乡镇是哪个乡镇,无法导出配置包。")
    township = dict(rows[0])
    if term_code:
        terms = list(db.query("SELECT * FROM term WHERE code = ?", [term_code]))
        if not terms:
            raise SchoolQError(f"数据库中没有学期“{term_code}”。")
        term = dict(terms[0])
    else:
        term = schools.current_term(db)
    content = build_config(db, township, term)
    payload = json.dumps(content, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    counts = {"exams": len(content["exams"]), "presets": len(content["presets"]["copies"]),
              "curriculum_plans": len(content["curriculum_plans"])}
    return build_and_write(db, actor, private_key, folder, kind="config",
                           sender={"level": "township", "code": township["code"], "name": township["name"],
                                   "county": township["county"]},
                           recipient={"level": "school", "code": None, "name": None},
                           term={"code": term["code"], "name": term["name"]}, payload=payload,
                           extra={"counts": counts, "age_recipient": recipient_of(private_key)}, progress=progress)


def _own_school(db: Database) -> dict:
    rows = list(db.query("SELECT s.*, t.code AS township_code FROM school s LEFT JOIN township t"
                         " ON t.id = s.township_id WHERE s.code = ?", [schools.get_meta(db, "school_code") or ""]))
    if schools.get_meta(db, "kind", "school") != "school" or not rows:
        raise PackageRefused("wrong_database", "配置包只能导入学校数据库。")
    return dict(rows[0])


def import_config(db: Database, actor: Actor, path: str | Path, *, trust_new: bool = False) -> ConfigResult:
    """Import a township's config package into this school database; return the ConfigResult.

    The first package from a township raises NeedsConfirmation unless `trust_new` (a person has
    compared the fingerprint); its key is then trusted, and later packages must be signed with it.
    Raises PackageRefused with the reason (nothing written), PermissionDenied.
    """
    path = Path(path)
    school = _own_school(db)
    require_school_admin(actor, school["id"])
    package = open_package(path)
    m = package.manifest
    if m.kind != "config" or m.level != "township":
        raise PackageRefused("wrong_kind", "这不是乡镇下发的配置包(学校数据包应在乡镇数据库中导入)。")
    recipient = check_recipient(m.raw["age_recipient"]) if "age_recipient" in m.raw else None
    if school["township_code"] and school["township_code"] != m.sender_code:
        raise PackageRefused("other_township", f"这是乡镇 {m.sender_code} 的配置包,本校属于 {school['township_code']},"
                                               "已拒绝。")
    key = trusted_key(db, "township", m.sender_code)
    first_time = key is None
    if first_time:
        fingerprint = fingerprint_of_pem(package.key_pem)
        if fingerprint != m.fingerprint:
            raise PackageRefused("wrong_key", "配置包中的公钥与它声明的指纹不符,已拒绝。")
        check_signature(package, public_key_from_pem(package.key_pem))
        if not trust_new:
            raise NeedsConfirmation(m.sender_code, m.sender_name, fingerprint)
    else:
        fingerprint = key["fingerprint"]
        if m.fingerprint != fingerprint:
            raise PackageRefused("wrong_key", f"配置包的签名密钥(指纹 {m.fingerprint})不是本校信任的乡镇密钥"
                                              f"(指纹 {fingerprint}),已拒绝。")
        check_signature(package, public_key_from_pem(key["public_pem"]))
    earlier = check_sequence(db, package)
    if earlier is not None:
        return ConfigResult(path.name, "duplicate", f"重复:{m.describe()}已导入过,本次未做任何改动。", m.sender_code,
                            fingerprint, False, m.sequence, json.loads(earlier["changes"]))
    try:
        content = json.loads(package.members[CONFIG_JSON].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PackageRefused("bad_data", "config.json 不是有效的 JSON。") from None
    note = f"导入配置包 {path.name}"
    try:
        with db.atomic():
            if first_time:
                insert_row(db, actor, "trusted_key", {"level": "township", "code": m.sender_code,
                                                      "public_pem": package.key_pem.decode("ascii"),
                                                      "fingerprint": fingerprint, "active": 1,
                                                      "age_recipient": recipient})
            elif recipient and recipient != key.get("age_recipient"):
                update_row(db, actor, "trusted_key", key["id"], {"age_recipient": recipient})
            township_id = _link_township(db, actor, school, m)
            summary: dict[str, Any] = {"exams": _apply_exams(db, actor, content.get("exams", []), township_id, note),
                       "presets": apply_township_presets(db, actor, content.get("presets", {}), m.sender_code),
                       "curriculum_plan": _apply_plan(db, actor, school, content.get("curriculum_plans", []), note),
                       "quality_targets": _apply_targets(db, actor, school, m.term_code,
                                                         content.get("quality_targets", [])),
                       "scheme_sheets": _apply_sheets(db, actor, school, m.term_code,
                                                      content.get("scheme_sheets", []))}
            insert_row(db, actor, "package_import", {
                "kind": "config", "sender_level": "township", "sender_code": m.sender_code,
                "sender_name": m.sender_name, "school_id": school["id"], "township_id": township_id,
                "term_code": m.term_code, "sequence": m.sequence, "package_created_at": m.created_at,
                "file_name": path.name, "manifest_sha256": package.manifest_sha256, "key_fingerprint": fingerprint,
                "changes": json.dumps(summary, ensure_ascii=False), "username": actor.username})
    except ValidationError as exc:
        raise PackageRefused("bad_data", f"配置包中的方案有误({exc}),已拒绝。") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise PackageRefused("bad_data", f"config.json 内容不完整({exc}),已拒绝。") from None
    gaps = missing_sequences(db, "township", m.sender_code, "config")
    message = f"已导入:{m.describe()}。{config_summary_text(summary)}。"
    if gaps:
        message += gap_text(gaps, "config") + "。"
    if recipient and recipient != (key or {}).get("age_recipient"):
        message += "已保存乡镇的加密公钥:以后导出的数据包都加密写出,只有乡镇中心校能打开。"
    return ConfigResult(path.name, "accepted", message, m.sender_code, fingerprint, first_time, m.sequence, summary)


def _link_township(db: Database, actor: Actor, school: dict, m: Manifest) -> str:
    row = db.execute("SELECT id FROM township WHERE code = ?", [m.sender_code]).fetchone()
    township_id = row[0] if row else schools.create_township(db, actor, code=m.sender_code, name=m.sender_name,
                                                             county=m.sender.get("county"))
    if school["township_id"] != township_id:
        update_row(db, actor, "school", school["id"], {"township_id": township_id})
    return township_id


def _apply_exams(db: Database, actor: Actor, exams: list[dict], township_id: str, note: str) -> dict:
    snap = replace.Snapshot()
    subjects = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM subject")}
    for exam in exams:
        term_id = replace.ensure_term_code(db, actor, exam["term_code"])
        snap.table("exam")[exam["id"]] = {"school_id": None, "township_id": township_id, "name": exam["name"],
                                          "type": exam["type"], "scope": exam["scope"], "term_id": term_id,
                                          "date": exam["date"], "policy": exam["policy"]}
        snap.own.setdefault("exam", set()).add(exam["id"])
        snap.links.setdefault("exam", {})[exam["id"]] = [int(g) for g in exam["grades"]]
        code_of = {}
        for es in exam["subjects"]:
            if es["subject_code"] not in subjects:
                raise PackageRefused("bad_data", f"配置包中的考试使用了本数据库没有的科目“{es['subject_code']}”,"
                                                 "请升级程序后再导入。")
            code_of[es["subject_id"]] = subjects[es["subject_code"]]
            snap.table("exam_subject")[es["id"]] = {"exam_id": exam["id"], "subject_id": subjects[es["subject_code"]],
                                                    **{k: es.get(k, "分数" if k == "assessment" else None)
                                                       for k in replace.COLUMNS["exam_subject"][2:]}}
        snap.cutoffs[exam["id"]] = [(code_of.get(c["subject_id"], c["subject_id"]), c["grade"], c["excellent_pct"],
                                     c["pass_pct"], c["low_pct"]) for c in exam["cutoffs"]]
    changes = replace.apply_exams(db, actor, snap, note)
    return {"added": len(set(changes.added.get("exam", ()))), "changed": len(set(changes.changed.get("exam", ())))}


def _apply_targets(db: Database, actor: Actor, school: dict, term_code: str, targets: list[dict]) -> int:
    """Make the school's quality targets of the package's term the township's (added, changed, and
    those the township no longer sets removed); return how many the package holds for the school."""
    mine = [t for t in targets if t["school_code"] == school["code"]]
    term_id = replace.ensure_term_code(db, actor, term_code)
    subjects = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM subject")}
    kept = set()
    for t in mine:
        if t["subject_code"] and t["subject_code"] not in subjects:
            raise PackageRefused("bad_data", f"配置包中的质量目标使用了本数据库没有的科目“{t['subject_code']}”。")
        teacher = t.get("teacher_id")  # an older package has no teachers' targets
        if teacher and not db.execute("SELECT 1 FROM teacher WHERE id = ? AND school_id = ?",
                                      [teacher, school["id"]]).fetchone():
            raise PackageRefused("bad_data", "配置包中有本校没有的教师的质量目标:请先把本校的数据包交给乡镇,再导入配置包。")
        values = {"school_id": school["id"], "term_id": term_id, "grade": t["grade"],
                  "subject_id": subjects.get(t["subject_code"]), "metric": t["metric"], "target": t["target"],
                  "note": t["note"], "teacher_id": teacher}
        kept.add(t["id"])
        if db.execute("SELECT 1 FROM quality_target WHERE id = ?", [t["id"]]).fetchone():
            update_row(db, actor, "quality_target", t["id"], values)
        else:
            insert_row(db, actor, "quality_target", {"id": t["id"], **values})
    for row in db.query("SELECT id FROM quality_target WHERE school_id = ? AND term_id = ?", [school["id"], term_id]):
        if row["id"] not in kept:
            delete_row(db, actor, "quality_target", row["id"])
    return len(mine)


def _apply_sheets(db: Database, actor: Actor, school: dict, term_code: str, sheets: list[dict]) -> int:
    """Make the school's 篇20/篇10 item sheets of the package's school year the township's (an older
    package carries none and changes nothing); return how many the package holds for the school."""
    mine = [s for s in sheets if s["school_code"] == school["code"]]
    if mine:
        term_id = replace.ensure_term_code(db, actor, term_code)
        year_id = db.execute("SELECT academic_year_id FROM term WHERE id = ?", [term_id]).fetchone()[0]
        store_from_township(db, actor, school["id"], year_id, mine)
    return len(mine)


def _without_school(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("school_id", "school_code", *_STAMPS)}


def _plan_dump(db: Database, plan_id: str) -> tuple:
    plan = _without_school(dict(next(iter(db.query("SELECT * FROM curriculum_plan WHERE id = ?", [plan_id])))))
    items = sorted((_without_school(dict(r)) for r in db.query("SELECT * FROM curriculum_item WHERE plan_id = ?",
                                                               [plan_id])), key=lambda r: r["id"])
    hours = sorted((_without_school(dict(r)) for r in db.query(
        "SELECT h.* FROM curriculum_hours h JOIN curriculum_item i ON i.id = h.item_id WHERE i.plan_id = ?",
        [plan_id])), key=lambda r: r["id"])
    return plan, items, hours


def _package_plan_dump(plan: dict) -> tuple:
    return (_without_school(plan["plan"]), sorted((_without_school(i) for i in plan["items"]), key=lambda r: r["id"]),
            sorted((_without_school(h) for h in plan["hours"]), key=lambda r: r["id"]))


def _apply_plan(db: Database, actor: Actor, school: dict, plans: list[dict], note: str) -> bool:
    """Replace the school's curriculum plan by the township's one for it; return whether anything changed."""
    mine = next((p for p in plans if p["school_code"] == school["code"]), None)
    if mine is None:
        return False
    current = db.execute("SELECT id FROM curriculum_plan WHERE school_id = ?", [school["id"]]).fetchone()
    if current:
        if _plan_dump(db, current[0]) == _package_plan_dump(mine):
            return False
        remove_plan(db, actor, current[0])
    insert_row(db, actor, "curriculum_plan", {**mine["plan"], "school_id": school["id"]})
    bulk_insert(db, actor, "curriculum_item", [{**i, "school_id": school["id"]} for i in mine["items"]], note)
    bulk_insert(db, actor, "curriculum_hours", [{**h, "school_id": school["id"]} for h in mine["hours"]], note)
    return True


def config_summary_text(summary: dict) -> str:
    """Return the Chinese line of what a configuration import changed (its summary as import_config stores
    it in the import log), e.g. “考试 新增 2、更新 0;方案 新增 1、更新 0,乡镇指定使用 1 项;…;课程计划无变化”.
    Parts a summary lacks count as 0."""
    exams, presets = summary.get("exams") or {}, summary.get("presets") or {}
    return (f"考试 新增 {exams.get('added', 0)}、更新 {exams.get('changed', 0)};"
            f"方案 新增 {presets.get('added', 0)}、更新 {presets.get('changed', 0)},"
            f"乡镇指定使用 {presets.get('prescribed', 0)} 项;质量目标 {summary.get('quality_targets', 0)} 条;"
            f"考核评估表 {summary.get('scheme_sheets', 0)} 份;"
            f"课程计划{'已更新' if summary.get('curriculum_plan') else '无变化'}")
