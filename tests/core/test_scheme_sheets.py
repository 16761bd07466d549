"""The filled item sheets of 篇20 (annual) and 篇10 (evaluation), stored per school and year: added
up and banded against numbers worked by hand, role-checked (the school self-assesses, the township
scores), imported all-or-nothing from xlsx with the bad cell named, printed, and carried down in
the township's config package."""
from __future__ import annotations

import json
import subprocess

import pytest
from openpyxl import Workbook

from app.cli import main
from app.db.database import open_database
from app.db.writes import SYSTEM, Actor, insert_row
from app.errors import PermissionDenied, ValidationError
from app.reports import write_report
from app.reports.scheme_sheets import build_annual, build_evaluation
from app.reports.targets import build_teacher_letter
from app.services import setup
from app.services.targets import list_targets, set_targets
from app.services.scheme_sheets import annual_rows, evaluation_rows, import_sheet, save_annual, save_evaluation, stored
from app.services.users import actor_for
from app.stats.annual import annual_scores
from app.stats.school_evaluation import evaluate

YEAR = "2026-2027"
# 篇20 for QSZ02, worked by hand:
#   班子: (10 × 1 + 5 × 0.8 + 3 × 0.6) ÷ 20 × 100 = 15.8 ÷ 20 × 100 = 79.0
#   群众: (120 × 1 + 40 × 0.8 + 20 × 0.6) ÷ 200 × 100 = 164 ÷ 200 × 100 = 82.0
#   满意度 = 79.0 × 30 % + 82.0 × 70 % = 23.7 + 57.4 = 81.1
#   绩效得分 = 85 × 60 % + 90 × 30 % + 81.1 × 10 % + 8 = 51 + 27 + 8.11 + 8 = 94.11 → 好
ANNUAL = {"school": "QSZ02", "index": 85.0, "dynamic": 90.0, "leaders_1": 10.0, "leaders_2": 5.0, "leaders_3": 3.0,
          "leaders_votes": 20.0, "others_1": 120.0, "others_2": 40.0, "others_3": 20.0, "others_votes": 200.0,
          "quality": 8.0, "politics": "好", "party": "好", "criticised": False, "incident": False}
# 篇10 self-assessment: every item of the shipped preset one point below its 满分 → 240 − 11 = 229 (达标);
# the township's scores, part by part: 15+15+15+10+10+5 = 70, 20+30+20 = 70, 10+10 = 20 → 160 (基本达标).
TOWNSHIP = [15, 15, 15, 10, 10, 5, 20, 30, 20, 10, 10]
MAXIMA = [20, 20, 20, 15, 15, 10, 30, 40, 30, 20, 20]


def _items(db, school: str, township: list | None = None) -> list[dict]:
    from app.stats.presets import resolve
    items = resolve(db, "school_evaluation", None)["items"]
    return [{"school": school, "part": i["part"], "item": i["name"], "max": float(i["max"]), "self": i["max"] - 1.0,
             "township": None if township is None else float(township[n])} for n, i in enumerate(items)]


def test_annual_sheet_is_stored_added_up_and_banded_as_worked_by_hand(demo_db):
    assert save_annual(demo_db, SYSTEM, YEAR, [ANNUAL]) == 1
    school = annual_scores(demo_db, annual_rows(demo_db, YEAR))["schools"][0]
    assert school["satisfaction"] == pytest.approx(81.1)
    assert school["score"] == pytest.approx(94.11) and school["band"] == "好"
    assert save_annual(demo_db, SYSTEM, YEAR, [{**ANNUAL, "criticised": True}]) == 1
    school = annual_scores(demo_db, annual_rows(demo_db, YEAR))["schools"][0]
    assert school["band"] == "较好" and "通报批评" in school["band_note"]
    assert save_annual(demo_db, SYSTEM, YEAR, [{**ANNUAL, "criticised": True}]) == 0, "unchanged: nothing written"
    audited = demo_db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'scheme_sheet'").fetchone()[0]
    assert audited == 2


def test_only_the_township_fills_the_annual_sheet_and_bad_values_write_nothing(demo_db):
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ02'").fetchone()[0]
    with pytest.raises(PermissionDenied, match="乡镇中心校填写"):
        save_annual(demo_db, Actor(username="x", role="school_admin", school_id=school_id), YEAR, [ANNUAL])
    with pytest.raises(ValidationError) as caught:
        save_annual(demo_db, SYSTEM, YEAR, [ANNUAL, {**ANNUAL, "school": "QSZ03", "index": 120.0, "party": "优秀"}])
    text = str(caught.value)
    assert "QSZ03 指标体系得分:“120.0”不是有效的分数" in text and "QSZ03 党建工作成效等次:等次“优秀”应为 好、较好、一般 或 差" in text
    assert stored(demo_db, "annual", YEAR) == []


