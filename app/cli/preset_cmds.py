"""`schoolq preset …`: list, show, copy, edit and put in force the presets of every kind (app.preset_store).

`preset edit` takes its changes as --set FIELD=VALUE, or from a file given back: the JSON that
`preset show --json` printed, or the sheet `preset show --xlsx` wrote, changed in WPS/Excel.
"""
from __future__ import annotations

import json
from pathlib import Path

from app.cli.common import command, emit_json, with_db
from app.cli.stats_cmds import format_table
from app.errors import Problem, ValidationError, invalid
from app.preset_fields import describe_value, editable_fields, label_of
from app.preset_names import display_name, readable
from app.preset_sheet import changes_text, read_changes, write_sheet
from app.preset_store import (ALL_KINDS, CURRICULUM, ORIGIN_NAMES, Entry, activate, catalogue, copy_preset,
                              edit_from_content, edit_preset, find)
from app.timetable.plans import format_band, preset_plan


def register(sub) -> None:
    """Add the `preset` command group to the CLI parser."""
    preset = sub.add_parser("preset", help="评分与规则方案:查看、复制、修改、启用",
                            description="三率一分、考试次数上限、篇7/篇17/篇20 评分、课表、工作量、听课、教学常规等方案。"
                                        "程序自带的方案只读;复制后可改,每次修改成为新的版本;乡镇下发的方案学校只能查看。")
    group = preset.add_subparsers(dest="preset_command", metavar="子命令", required=True)
    p = command(group, "list", cmd_list, json=True, help="列出全部方案(编号、版本、校验码、依据、来源、是否在用)")
    p.add_argument("--kind", choices=list(ALL_KINDS), help="只列这一类")

    p = command(group, "show", cmd_show, json=True, help="显示一个方案的各项数值及其说明")
    p.add_argument("preset", metavar="ID", help="方案编号(或 编号@版本)")
    p.add_argument("--xlsx", metavar="FILE", help="同时写成 .xlsx 表格,改好“数值”列后用 preset edit --from 读回")

    p = command(group, "copy", cmd_copy, json=True, user=True, help="复制一个方案(复制后才能修改)")
    p.add_argument("preset", metavar="ID", help="要复制的方案编号")
    p.add_argument("--name", required=True, help="新方案的名称")

    p = command(group, "edit", cmd_edit, json=True, user=True, help="修改复制的方案(成为新的版本)")
    p.add_argument("preset", metavar="ID", help="方案编号")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="改一项,如 composite.mean=0.5(可多次;字段见 preset show)")
    p.add_argument("--from", dest="source", metavar="FILE",
                   help="从文件读回修改:preset show --json 输出的 JSON,或 preset show --xlsx 写出的表格")

    p = command(group, "activate", cmd_activate, json=True, user=True, help="启用一个方案(同类方案只有一个在用)")
    p.add_argument("preset", metavar="ID", help="方案编号")


def _origin(entry: Entry) -> str:
    text = ORIGIN_NAMES[entry.origin] + (f"({entry.township})" if entry.township else "")
    return text + (f";乡镇({entry.prescribed_by})指定" if entry.prescribed_by else "")


def cmd_list(args) -> int:
    """Print every preset (of --kind) as a table or JSON. Returns the exit code."""
    with with_db(args, write=False) as session:
        entries = catalogue(session.db, args.kind)
    if args.json:
        emit_json([e.to_dict() for e in entries])
        return 0
    rows = [[ALL_KINDS[e.preset.kind], display_name(e.preset.name), e.preset.id, str(e.preset.version),
             e.preset.hash[:12], _origin(e), "在用" if e.active else ""] for e in entries]
    print(format_table(["类别", "名称", "编号", "版本", "校验码", "来源", "状态"], rows, 99))
    return 0


def _show_dict(entry: Entry) -> dict:
    p = entry.preset
    fields = [{"field": path, "label": label_of(p.kind, p.content, path), "help": f.help, "value": value}
              for path, f, value in editable_fields(p.kind, p.content)]
    return {**entry.to_dict(), "fields": fields, "content": p.content}


