"""The township (or county) imports data packages: accepted, duplicate or refused, never half-written.

Checks, in order: the file is a complete zip with exactly the expected members under safe names
and within the size limits; the manifest is ours; the package is addressed to this township; the
sender is registered and signed with its registered key; every member matches its hash; the
sequence number is new and not older than one already imported. Only then is the data read and
the sender's data for the term replaced in one transaction, with an import log of what changed.
A refusal writes nothing at all.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pyrage import x25519
from sqlite_utils import Database

from app.db.keys import numbers_in
from app.db.writes import Actor, insert_row
from app.errors import PermissionDenied, SchoolQError, ValidationError
from app.packages.audit_link import check_link, last_head
from app.packages.datasheet import ReadRow, read_workbook
from app.packages.format import DATA_XLSX, FILE_NAME, PackageRefused
from app.packages.replace import LABELS, DETAIL_LIMIT, Changes, Snapshot, apply_snapshot, build_snapshot
from app.packages.sealing import sealed_files, unlock_identity
from app.packages.signing import public_key_from_pem
from app.packages.trust import trusted_key
from app.packages.verify import OpenedPackage, check_signature, open_package
from app.progress import Progress, no_progress
from app.services import schools
from app.services.appraisal_surveys import receive_from_package as receive_surveys
from app.services.permissions import require_township_admin
from app.services.scheme_sheets import receive_from_package as receive_sheets
from app.timestamps import shown

# What each kind of database accepts: a township takes schools' packages, a county townships'.
ACCEPTS = {"township": "school", "county": "township"}
LEVEL_NAMES = {"school": "学校", "township": "乡镇", "county": "县"}


@dataclass
class ImportResult:
    """The outcome for one file: status accepted / duplicate / refused and a Chinese message."""

    file: str
    status: str
    message: str
    reason_code: str | None = None
    sender_code: str | None = None
    sender_name: str | None = None
    term_code: str | None = None
    sequence: int | None = None
    summary: dict = field(default_factory=dict)
    gaps: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the result as plain data (for --json and the GUI table)."""
        return asdict(self)


def _own_code(db: Database, kind: str) -> str | None:
    return schools.get_meta(db, "township_code" if kind == "township" else "county_code")


# A package numbered more than this above the last one accepted from its sender is refused: a
# school exports a few packages a term, so a jump of hundreds is a forged or broken number, and
# accepting it would make every later genuine package look older than it.
MAX_SEQUENCE_STEP = 500
# A package that would remove more than this share of its school's pupils, or of the school's
# marks of the term, is held until a person confirms it (an emptied school is a mistake far more
# often than a fact).
SHRINK_SHARE = 0.2


def imported_sequences(db: Database, level: str, code: str, kind: str = "data") -> list[int]:
    """Return the sequence numbers of the packages already accepted from one sender, ascending."""
    return [r[0] for r in db.execute("SELECT sequence FROM package_import WHERE kind = ? AND sender_level = ?"
                                     " AND sender_code = ? ORDER BY sequence", [kind, level, code]).fetchall()]


def plausible_sequences(seen: Iterable[int]) -> list[int]:
    """Return the numbers of `seen` (ascending) that follow the one before within MAX_SEQUENCE_STEP:
    a number stored by an older program after an absurd jump (10^12) is left out, so it neither
    makes later packages look old nor turns into billions of “missing” numbers."""
    kept: list[int] = []
    for number in sorted(seen):
        if number - (kept[-1] if kept else 0) <= MAX_SEQUENCE_STEP:
            kept.append(number)
    return kept


def gap_ranges(seen: Iterable[int]) -> list[tuple[int, int]]:
    """Return the runs (first, last) of numbers below the highest plausible one in `seen` that never
    arrived, as ranges (never one entry per number)."""
    gaps, previous = [], 0
    for number in plausible_sequences(seen):
        if number > previous + 1:
            gaps.append((previous + 1, number - 1))
        previous = max(previous, number)
    return gaps


def missing_sequences(db: Database, level: str, code: str, kind: str = "data") -> list[tuple[int, int]]:
    """Return the runs (first, last) of sequence numbers that never arrived from one sender (第 N 号未收到)."""
    return gap_ranges(imported_sequences(db, level, code, kind))


