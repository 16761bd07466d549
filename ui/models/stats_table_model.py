"""Tables of the 质量分析 page: group figures (n always shown, rates as percentages, 样本过小 rows
in grey), pupil lists, value-added with its interval, and the 平行编班 check.

The rows come straight from app.stats; these are only the columns that show them.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from app.stats.vocabulary import SMALL_SAMPLE, format_figure, grades_text, label, rank_text, value_added_verdict
from app.validation.classnames import GRADE_NAMES
from ui.models.table_model import (Column, ModelIndex, SnapshotTableModel, field_text, flag_text,
                                    school_column)

MUTED_BACKGROUND = QColor("#e6e6e6")
MUTED_TEXT = QColor("#6b6b6b")
FLAG_TEXT = QColor("#b3261e")


def grade_text(grade: int | None) -> str:
    """Return '三年级' for 3 and '全部年级' for None."""
    return "全部年级" if grade is None else GRADE_NAMES.get(grade, f"{grade}年级")


def number_text(value: float | None, digits: int = 2) -> str:
    """Return `value` with `digits` decimals, trailing zeros kept ('' for None)."""
    return "" if value is None else f"{value:.{digits}f}"


def _num(key: str, title: str, digits: int = 2, sample: str = "100.00") -> Column:
    return Column(key, title, lambda r: number_text(r.get(key), digits),
                  lambda r: (r.get(key) is None, r.get(key) or 0), centered=True, sample=sample)


def _count(key: str, title: str) -> Column:
    return Column(key, title, field_text(key), lambda r: r.get(key) or 0, centered=True, sample="100")


def _figure(key: str) -> Column:
    """Return the column of figure `key` as the one figure table names and formats it."""
    return Column(key, label(key), lambda r: "" if r.get(key) is None else format_figure(key, r.get(key)),
                  lambda r: (r.get(key) is None, r.get(key) or 0), centered=True,
                  sample=max(label(key), "100.0%", key=len))


def _grade_column() -> Column:
    return Column("grade", "年级", lambda r: grade_text(r.get("grade")), lambda r: r.get("grade") or 0,
                  centered=True, sample="全部年级")


def stats_columns(level: str, *, ranks: bool, schools: bool, graded: bool = False) -> list[Column]:
    """Return the columns of the figures table at `level` (class / grade / school / township); with
    `ranks` the 名次 column; with `schools` (several schools shown) the 学校 column; with `graded`
    (a subject assessed by grade is shown) the 等级分布 column."""
    columns: list[Column] = []
    if level == "township":
        columns.append(Column("township_name", "乡镇", field_text("township_name"), sample="青山镇"))
    elif schools or level == "school":
        columns.append(school_column())
    if level != "school":
        columns.append(_grade_column())
    if level == "class":
        columns.append(Column("class_name", "班级", field_text("class_name"), sample="三四年级复式班"))
    columns += [
        Column("subject", "学科", field_text("subject"), lambda r: r.get("subject_order", 0), sample="道德与法治"),
        *(_figure(k) for k in ("n_roster", "n_sat", "n_absent", "n_exempt", "n", "mean", "sd", "median", "max",
                               "min", "excellent_rate", "pass_rate", "low_rate", "composite")),
        Column("small_sample", SMALL_SAMPLE, flag_text("small_sample"), lambda r: not r.get("small_sample"),
               centered=True, sample=SMALL_SAMPLE),
    ]
    if graded:
        columns.append(Column("grades", label("grades"), lambda r: grades_text(r["grades"]) if r.get("grades") else "",
                              centered=True, sample="优秀 12 · 良好 20 · 合格 3 · 待提高 1"))
    if ranks:
        columns.append(Column("rank", label("rank"), rank_text, lambda r: (r.get("rank") is None, r.get("rank") or 0),
                              centered=True, sample="不排名"))
    return columns


def _pupil_columns(schools: bool) -> list[Column]:
    columns = [school_column()] if schools else []
    return columns + [
        Column("class_name", "班级", field_text("class_name"), sample="三四年级复式班"),
        Column("student_no", "学籍号", field_text("student_no"), sample="G433127202005234193"),
        Column("name", "姓名", field_text("name"), sample="欧阳中中"),
        Column("gender", "性别", field_text("gender"), centered=True, sample="性别"),
    ]


def list_columns(kind: str, *, schools: bool) -> list[Column]:
    """Return the columns of a pupil list: borderline (临界生), struggling (学困生), risers or
    fallers (进步 / 退步最大)."""
    columns = _pupil_columns(schools)
    if kind == "borderline":
        return columns + [
            Column("subject", "学科", field_text("subject"), sample="道德与法治"),
            _num("score", "成绩", 1, "100.0"),
            Column("line", "临近", field_text("line"), centered=True, sample="优秀线"),
            _num("cut", "分数线", 1, "分数线"),
            _num("gap", "还差(分)", 1, "还差(分)"),
        ]
    if kind == "struggling":
        return columns + [
            Column("subjects_now", "本次未及格的主科", lambda r: "、".join(r["subjects_now"]), sample="语文、数学、英语"),
            Column("subjects_before", "上次未及格的主科", lambda r: "、".join(r["subjects_before"]),
                   sample="语文、数学、英语"),
        ]
    return columns + [
        _grade_column(),
        _num("change", "变化(标准差)", 2, "变化(标准差)"),
        _num("z_then", "上次 z 分", 2, "上次 z 分"),
        _num("z_now", "本次 z 分", 2, "本次 z 分"),
        _count("subjects", "学科数"),
    ]


def interval_text(row: dict) -> str:
    """Return the 95 % interval as '[-0.14, 0.12]' ('' when there is none)."""
    if row.get("ci_low") is None or row.get("ci_high") is None:
        return ""
    return f"[{row['ci_low']:.2f}, {row['ci_high']:.2f}]"


def value_added_columns(by: str, *, schools: bool) -> list[Column]:
    """Return the columns of the value-added table, per class (by='class') or teacher."""
    columns = [school_column()] if schools else []
    if by == "class":
        columns += [_grade_column(), Column("class_name", "班级", field_text("class_name"), sample="三四年级复式班")]
    else:
        columns += [Column("teacher_name", "教师", field_text("teacher_name"), sample="欧阳中中"),
                    Column("classes", "任教班级", lambda r: "、".join(r["classes"]), sample="六(1)班、六(2)班")]
    return columns + [
        Column("subject", "学科", field_text("subject"), sample="道德与法治"),
        _count("n", "人数"),
        _num("value_added", label("value_added"), 2, label("value_added")),
        Column("interval", "95% 区间", interval_text, lambda r: r.get("ci_low") or 0, centered=True,
               sample="[-0.14, -0.12]"),
        Column("verdict", "结论", value_added_verdict, centered=True, sample="与预期相当"),
        Column("small_sample", "样本过小", flag_text("small_sample"), lambda r: not r.get("small_sample"),
               centered=True, sample="样本过小"),
    ]


def balance_columns(*, schools: bool) -> list[Column]:
    """Return the columns of the 平行编班 check: one row per class, its grade's spread and verdict."""
    columns = [school_column()] if schools else []
    return columns + [
        _grade_column(),
        Column("class_name", "班级", field_text("class_name"), sample="三四年级复式班"),
        _count("n", "人数"), _count("boys", "男"), _count("girls", "女"),
        _num("mean", "平均(占满分%)", 1, "平均(占满分%)"),
        _num("sd", "标准差", 1, "标准差"),
        _num("mean_spread", "班级均分差", 1, "班级均分差"),
        _num("sd_spread", "标准差之差", 1, "标准差之差"),
        Column("verdict", "结论", field_text("verdict"), sample="中" * 20),
    ]


class StatsTableModel(SnapshotTableModel):
    """A snapshot table whose 样本过小 rows are grey and whose flagged rows (row['flagged']) are red."""

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return the cell data, with grey background for small samples and red text for flags."""
        if index.isValid() and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            row = self.row_data(index.row())
            if row.get("small_sample"):
                return QBrush(MUTED_BACKGROUND if role == Qt.ItemDataRole.BackgroundRole else MUTED_TEXT)
            if row.get("flagged") and role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(FLAG_TEXT)
            return None
        return super().data(index, role)