def cmd_show(args) -> int:
    """Print one preset's fields with their explanations (and write its sheet with --xlsx). Returns
    the exit code."""
    with with_db(args, write=False) as session:
        entry = find(session.db, args.preset)
    if args.xlsx:
        write_sheet(entry.preset, args.xlsx)
    if args.json:
        emit_json(_show_dict(entry))
        return 0
    p = entry.preset
    print(f"{display_name(p.name)}({ALL_KINDS[p.kind]})  编号 {p.id}  第 {p.version} 版  校验码 {p.hash}")
    print(f"来源:{_origin(entry)}{'  在用' if entry.active else ''}")
    print(f"依据:{readable(p.content.get('source', ''))}")
    if p.kind == CURRICULUM:
        lines = [[line.name, "  ".join(f"{g}年级 {format_band(line.hours[g])}" for g in sorted(line.hours))]
                 for line in preset_plan(p.content).lines]
        print(format_table(["科目", "每周课时"], lines, 9))
        print("课程计划按学校调整:在“课表”页点“课程计划…”,或用 schoolq timetable plan 查看本校执行的计划。")
    else:
        rows = [[label_of(p.kind, p.content, path), describe_value(f, value), path]
                for path, f, value in editable_fields(p.kind, p.content)]
        print(format_table(["项目", "数值", "字段"], rows, 9))
    if args.xlsx:
        print(f"已写出表格:{args.xlsx}")
    return 0


def cmd_copy(args) -> int:
    """Copy a preset under a new name. Returns the exit code."""
    with with_db(args, write=True) as session:
        preset = copy_preset(session.db, session.actor, args.preset, args.name)
        entry = find(session.db, preset.id)
    if args.json:
        emit_json(entry.to_dict())
    else:
        print(f"已复制为“{preset.name}”,编号 {preset.id};用 schoolq preset edit 修改,preset activate 启用。")
    return 0


def _set_changes(pairs: list[str]) -> dict[str, object]:
    changes: dict[str, object] = {}
    problems = []
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            problems.append(Problem(f"“{pair}”应写成 字段=数值,如 composite.mean=0.5。", field="set"))
            continue
        changes[field.strip()] = value.strip()
    if problems:
        raise ValidationError(problems)
    return changes


def cmd_edit(args) -> int:
    """Edit a copied preset from --set pairs or a JSON/xlsx file. Returns the exit code."""
    if bool(args.set) == bool(args.source):
        raise invalid("请用 --set 字段=数值 或 --from 文件 给出修改(二者选一)。", "set")
    with with_db(args, write=True) as session:
        before = find(session.db, args.preset).preset
        if args.source and Path(args.source).suffix.lower() == ".json":
            try:
                given = json.loads(Path(args.source).read_text(encoding="utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise invalid(f"“{Path(args.source).name}”不是有效的 JSON:{exc}", "from") from None
            after = edit_from_content(session.db, session.actor, args.preset, given)
            changes = None
        else:
            changes = read_changes(before, args.source) if args.source else _set_changes(args.set)
            after = edit_preset(session.db, session.actor, args.preset, changes)
        entry = find(session.db, f"{after.id}@{after.version}")
    if args.json:
        emit_json(entry.to_dict())
        return 0
    if after.version == before.version:
        print("没有改动。")
        return 0
    if changes is not None:
        print("\n".join(changes_text(before, changes)))
    print(f"已保存为第 {after.version} 版(校验码 {after.hash[:12]})" + (";该方案在用,新版本即时生效。" if entry.active else "。"))
    return 0


def cmd_activate(args) -> int:
    """Put a preset in force for its kind. Returns the exit code."""
    with with_db(args, write=True) as session:
        preset = activate(session.db, session.actor, args.preset)
        entry = find(session.db, f"{preset.id}@{preset.version}")
    if args.json:
        emit_json(entry.to_dict())
    else:
        print(f"“{ALL_KINDS[preset.kind]}”现在使用“{display_name(preset.name)}”(第 {preset.version} 版)。")
    return 0