def gap_text(gaps: Iterable[tuple[int, int]], kind: str = "data") -> str:
    """Return “第 6 号数据包未收到” for each missing run (“第 1-4 号数据包未收到”), joined by “;”, or ''."""
    what = "配置包" if kind == "config" else "数据包"
    return ";".join(f"第 {a} 号{what}未收到" if a == b else f"第 {a}-{b} 号{what}未收到" for a, b in gaps)


def check_sequence(db: Database, package: OpenedPackage) -> dict | None:
    """Return the package_import row when this exact package was imported before (a duplicate), None
    when it is new. Raises PackageRefused when the number was used for different content, or is older
    than one already imported."""
    m = package.manifest
    rows = [dict(r) for r in db.query("SELECT * FROM package_import WHERE kind = ? AND sender_level = ?"
                                      " AND sender_code = ? ORDER BY sequence", [m.kind, m.level, m.sender_code])]
    same = [r for r in rows if r["sequence"] == m.sequence]
    if same:
        if same[0]["manifest_sha256"] == package.manifest_sha256:
            return same[0]
        raise PackageRefused("sequence_conflict", f"已导入过 {m.sender_code} 的第 {m.sequence} 号包,但内容不同。"
                                                  "发送方的数据库可能从备份恢复过:请对方重新导出一个新序号的数据包。")
    newest = max(plausible_sequences(r["sequence"] for r in rows), default=0)
    if m.sequence < newest:
        raise PackageRefused("old_sequence", f"这是第 {m.sequence} 号包,比已导入的第 {newest} 号更旧;导入它会用旧数据"
                                             "覆盖新数据,已拒绝。")
    if m.sequence > newest + MAX_SEQUENCE_STEP:
        last = f"上一个收到的是第 {newest} 号" if newest else "此前没有收到过它的数据包"
        raise PackageRefused("sequence_jump", f"这是第 {m.sequence} 号包,{last},序号跳得太多(一次最多 "
                                              f"{MAX_SEQUENCE_STEP} 个),疑似伪造或损坏,已拒绝。")
    return None


def verify_sender(db: Database, package: OpenedPackage, level: str, own_code: str | None) -> None:
    """Return when the package comes from a registered sender of `level`, is addressed to `own_code`
    and is signed with the registered key. Raises PackageRefused with the reason."""
    m = package.manifest
    if m.level != level:
        raise PackageRefused("wrong_level", f"这是{LEVEL_NAMES[m.level]}发出的包,本数据库只接收"
                                            f"{LEVEL_NAMES[level]}的数据包。")
    target = m.recipient.get("code")
    if target and own_code and target != own_code:
        raise PackageRefused("other_township", f"这个数据包是发给 {target} 的,不是发给本单位({own_code})的,已拒绝。")
    key = trusted_key(db, level, m.sender_code)
    if key is None:
        raise PackageRefused("unknown_sender", f"{LEVEL_NAMES[level]} {m.sender_code}({m.sender_name})尚未登记公钥,"
                                               "请先在“数据交换”页点“登记学校公钥…”,与对方电话核对指纹后登记。")
    if m.fingerprint != key["fingerprint"]:
        raise PackageRefused("wrong_key", f"数据包的签名密钥(指纹 {m.fingerprint})不是 {m.sender_code} 登记的密钥"
                                          f"(指纹 {key['fingerprint']}),已拒绝。")
    check_signature(package, public_key_from_pem(key["public_pem"]))


