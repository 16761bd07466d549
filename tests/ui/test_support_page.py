"""The 学生帮扶 page on the demo township: the seeded term shows, a teacher records tutoring only for
their own class and subject and makes only their own tutoring list with one click, a 双困生 is
flagged, and the routine check's 辅 link shows a teacher's tutoring records."""
from __future__ import annotations

import os

import pytest
import shiboken6

from app.db.database import open_database
from app.services.users import login
from app.support.conversion import conversion
from ui.pages.support_dialogs import DifficultyDialog, TeacherTutoringDialog, TutoringDialog
from ui.pages.support_page import SupportPage
from ui.pages.workload_page import WorkloadPage
from ui.session import Session
from ui_helpers import column_texts, when_modal

SHOTS = os.environ.get("SCHOOLQ_SCREENSHOTS")


def _page(path, user, tasks, qtbot, cls=SupportPage):
    db = open_database(path)
    session = Session(path, db, login(db, user, "demo"), tasks)
    page = cls(session)
    page.resize(1300, 760)
    page.show()
    qtbot.waitExposed(page)
    return page


@pytest.fixture
def admin_page(demo_path, tasks, boxes, qapp, qtbot):
    page = _page(demo_path, "admin", tasks, qtbot)
    yield page
    page.close()
    db = page.session.db
    shiboken6.delete(page)
    db.close()


@pytest.fixture
def teacher_page(demo_path, tasks, boxes, qapp, qtbot):
    page = _page(demo_path, "laoshi", tasks, qtbot)
    yield page
    page.close()
    db = page.session.db
    shiboken6.delete(page)
    db.close()


def test_the_seeded_term_shows_on_every_tab(admin_page):
    page, db = admin_page, admin_page.session.db
    assert page.page_title() == "学生帮扶"
    assert page.exam_combo.currentText() == "2026—2027学年第一学期期中统考"
    assert len(column_texts(page.plan_table, "学生")) == db.execute("SELECT COUNT(*) FROM tutoring_plan").fetchone()[0]
    assert len(column_texts(page.tutoring_table, "日期")) == db.execute("SELECT COUNT(*) FROM tutoring").fetchone()[0]
    assert len(column_texts(page.difficulty_table, "学生")) == \
        db.execute("SELECT COUNT(*) FROM pupil_difficulty").fetchone()[0] > 0
    found = conversion(db, page.exam_combo.currentData())
    # 转化 is read when its tab is first shown (every listed pupil's marks: seconds on a county)
    assert "学困生" not in page.conversion_label.text()
    page.tabs.setCurrentWidget(page.conversion_tab)
    assert f"学困生 {found['listed']} 人" in page.conversion_label.text()
    assert "还没有下一次统测" in page.conversion_label.text()
    # At the township, one row per school; its 学困生 add up to the exam's list.
    listed = [int(n) for n in column_texts(page.school_table, "学困生")]
    assert len(listed) == 6 and sum(listed) == found["listed"]
    # Over every school, the pupils' and teachers' rows name their school.
    names = {row[0] for row in db.execute("SELECT name FROM school")}
    shown = column_texts(page.pupil_table, "学校")
    assert len(shown) == found["listed"] and set(shown) <= names and "" not in shown
    # No next 统测 yet: no teacher shows 0 converted.
    assert set(column_texts(page.teacher_table, "已转化")) == {""}
    if SHOTS:
        for index in range(page.tabs.count()):
            page.tabs.setCurrentIndex(index)
            page.grab().save(os.path.join(SHOTS, f"support_tab{index}.png"))