def test_the_school_assesses_itself_and_the_township_scores_beside_it(demo_db):
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ02'").fetchone()[0]
    head = Actor(username="head", role="school_admin", school_id=school_id)
    save_evaluation(demo_db, head, YEAR, _items(demo_db, "QSZ02"))
    result = evaluate(demo_db, evaluation_rows(demo_db, YEAR))["schools"][0]
    assert (result["self_total"], result["self_band"], result["township_total"]) == (229, "达标", None)
    with pytest.raises(PermissionDenied, match="乡镇评分由乡镇中心校填写"):
        save_evaluation(demo_db, head, YEAR, _items(demo_db, "QSZ02", TOWNSHIP))
    save_evaluation(demo_db, SYSTEM, YEAR, _items(demo_db, "QSZ02", TOWNSHIP))
    result = evaluate(demo_db, evaluation_rows(demo_db, YEAR))["schools"][0]
    assert result["parts"]["过程性"]["township"] == 70 and result["parts"]["效益性"]["township"] == 70
    assert (result["township_total"], result["township_band"], result["difference"]) == (160, "基本达标", -69)
    # the school changes its self-assessment again: the township's scores stay
    lower = [{**row, "self": 0.0} for row in _items(demo_db, "QSZ02")]
    save_evaluation(demo_db, head, YEAR, lower)
    result = evaluate(demo_db, evaluation_rows(demo_db, YEAR))["schools"][0]
    assert (result["self_total"], result["self_band"], result["township_total"]) == (0, "不达标", 160)
    other = Actor(username="t", role="teacher", school_id=school_id, teacher_id="x")
    with pytest.raises(PermissionDenied):
        save_evaluation(demo_db, other, YEAR, lower)
    with pytest.raises(ValidationError, match="应为 0 到满分 20 之间"):
        save_evaluation(demo_db, SYSTEM, YEAR, [{**lower[0], "self": 21.0}])


def test_an_xlsx_sheet_is_imported_whole_or_refused_naming_sheet_row_and_column(demo_db, tmp_path):
    book = Workbook()
    ws = book.active
    ws.title = "评估"
    ws.append(["学校代码", "部分", "项目", "满分", "自评得分", "乡镇评分"])
    for row, score in zip(_items(demo_db, "QSZ03"), TOWNSHIP):
        ws.append([row["school"], row["part"] + "评估", row["item"], row["max"], row["self"], score])
    ws.append(["QSZ04", "过程性", "课程实施", 20, "十八", None])
    path = tmp_path / "评估表.xlsx"
    book.save(path)
    with pytest.raises(ValidationError) as caught:
        import_sheet(demo_db, SYSTEM, "evaluation", YEAR, path)
    assert "工作表“评估” 第 13 行 “自评得分”列" in str(caught.value)
    assert stored(demo_db, "evaluation", YEAR) == [], "nothing written"
    ws.delete_rows(13)
    book.save(path)
    assert import_sheet(demo_db, SYSTEM, "evaluation", YEAR, path) == 1
    result = evaluate(demo_db, evaluation_rows(demo_db, YEAR, None))["schools"][0]
    assert (result["school_code"], result["self_total"], result["township_total"]) == ("QSZ03", 229, 160)


def test_both_sheets_print_as_pdf_with_every_item(demo_db, tmp_path):
    # QSZ01 (中心校本部) as worked above, 94.11; QSZ02 ten points lower in 指标体系: 94.11 − 6 = 88.11;
    # 中心小学得分 = 94.11 × 60 % + 88.11 × 40 % = 56.466 + 35.244 = 91.71
    save_annual(demo_db, SYSTEM, YEAR, [{**ANNUAL, "school": "QSZ01"}, {**ANNUAL, "index": 75.0}])
    save_evaluation(demo_db, SYSTEM, YEAR, _items(demo_db, "QSZ02", TOWNSHIP))
    annual = build_annual(demo_db, YEAR)
    scores = annual.tables()[0]
    assert [row[5:7] for row in scores.rows] == [["94.1", "好"], ["88.1", "较好"]]
    assert "中心小学得分 91.7 = 校本部 94.1 × 60% + 辖区村级学校平均 88.1 × 40%(1 所)" in annual.sections[2].blocks[0].text
    sheet = build_evaluation(demo_db, YEAR, "QSZ02")
    items, parts = sheet.tables()[:2]
    assert [r[2] for r in items.rows] == [f"{m:g}" for m in MAXIMA] and [r[4] for r in items.rows] == [f"{t:g}" for t in TOWNSHIP]
    assert parts.rows[-1] == ["合计", "240", "229", "160"]
    for report in (annual, sheet):
        out = write_report(report, tmp_path / f"{report.kind}.pdf")
        assert out.read_bytes().startswith(b"%PDF")
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
        assert report.title in text.replace(" ", "")


