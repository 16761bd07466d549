"""A preset as an .xlsx sheet people fill in WPS/Excel, and the sheet read back as changes.

Sheet 方案 lists the editable fields (app.preset_fields): 项目 (the Chinese name), 说明, 取值范围,
数值 (the value to change) and 字段 (the field's path, grey, last — the program matches rows by
it). Sheet 说明 names the preset, its version, hash and source. `read_changes` returns the rows
whose 数值 differs from the preset, to give to app.preset_store.edit_preset; any row it cannot read is
a problem naming the sheet, row and column, and then nothing is changed.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from app.errors import Problem, ValidationError
from app.importing.workbook import read_tables
from app.preset_fields import describe_value, editable_fields, field_of, label_of, parse_value
from app.preset_names import display_name, readable
from app.presets import Preset

HEADERS = ("项目", "说明", "取值范围", "数值", "字段")
_SYNONYMS = {"label": ["项目"], "value": ["数值"], "path": ["字段"]}


def _range_text(field) -> str:
    if field.choices:
        return ";".join(f"{word}={meaning}" for word, meaning in field.choices)
    kind = "整数" if field.integer else "数"
    return f"{field.low:g} 到 {field.high:g} 的{kind}"


def write_sheet(preset: Preset, path: str | Path) -> Path:
    """Write the editable fields of `preset` to an .xlsx workbook at `path`; return the path."""
    path = Path(path)
    book = Workbook()
    sheet = book.active
    sheet.title = "方案"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
    sheet["E1"].fill = PatternFill("solid", fgColor="9AA7B4")
    for field_path, field, value in editable_fields(preset.kind, preset.content):
        sheet.append([label_of(preset.kind, preset.content, field_path), field.help, _range_text(field),
                      value, field_path])
    for column, width in zip("ABCDE", (40, 48, 26, 10, 28)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    about = book.create_sheet("说明")
    for row in (("方案", display_name(preset.name)), ("版本", preset.version), ("校验码", preset.hash),
                ("依据", readable(preset.content.get("source", ""))),
                ("用法", "只改“数值”一列,保存后用“导入修改”或 schoolq preset edit --from 读回;其余列不要改动。")):
        about.append(list(row))
    about.column_dimensions["A"].width = 10
    about.column_dimensions["B"].width = 100
    for row in about.iter_rows():
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)
    return path


def read_changes(preset: Preset, path: str | Path) -> dict[str, object]:
    """Return {field path: new value} of the rows of the sheet at `path` whose 数值 differs from the
    preset's. Raises ValidationError naming sheet, row and column (unknown field, empty value, a field
    twice), NotAWorkbook, FileNotFoundError."""
    tables = read_tables(path, _SYNONYMS, required=("value", "path"))
    problems = list(tables.problems)
    current = {p: v for p, _, v in editable_fields(preset.kind, preset.content)}
    changes: dict[str, object] = {}
    seen: set[str] = set()
    for table in tables.tables:
        for row in table.rows:
            field_path = str(row.values.get("path") or "").strip()
            value = row.values.get("value")
            sheet, number = table.sheet, row.row
            if not field_path and value is None:
                continue
            field = field_of(preset.kind, field_path)
            if field_path not in current or field is None:
                problems.append(Problem(f"“{field_path}”不是这个方案中可以修改的项目(“字段”列请不要改动)。",
                                        column=table.column("path"), sheet=sheet, row=number))
                continue
            if field_path in seen:
                problems.append(Problem(f"“{field_path}”出现了两次。", column=table.column("path"), sheet=sheet, row=number))
                continue
            seen.add(field_path)
            if value is None or str(value).strip() == "":
                problems.append(Problem("数值为空;不想改的项目请保留原来的数值。", column=table.column("value"), sheet=sheet, row=number))
                continue
            parsed, reason = parse_value(field, value, label_of(preset.kind, preset.content, field_path))
            if reason:
                problems.append(Problem(reason, column=table.column("value"), sheet=sheet, row=number))
            elif parsed != current[field_path]:
                changes[field_path] = parsed
    if problems:
        raise ValidationError(problems)
    return changes


def changes_text(preset: Preset, changes: dict[str, object]) -> list[str]:
    """Return one line per change: the field's Chinese name, the old and the new value."""
    current = {p: (f, v) for p, f, v in editable_fields(preset.kind, preset.content)}
    lines = []
    for field_path, value in changes.items():
        if field_path == "name":
            lines.append(f"方案名称:{preset.name} → {value}")
            continue
        field, old = current[field_path]
        lines.append(f"{label_of(preset.kind, preset.content, field_path)}:{describe_value(field, old)} → {value}")
    return lines