def _summary(snap: Snapshot, changes: Changes) -> dict:
    def names(table: str, ids: Iterable[str]) -> list[str]:
        out = []
        for rid in list(dict.fromkeys(ids))[:DETAIL_LIMIT]:
            row = snap.table(table).get(rid, {})
            extra = row.get("student_no") or row.get("staff_no")
            out.append(f"{row.get('name', rid)}({extra})" if extra else str(row.get("name", rid)))
        return out

    def removed(table: str) -> list[str]:
        rows = changes.removed.get(table, [])[:DETAIL_LIMIT]
        return [f"{r.get('name')}({r.get('student_no') or r.get('staff_no')})" for r in rows]

    counts = {}
    for table, label in LABELS.items():
        entry = {"label": label, "added": len(set(changes.added.get(table, ()))),
                 "removed": len(changes.removed.get(table, ())), "changed": len(set(changes.changed.get(table, ())))}
        if any(entry[k] for k in ("added", "removed", "changed")):
            counts[table] = entry
    return {
        "counts": counts,
        "pupils_added": names("pupil", changes.added.get("pupil", ())),
        "pupils_removed": removed("pupil"),
        "teachers_added": names("teacher", [t for t in changes.added.get("teacher", ())
                                            if t in snap.own.get("teacher", set())]),
        "teachers_removed": removed("teacher"),
        "teachers_changed": names("teacher", changes.changed.get("teacher", ())),
        "marks_changed": len(set(changes.changed.get("mark", ()))),
        "kept": changes.kept[:DETAIL_LIMIT],
    }


def summary_text(summary: dict) -> str:
    """Return a short Chinese line of what an import changed, e.g. “学生 新增 2、删除 1;成绩 修改 15”."""
    parts = []
    for entry in summary.get("counts", {}).values():
        bits = [f"{word} {entry[key]}" for key, word in (("added", "新增"), ("removed", "删除"), ("changed", "修改"))
                if entry[key]]
        parts.append(f"{entry['label']} {'、'.join(bits)}")
    return ";".join(parts) or "内容与上次相同,无变化"


def _sender_township(db: Database, actor: Actor, kind: str, package: OpenedPackage) -> str | None:
    m = package.manifest
    if kind == "township":
        row = db.execute("SELECT id FROM township WHERE code = ?", [_own_code(db, kind) or ""]).fetchone()
        return row[0] if row else None
    row = db.execute("SELECT id FROM township WHERE code = ?", [m.sender_code]).fetchone()
    if row:
        return row[0]
    return schools.create_township(db, actor, code=m.sender_code, name=m.sender_name,
                                   county=m.sender.get("county") or m.recipient.get("name"))


class _Duplicate(Exception):
    """The package was imported (by another program) while this import waited for the database."""

    def __init__(self, earlier: dict):
        super().__init__(earlier["file_name"])
        self.earlier = earlier


class ShrinkHeld(PackageRefused):
    """The package would remove more than SHRINK_SHARE of the school's pupils or of its marks of the
    term; `counts` says how many: {pupils_before, pupils_removed, marks_before, marks_removed}."""

    def __init__(self, counts: dict):
        self.counts = counts
        super().__init__("shrink", shrink_text(counts) + "为防误操作未导入。核对无误后请确认导入"
                                                        "(命令行加 --accept-shrink)。")


def shrink_text(counts: dict) -> str:
    """Return “将删除 120 名学生中的 120 名、3,000 条成绩中的 3,000 条。” for ShrinkHeld counts."""
    parts = [f"{counts[f'{what}_before']:,} {unit}{label}中的 {counts[f'{what}_removed']:,} {unit if what == 'marks' else '名'}"
             for what, unit, label in (("pupils", "名", "学生"), ("marks", "条", "成绩"))
             if counts[f"{what}_removed"]]
    return "这个数据包将删除本数据库中该校" + "、".join(parts) + "。"


def shrinkage(db: Database, snap: Snapshot, term_id: str) -> dict | None:
    """Return the counts of a ShrinkHeld when replacing by `snap` removes more than SHRINK_SHARE of
    the sender's pupils, or of its marks of the term, else None."""
    own = sorted(snap.own.get("school", set()))
    marks = ",".join("?" for _ in own) or "NULL"
    pupils = [r[0] for r in db.execute(f"SELECT id FROM pupil WHERE school_id IN ({marks})", own)]
    stored = [r[0] for r in db.execute(
        f"SELECT id FROM mark WHERE school_no IN {numbers_in('school', marks)}"
        f" AND exam_no IN (SELECT n.no FROM exam_number n JOIN exam e ON e.id = n.id WHERE e.term_id = ?)",
        [*own, term_id])]
    counts = {"pupils_before": len(pupils), "pupils_removed": len(set(pupils) - set(snap.table("pupil"))),
              "marks_before": len(stored), "marks_removed": len(set(stored) - set(snap.table("mark")))}
    if any(counts[f"{w}_removed"] > SHRINK_SHARE * counts[f"{w}_before"] for w in ("pupils", "marks")):
        return counts
    return None


