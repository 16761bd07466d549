"""Written findings from hand-made figures: the sentences a reader sees, the thresholds, and that
groups below the minimum size are never compared or ranked and are named as such."""
from __future__ import annotations

from app.reports import findings


def _group(grade, code, subject, n, mean, pass_rate, small=False, **extra):
    return {"grade": grade, "subject_code": code, "subject": subject, "n": n, "mean": mean, "pass_rate": pass_rate,
            "full_marks": 100.0, "small_sample": small, **extra}


def test_pass_rate_against_last_time_and_the_township():
    maths = _group(3, "sx", "数学", 40, 70.0, 0.60)
    chinese = _group(3, "yw", "语文", 40, 80.0, 0.90)
    tiny = _group(4, "sx", "数学", 6, 40.0, 0.20, small=True)
    township = {(3, "sx"): {"pass_rate": 0.70}, (3, "yw"): {"pass_rate": 0.88}, (4, "sx"): {"pass_rate": 0.80}}
    progress = {(3, "sx"): {"small_sample": False, "current": {"pass_rate": 0.60}, "baseline": {"pass_rate": 0.725}}}
    lines = findings.pass_rate_findings([maths, chinese, tiny], township, progress)
    # 60 % now, 72.5 % last time (same pupils), 70 % in the township: both differences are worth saying;
    # 语文 differs by 2 points only; the small group is not compared at all.
    assert lines == ["三年级数学及格率 60.0%,较上次下降 12.5 个百分点,低于全乡同年级平均(70.0%)10.0 个百分点。"]


def test_small_groups_are_named_and_not_ranked():
    groups = [_group(2, "yw", "语文", 6, 90.0, 1.0, small=True, label="二(1)班语文"),
              _group(2, "sx", "数学", 40, 60.0, 0.5)]
    note = findings.small_sample_note(groups, min_size=10)
    assert note == "二(1)班语文(6 人)少于 10 人(样本过小),只列出数字,不作比较,也不参加排名。"
    assert findings.small_sample_note([groups[1]]) is None
    # the best mean belongs to the small class: it is left out, and the sentence says so
    classes = [_group(3, "sx", "数学", 5, 95.0, 1.0, small=True, class_name="三(3)班"),
               _group(3, "sx", "数学", 40, 80.0, 0.9, class_name="三(1)班"),
               _group(3, "sx", "数学", 38, 70.0, 0.7, class_name="三(2)班")]
    assert findings.class_spread_findings(classes) == [
        "三年级数学各班平均分差距较大:三(1)班 80.0 分,三(2)班 70.0 分,相差 10.0 分(1 个班样本过小,未参加比较)。"]


def test_progress_names_best_and_worst_without_small_groups():
    records = [{"label": "甲校", "progress": 2.5, "small_sample": False},
               {"label": "乙校", "progress": -6.0, "small_sample": False},
               {"label": "丙点", "progress": 9.0, "small_sample": True}]
    lines = findings.progress_findings(records, "label", "上学期期末")
    assert lines[0] == "与上学期期末相比,进步值最高的是甲校(+2.5),最低的是乙校(-6.0)。"
    assert "乙校(-6.0)" in lines[1] and "质量预警" in lines[1]
    assert lines[2] == "另有 1 个组样本过小,未参加进步值比较。"
    assert not any("丙点" in line for line in lines)


def test_value_added_only_when_the_interval_excludes_zero():
    records = [{"class_name": "四(1)班", "subject": "数学", "n": 40, "value_added": 0.30, "ci_low": 0.10,
                "ci_high": 0.50, "small_sample": False},
               {"class_name": "四(2)班", "subject": "数学", "n": 40, "value_added": 0.05, "ci_low": -0.15,
                "ci_high": 0.25, "small_sample": False},
               {"class_name": "四(3)班", "subject": "数学", "n": 6, "value_added": 0.9, "ci_low": 0.2,
                "ci_high": 1.6, "small_sample": True}]
    assert findings.value_added_findings(records) == [
        "四(1)班数学增值 +0.30 个标准差(95% 区间 +0.10 至 +0.50,40 人),明显高于按前次成绩预期的水平。"]


def test_comparison_with_references():
    own = [_group(3, "sx", "数学", 40, 78.0, 0.95), _group(3, "yw", "语文", 40, 71.0, 0.80),
           _group(3, "kx", "科学", 4, 99.0, 1.0, small=True)]
    refs = {"本校同年级": {"sx": {"mean": 72.0, "pass_rate": 0.85}, "yw": {"mean": 70.0, "pass_rate": 0.82}},
            "全乡同年级": {"sx": {"mean": 70.0, "pass_rate": 0.80}, "yw": {"mean": 69.0, "pass_rate": 0.79}}}
    assert findings.comparison_findings(own, refs) == [
        "数学平均分 78.0,及格率 95.0%:比本校同年级高 6.0 分,及格率高于本校同年级 10.0 个百分点,"
        "比全乡同年级高 8.0 分,及格率高于全乡同年级 15.0 个百分点。",
        "科学(4 人)人数过少(样本过小),只列数字,不作比较。"]