def test_the_cli_imports_shows_and_refuses_in_chinese(demo_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    book = Workbook()
    ws = book.active
    ws.append(["学校代码", "指标体系得分", "动态考核得分", "班子满意", "班子较满意", "班子基本满意", "班子有效票数",
               "群众满意", "群众较满意", "群众基本满意", "群众有效票数", "教育质量得分", "政治素质等次", "党建等次"])
    ws.append(["QSZ02", 85, 90, 10, 5, 3, 20, 120, 40, 20, 200, 8, "好", "好"])
    path = tmp_path / "年度.xlsx"
    book.save(path)
    assert main(["item-sheet", "import", str(demo_path), "--kind", "annual", "--year", YEAR, str(path)]) == 0
    capsys.readouterr()
    assert main(["item-sheet", "show", str(demo_path), "--kind", "annual", "--year", YEAR, "--json"]) == 0
    school = json.loads(capsys.readouterr().out)["schools"][0]
    assert (school["school_code"], round(school["score"], 2), school["band"]) == ("QSZ02", 94.11, "好")
    assert main(["item-sheet", "print", str(demo_path), "--kind", "evaluation", "--year", YEAR, "--school", "QSZ02",
                 "--out", str(tmp_path / "x.pdf")]) == 2
    assert "还没有填写学校教学质量评估表" in capsys.readouterr().err


def _teacher(db, teacher_id: str) -> None:
    """The same teacher of 石门村小学 in the township's and the school's database (as a data package leaves it)."""
    school = db.execute("SELECT id FROM school WHERE code = 'S1234'").fetchone()[0]
    insert_row(db, SYSTEM, "teacher", {"id": teacher_id, "school_id": school, "staff_no": "S1234001", "name": "石老师",
                                       "gender": "女"})


def test_the_config_package_carries_the_sheets_and_a_teachers_target_down(demo_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    school_path = tmp_path / "S1234.sqlite"
    setup.init_school(school_path, code="S1234", name="石门村小学", type="完小", passphrase="demo", demo=True,
                      township_code="QSZ", township_name="青山镇").close()
    assert main(["keys", "export-public", str(school_path), "--out", str(tmp_path / "s.pem")]) == 0
    assert main(["township", "register", str(demo_path), "--school-code", "S1234", "--pubkey", str(tmp_path / "s.pem"),
                 "--name", "石门村小学", "--type", "完小"]) == 0
    school = open_database(school_path)
    _teacher(school, "teacher-s1234-001")
    school.close()
    township = open_database(demo_path)
    _teacher(township, "teacher-s1234-001")
    set_targets(township, actor_for(township), [{"school": "S1234", "teacher": "S1234001", "subject": "语文",
                                                 "metric": "平均分", "target": 85}])
    save_annual(township, actor_for(township), YEAR, [{**ANNUAL, "school": "S1234"}])
    save_evaluation(township, actor_for(township), YEAR, _items(township, "S1234", TOWNSHIP))
    township.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    capsys.readouterr()
    assert main(["township", "export-config", str(demo_path), "--out", str(usb), "--json"]) == 0
    package = json.loads(capsys.readouterr().out)["path"]
    assert main(["import-config", str(school_path), package, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "考核评估表 2 份" in out and "质量目标 1 条" in out
    school = open_database(school_path)
    try:
        annual = annual_scores(school, annual_rows(school, YEAR))["schools"][0]
        assert (round(annual["score"], 2), annual["band"]) == (94.11, "好")
        result = evaluate(school, evaluation_rows(school, YEAR))["schools"][0]
        assert (result["self_total"], result["township_total"], result["township_band"]) == (229, 160, "基本达标")
        target = list_targets(school)[0]
        assert (target["teacher_name"], target["subject"], target["target"]) == ("石老师", "语文", 85)
        assert build_teacher_letter(school, "S1234001").tables()[0].rows[0][:3] == ["石老师(教师)语文", "平均分", "85.0"]
    finally:
        school.close()