def _apply(db: Database, actor: Actor, kind: str, package: OpenedPackage,
           accept_shrink: bool = False) -> tuple[dict, list[tuple[int, int]]]:
    m = package.manifest
    sheets, problems = read_workbook(package.members[DATA_XLSX])
    if problems:
        raise PackageRefused("bad_data", "data.xlsx 内容不完整:" + ";".join(str(p) for p in problems[:5]))
    note = f"导入数据包 {package.path.name}"
    with db.atomic():
        # Again under the write lock: another import (a second window, a second command) may have
        # taken this package while this one waited.
        earlier = check_sequence(db, package)
        if earlier is not None:
            raise _Duplicate(earlier)
        township_id = _sender_township(db, actor, kind, package)
        snap = build_snapshot(db, actor, m, sheets, township_id)
        if snap.problems:
            raise PackageRefused("bad_data", "数据包中的数据有误:" + ";".join(str(p) for p in snap.problems[:5]))
        term_id = db.execute("SELECT id FROM term WHERE code = ?", [m.term_code]).fetchone()[0]
        held = shrinkage(db, snap, term_id)
        if held and not accept_shrink:
            raise ShrinkHeld(held)
        previous = last_head(db, m.level, m.sender_code)
        changes = apply_snapshot(db, actor, snap, m, term_id, township_id, note)
        _receive_appraisal(db, actor, sheets, set(snap.own.get("school", set())), term_id, m.level == "school")
        summary = _summary(snap, changes)
        audit = m.raw.get("audit") or {}
        summary["audit"] = {"to": audit.get("to"), "flags": check_link(previous, audit)}
        own = sorted(snap.own.get("school", set()))
        insert_row(db, actor, "package_import", {
            "kind": "data", "sender_level": m.level, "sender_code": m.sender_code, "sender_name": m.sender_name,
            "school_id": own[0] if m.level == "school" and own else None, "township_id": township_id,
            "term_code": m.term_code, "sequence": m.sequence, "package_created_at": m.created_at,
            "file_name": package.path.name, "manifest_sha256": package.manifest_sha256,
            "key_fingerprint": m.fingerprint, "changes": json.dumps(summary, ensure_ascii=False),
            "username": actor.username})
    return summary, missing_sequences(db, m.level, m.sender_code)


def _receive_appraisal(db: Database, actor: Actor, sheets: dict[str, list[ReadRow]], own: set[str], term_id: str,
                       from_school: bool) -> None:
    """Store the package's 篇10 (and, from a township, 篇20) sheets and 篇11 survey scores of the term's
    school year (an older package without these sheets changes neither). Raises PackageRefused for a
    bad row."""
    def plain(name: str) -> list[dict]:
        return [{**r.values, "sheet": r.sheet, "row": r.row} for r in sheets.get(name, [])]

    year = db.execute("SELECT y.code FROM term t JOIN academic_year y ON y.id = t.academic_year_id WHERE t.id = ?",
                      [term_id]).fetchone()[0]
    try:
        if "考核评估表" in sheets:
            receive_sheets(db, actor, plain("考核评估表"), own, from_school=from_school)
        if "多方评价" in sheets:
            receive_surveys(db, actor, plain("多方评价"), own, year)
    except ValidationError as exc:
        raise PackageRefused("bad_data", "数据包中的数据有误:" + ";".join(str(p) for p in exc.problems[:5])) from None