def _laoshi(db):
    teacher_id = db.execute("SELECT teacher_id FROM app_user WHERE username = 'laoshi'").fetchone()[0]
    own = db.execute("SELECT c.name, sj.name FROM teaching_assignment a JOIN class c ON c.id = a.class_id"
                     " JOIN subject sj ON sj.id = a.subject_id JOIN term t ON t.id = a.term_id"
                     " WHERE a.teacher_id = ? ORDER BY c.name LIMIT 1", [teacher_id]).fetchone()
    other = db.execute("SELECT c.name FROM class c WHERE c.school_id = (SELECT school_id FROM teacher WHERE id = ?)"
                       " AND c.id NOT IN (SELECT class_id FROM teaching_assignment WHERE teacher_id = ?)"
                       " AND c.academic_year_id = (SELECT academic_year_id FROM term WHERE code = '2026-2027-1')"
                       " LIMIT 1", [teacher_id, teacher_id]).fetchone()[0]
    return teacher_id, own, other


def test_a_teacher_records_tutoring_only_for_their_own_class(teacher_page, boxes):
    page, db = teacher_page, teacher_page.session.db
    teacher_id, (own_class, subject), other_class = _laoshi(db)
    before = db.execute("SELECT COUNT(*) FROM tutoring").fetchone()[0]
    seen = {}

    def fill(dialog):
        assert isinstance(dialog, TutoringDialog)
        assert not dialog.teacher.isEnabled() and dialog.teacher.currentData() == teacher_id
        dialog.date.setText("2026-11-13")
        dialog.subject.setCurrentIndex(dialog.subject.findText(subject))
        dialog.cls.setCurrentIndex(dialog.cls.findText(other_class))
        dialog.tick([dialog.pupils.item(0).text()])
        dialog.content.setText("订正期中试卷错题")
        dialog.save()                                   # another teacher's class: refused, the dialog stays
        seen["refused"] = list(boxes.texts("critical") + boxes.texts("warning"))
        dialog.cls.setCurrentIndex(dialog.cls.findText(own_class))
        dialog.tick([dialog.pupils.item(0).text(), dialog.pupils.item(1).text()])
        seen["names"] = [dialog.pupils.item(0).text(), dialog.pupils.item(1).text()]
        if SHOTS:
            dialog.grab().save(os.path.join(SHOTS, "support_tutoring_dialog.png"))
        dialog.save()

    errors = when_modal(fill)
    page.record_tutoring()
    assert not errors, errors
    assert any("只能为自己本学期任教班级" in text for text in seen["refused"])
    assert db.execute("SELECT COUNT(*) FROM tutoring").fetchone()[0] == before + 1
    newest = column_texts(page.tutoring_table, "学生")
    assert "、".join(seen["names"]) in newest


def test_one_click_makes_the_teachers_own_list(teacher_page):
    page, db = teacher_page, teacher_page.session.db
    teacher_id, _own, _other = _laoshi(db)
    db.execute("DELETE FROM tutoring_plan")  # as before the first click of the term
    page.borderline_box.setChecked(True)
    page.make_lists()
    names = db.execute("SELECT DISTINCT teacher_id FROM tutoring_plan").fetchall()
    assert names == [(teacher_id,)]
    # A teacher sees only their own tutoring records and 转化 figures.
    own = db.execute("SELECT name FROM teacher WHERE id = ?", [teacher_id]).fetchone()[0]
    assert set(column_texts(page.tutoring_table, "教师")) == {own}
    assert set(column_texts(page.teacher_table, "教师")) <= {own}
    assert "新加入帮扶名单" in page.status.text()
    assert set(column_texts(page.plan_table, "名单")) <= {"学困生", "临界生"} and column_texts(page.plan_table, "名单")


