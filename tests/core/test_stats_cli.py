"""`schoolq stats --json`: the record of one demo class recomputed from the marks with plain SQL."""
from __future__ import annotations

import json
import statistics

import pytest

from app.cli import main

KEYS = {"school_code", "grade", "class_name", "subject", "n_roster", "n_sat", "n_absent", "n_exempt", "mean", "sd",
        "median", "max", "min", "pass_rate", "excellent_rate", "low_rate", "bands", "composite", "small_sample"}


def _midterm(path, capsys):
    assert main(["exam", "list", str(path), "--json"]) == 0
    return next(e for e in json.loads(capsys.readouterr().out) if e["type"] == "统考")


def test_stats_json_for_one_class_matches_the_marks(demo_path, demo_db, capsys):
    exam = _midterm(demo_path, capsys)
    assert main(["stats", str(demo_path), "--exam", exam["id"], "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert all(KEYS <= set(r) for r in records)
    record = next(r for r in records if r["school_code"] == "QSZ02" and r["class_name"] == "四(1)班"
                  and r["subject"] == "英语")
    marks = demo_db.execute(
        "SELECT m.status, m.score FROM mark m JOIN subject s ON s.id = m.subject_id JOIN class c ON c.id = m.class_id"
        " JOIN school sc ON sc.id = m.school_id WHERE m.exam_id = ? AND sc.code = 'QSZ02' AND c.name = '四(1)班'"
        " AND s.name = '英语'", [exam["id"]]).fetchall()
    statuses = [m[0] for m in marks]
    # The midterm uses the roster policy: 缺考 and 作弊 count as 0, 免考 is left out.
    values = [score if status == "正常" else 0.0 for status, score in marks if status != "免考"]
    n = len(values)
    assert (record["n_roster"], record["n_absent"], record["n_exempt"]) == \
        (len(marks), statuses.count("缺考"), statuses.count("免考"))
    assert record["n_sat"] == statuses.count("正常") + statuses.count("作弊")
    assert record["grade"] == 4
    assert record["mean"] == pytest.approx(statistics.mean(values))
    assert record["sd"] == pytest.approx(statistics.pstdev(values))
    assert record["median"] == pytest.approx(statistics.median(values))
    assert (record["max"], record["min"]) == (max(values), min(values))
    assert record["pass_rate"] == pytest.approx(sum(v >= 60 for v in values) / n)
    assert record["excellent_rate"] == pytest.approx(sum(v >= 85 for v in values) / n)
    assert record["low_rate"] == pytest.approx(sum(v < 40 for v in values) / n)
    assert record["bands"] == [sum(min(9, int(v // 10)) == b for v in values) for b in range(10)]
    assert record["small_sample"] == (n < 10)
    assert 0 <= record["composite"] <= 100


def test_levels_and_human_output(demo_path, capsys):
    exam = _midterm(demo_path, capsys)
    assert main(["stats", str(demo_path), "--exam", exam["name"], "--level", "grade", "--json"]) == 0
    grade = json.loads(capsys.readouterr().out)
    assert all(r["class_name"] is None and r["grade"] is not None for r in grade)
    assert main(["stats", str(demo_path), "--exam", exam["id"], "--level", "township", "--json"]) == 0
    township = json.loads(capsys.readouterr().out)
    assert {r["school_code"] for r in township} == {None}
    assert main(["stats", str(demo_path), "--exam", exam["id"], "--level", "school", "--subject", "数学"]) == 0
    out = capsys.readouterr().out
    assert "平均分" in out and "及格率" in out and "青山镇中心小学" in out and "按应考人数" in out
    assert main(["stats", str(demo_path), "--exam", exam["id"], "--subject", "英语", "--grade", "3"]) == 0
    assert "样本过小" in capsys.readouterr().out


def test_unknown_exam_is_a_chinese_error(demo_path, capsys):
    assert main(["stats", str(demo_path), "--exam", "没有这次考试"]) == 2
    assert "找不到考试" in capsys.readouterr().err