def import_package(db: Database, actor: Actor, path: str | Path, *, accept_shrink: bool = False,
                   identity: x25519.Identity | None = None) -> ImportResult:
    """Import one package file, decrypting a school's encrypted package (.zip.age) with this
    township's age `identity` (app.packages.sealing.unlock_identity); return its ImportResult
    (refusals are results, not exceptions).

    A package that would remove more than SHRINK_SHARE of its school's pupils or marks is refused
    with reason_code "shrink" and the counts in summary["shrink"] unless `accept_shrink`.

    Raises PermissionDenied when the actor is not a township (or county) administrator.
    """
    require_township_admin(actor)
    path = Path(path)
    kind = schools.get_meta(db, "kind", "school")
    package = None
    try:
        if kind not in ACCEPTS:
            raise PackageRefused("wrong_database", "学校数据库不能导入学校数据包:请在乡镇数据库中导入"
                                                   "(学校导入乡镇下发的配置包,请在学校数据库的“数据交换”页导入)。")
        package = open_package(path, identity)
        m = package.manifest
        if m.kind != "data":
            raise PackageRefused("wrong_kind", "这是乡镇下发给学校的配置包,应在学校数据库的“数据交换”页导入。")
        verify_sender(db, package, ACCEPTS[kind], _own_code(db, kind))
        earlier = check_sequence(db, package)
        try:
            if earlier is not None:
                raise _Duplicate(earlier)
            summary, gaps = _apply(db, actor, kind, package, accept_shrink)
        except _Duplicate as dup:
            earlier = dup.earlier
            return ImportResult(path.name, "duplicate", f"重复:{m.describe()}已于 {shown(earlier['created_at'])} 导入过,"
                                "本次未做任何改动。", None, m.sender_code, m.sender_name, m.term_code, m.sequence,
                                json.loads(earlier["changes"]), missing_sequences(db, m.level, m.sender_code))
        except sqlite3.IntegrityError as exc:
            raise PackageRefused("bad_data", f"数据包中的数据与本数据库的约束冲突({exc}),已拒绝。") from None
        except ValidationError as exc:
            raise PackageRefused("bad_data", f"数据包中的数据有误:{exc}") from None
    except PackageRefused as exc:
        m = package.manifest if package else None
        return ImportResult(path.name, "refused", f"拒收:{exc.reason}", exc.code,
                            m.sender_code if m else None, m.sender_name if m else None,
                            m.term_code if m else None, m.sequence if m else None,
                            {"shrink": exc.counts} if isinstance(exc, ShrinkHeld) else {})
    message = f"已导入:{m.describe()}。{summary_text(summary)}。"
    if summary["audit"]["flags"]:
        message += "审计记录提醒:" + "".join(summary["audit"]["flags"])
    if gaps:
        message += gap_text(gaps) + "。"
    if m.level == "school" and not package.sealed:
        message += "注意:这个数据包没有加密(学校还没有导入本乡镇的配置包),请提醒学校导入配置包。"
    return ImportResult(path.name, "accepted", message, None, m.sender_code, m.sender_name, m.term_code,
                        m.sequence, summary, gaps)


def _order(path: Path) -> tuple:
    match = FILE_NAME.match(path.name)
    return (0, match["code"], int(match["seq"])) if match else (1, "", 0)


def import_packages(db: Database, actor: Actor, paths: Iterable[str | Path],
                    progress: Progress | None = None, *, accept_shrink: bool = False,
                    passphrase: str | None = None) -> list[ImportResult]:
    """Import several package files, each school's in sequence order; return one result per file
    (`accept_shrink` as for import_package). Encrypted packages are decrypted with the identity
    the administrator's `passphrase` opens; without it they are refused (reason “encrypted”).

    Raises PermissionDenied; ValidationError when `passphrase` does not open the key (nothing
    imported); a file that cannot be imported is a refused result, never an exception.
    """
    report = progress or no_progress
    ordered = sorted((Path(p) for p in paths), key=_order)
    require_township_admin(actor)
    identity = unlock_identity(db, passphrase) if passphrase and sealed_files(ordered) else None
    results = []
    for index, path in enumerate(ordered):
        report(index / max(len(ordered), 1), f"导入 {path.name}")
        try:
            results.append(import_package(db, actor, path, accept_shrink=accept_shrink, identity=identity))
        except PermissionDenied:
            raise
        except SchoolQError as exc:
            results.append(ImportResult(path.name, "refused", f"拒收:{exc}", "error"))
    report(1.0, "完成")
    return results