def test_flag_a_pupil_and_see_the_class_share(admin_page, boxes):
    page, db = admin_page, admin_page.session.db
    page.school_combo.setCurrentIndex(page.school_combo.findText("青山镇中心小学"))
    before = db.execute("SELECT COUNT(*) FROM pupil_difficulty").fetchone()[0]

    def fill(dialog):
        assert isinstance(dialog, DifficultyDialog)
        dialog.date.setText("2026-11-10")
        dialog.save()                                   # no reason: refused under its field
        assert dialog.form.error_text("reason")
        dialog.reason.setText("父母离异,随祖父生活,作业常不完成")
        while db.execute("SELECT 1 FROM pupil_difficulty WHERE pupil_id = ?",
                         [dialog.pupil.currentData()]).fetchone():
            dialog.pupil.setCurrentIndex(dialog.pupil.currentIndex() + 1)
        dialog.save()

    errors = when_modal(fill)
    page.flag_pupil()
    assert not errors, errors
    assert db.execute("SELECT COUNT(*) FROM pupil_difficulty").fetchone()[0] == before + 1
    assert "父母离异,随祖父生活,作业常不完成" in column_texts(page.difficulty_table, "认定原因")


def test_the_routine_checks_fu_link_shows_the_tutoring_records(demo_path, tasks, boxes, qapp, qtbot):
    page = _page(demo_path, "admin", tasks, qtbot, WorkloadPage)
    try:
        db = page.session.db
        teacher, name, count, minutes = db.execute(
            "SELECT t.id, t.name, COUNT(*), SUM(g.minutes) FROM tutoring g JOIN teacher t ON t.id = g.teacher_id"
            " GROUP BY t.id ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
        page.tabs.setCurrentIndex(2)
        row = column_texts(page.routine_table, "姓名").index(name)
        page.routine_table.selectRow(row)
        seen = {}

        def look(dialog):
            assert isinstance(dialog, TeacherTutoringDialog)
            seen["summary"] = dialog.summary.text()
            seen["rows"] = len(column_texts(dialog.table, "日期"))
            if SHOTS:
                dialog.grab().save(os.path.join(SHOTS, "support_fu_link.png"))
            dialog.accept()

        errors = when_modal(look)
        page.show_tutoring()
        assert not errors, errors
        assert seen["rows"] == count and f"辅导 {count} 次,共 {minutes} 分钟" in seen["summary"]
    finally:
        page.close()
        db = page.session.db
        shiboken6.delete(page)
        db.close()


def test_pupil_record_page_and_its_parents_copy(demo_path, tasks, boxes, qapp, qtbot, tmp_path):
    from app.support.pupil_record import pupil_record
    from ui.dialogs.pupil_record_dialog import PupilRecordDialog

    db = open_database(demo_path)
    try:
        session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
        pupil_id = db.execute("SELECT tp.pupil_id FROM tutoring_pupil tp JOIN pupil_difficulty d"
                              " ON d.pupil_id = tp.pupil_id GROUP BY tp.pupil_id ORDER BY COUNT(*) DESC LIMIT 1"
                              ).fetchone()[0]
        record = pupil_record(db, pupil_id)
        dialog = PupilRecordDialog(session, pupil_id)
        dialog.show()
        qtbot.waitExposed(dialog)
        marks = sum(len(e["subjects"]) for e in record["exams"])
        assert len(column_texts(dialog.marks_table, "考试")) == marks and len(record["exams"]) == 3
        assert "双困生" in dialog.heading.text() and record["pupil"]["name"] in dialog.heading.text()
        assert len(column_texts(dialog.tutoring_table, "日期")) == len(record["tutoring"]) > 0
        assert dialog.chart.data is not None and len(dialog.chart.data.labels) == 3
        if SHOTS:
            for index in range(dialog.tabs.count()):
                dialog.tabs.setCurrentIndex(index)
                dialog.grab().save(os.path.join(SHOTS, f"pupil_record_tab{index}.png"))
        # What prints is the records preset's choice, said in words beside the button.
        assert "成绩、成绩走势图、辅导记录" in dialog.print_note.text() and "作业、家访、集体备课与学业档案要求" \
            in dialog.print_note.text()
        assert "可在“评分方案”页更换或修改" in dialog.print_note.text()
        assert len(column_texts(dialog.visits_table, "日期")) == len(record["visits"])
        path = dialog.write(tmp_path / "档案.pdf")
        assert path.stat().st_size > 10_000
        dialog.close()
        shiboken6.delete(dialog)
    finally:
        db.close()


def test_the_township_sees_the_care_groups_results_beside_the_rest(admin_page):
    """The township's view of 留守/寄宿/随迁/残疾 results: one row per main subject and group, the
    group's mean beside the others' (worked from the marks in SQL here), a small group only counted."""
    page, db = admin_page, admin_page.session.db
    tab = page.care_tab
    assert page.tabs.tabText(page.tabs.indexOf(tab)) == "留守等群体成绩"
    page.tabs.setCurrentWidget(tab)  # read when first shown
    exam_id = page.exam_combo.currentData()
    from app.stats.presets import active_preset
    least = int(active_preset(db, "quality")["min_group_size"])
    assert "全乡" in tab.heading.text() and f"人数少于 {least} 的群体只列人数" in tab.heading.text()
    rows = {(s, g): i for i, (s, g) in enumerate(zip(column_texts(tab.table, "学科"), column_texts(tab.table, "群体")))}
    assert ("语文", "留守儿童") in rows and ("数学", "寄宿") in rows

    def mean(flag: str, value: int) -> tuple[int, float]:
        n, total = db.execute(
            "SELECT COUNT(*), SUM(m.score) FROM mark m JOIN pupil p ON p.id = m.pupil_id JOIN subject s"
            f" ON s.id = m.subject_id WHERE m.exam_id = ? AND s.name = '语文' AND m.status = '正常' AND p.{flag} = ?",
            [exam_id, value]).fetchone()
        return n, total / n

    row = rows[("语文", "留守儿童")]
    n, flagged = mean("left_behind", 1)
    others_n, others = mean("left_behind", 0)
    assert column_texts(tab.table, "人数")[row] == str(n) and column_texts(tab.table, "其他学生人数")[row] == str(others_n)
    assert column_texts(tab.table, "平均分")[row] == f"{flagged:.2f}"
    assert column_texts(tab.table, "其他平均分")[row] == f"{others:.2f}"
    assert column_texts(tab.table, "平均分差")[row] == f"{flagged - others:+.2f}"
    # One school chosen: that school's papers only; a group below the minimum shows its n and no figures.
    page.school_combo.setCurrentIndex(page.school_combo.findText("竹林教学点"))
    assert "竹林教学点" in tab.heading.text()
    small = [i for i, note in enumerate(column_texts(tab.table, "说明")) if note == "样本过小"]
    assert small and all(column_texts(tab.table, "平均分差")[i] == "" for i in small)
    for i in small:
        for n_title, mean_title in (("人数", "平均分"), ("其他学生人数", "其他平均分")):
            if int(column_texts(tab.table, n_title)[i]) < least:
                assert column_texts(tab.table, mean_title)[i] == ""
    if SHOTS:
        page.tabs.setCurrentWidget(tab)
        page.grab().save(os.path.join(SHOTS, "support_care_groups.png"))


def test_a_teacher_does_not_get_the_groups_results(teacher_page):
    assert teacher_page.tabs.indexOf(teacher_page.care_tab) == -1


def test_a_teacher_is_told_to_ask_the_administrator_to_change_what_prints(demo_path, tasks, boxes, qapp, qtbot):
    """Only administrators may change the records preset, so a teacher's record dialog does not send them
    to the 评分方案 page."""
    from ui.dialogs.pupil_record_dialog import PupilRecordDialog

    db = open_database(demo_path)
    try:
        session = Session(demo_path, db, login(db, "laoshi", "demo"), tasks)
        pupil_id = db.execute("SELECT pupil_id FROM tutoring_pupil LIMIT 1").fetchone()[0]
        dialog = PupilRecordDialog(session, pupil_id)
        assert "请联系学校管理员" in dialog.print_note.text()
        assert "评分方案" not in dialog.print_note.text()
        dialog.close()
        shiboken6.delete(dialog)
    finally:
        db.close()
