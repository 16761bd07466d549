"""What users read instead of preset ids, hashes and seed-file numbers."""
from __future__ import annotations

from app.preset_names import basis_name, display_name, readable


def test_recorded_bases_become_the_presets_chinese_names():
    assert basis_name("curriculum-zhejiang-2023@1#c543be01") == "浙江省义务教育课程设置(2023年版)"
    assert basis_name("workload-default@1#0123abcd") == "教师工作量系数与标准(默认)"
    assert basis_name("plan:1a2b3c4d(curriculum-zhejiang-2023@1)") == "本校课程计划(以“浙江省义务教育课程设置(2023年版)”为底)"
    assert basis_name("township-000-7@1#ffff0000") == "乡镇质量检测单科成绩"
    assert basis_name("不是依据") == "不是依据"


def test_seed_numbers_are_written_as_the_document_people_know():
    assert display_name("中心小学得分(000 篇20)") == "中心小学得分"
    text = readable("“带足节次”(000 篇7),平衡(001);种子 003 要求七个环节;000 篇13、篇15")
    assert text == ("“带足节次”(《提升教育教学质量实施方案》篇7),平衡(政策文件);政策文件要求七个环节;"
                    "《提升教育教学质量实施方案》篇13、篇15")
    assert "000" not in text


def test_stored_utc_times_are_shown_in_local_time_to_the_minute(monkeypatch):
    import time

    from app.timestamps import shown

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert shown("2026-12-07T00:12:25+00:00") == "2026-12-07 08:12"
        assert shown(None) == "" and shown("昨天") == "昨天"
    finally:
        monkeypatch.undo()
        time.tzset()
