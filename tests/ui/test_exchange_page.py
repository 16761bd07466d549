"""数据交换 as a school head and a township clerk use it: export to the stick, register a key after
comparing the fingerprint, import by button and by drag and drop, see why a package was refused."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDialogButtonBox, QInputDialog

from app.db.database import open_database
from app.packages import snapshot
from app.packages.export import export_package
from app.packages.signing import own_public_pem
from app.packages.trust import register_key
from app.services import setup
from app.services.users import actor_for, login
from ui.pages.exchange_page import ExchangePage, removable_drives
from ui.session import Session
from ui_helpers import column_texts, when_modal


@pytest.fixture
def answers(monkeypatch):
    """Queue the texts the user types into input dialogs (QInputDialog.getText / getItem)."""
    queue: list[str] = []

    def give(*_args, **_kwargs):
        return (queue.pop(0), True) if queue else ("", False)

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(give))
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(give))
    return queue


def _session(path: Path, tasks) -> Session:
    db = open_database(path)
    return Session(path, db, login(db, "admin", "demo"), tasks)


@pytest.fixture
def school_page(demo_dir, tasks, boxes, owned, qtbot):
    session = _session(demo_dir / "schools" / "QSZ05.sqlite", tasks)
    page = owned(ExchangePage(session))
    page.show()
    yield page
    session.db.close()


@pytest.fixture
def township_page(tmp_path, tasks, boxes, owned, qtbot):
    path = tmp_path / "qsz.sqlite"
    setup.init_township(path, code="QSZ", name="青山镇", passphrase="demo", demo=True).close()
    session = _session(path, tasks)
    page = owned(ExchangePage(session))
    page.show()
    yield page
    session.db.close()


def _export(page: ExchangePage, usb: Path, answers: list[str], boxes) -> Path:
    page.set_folder(usb)
    answers.append("demo")
    page.export_button.click()
    assert boxes.shown[-1][:2] == ("information", "导出完成"), boxes.shown[-1]
    return next(usb.glob("*.zip"))


def _drop(page: ExchangePage, files: list[Path]) -> bool:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    page.dragEnterEvent(enter)
    if not enter.isAccepted():
        return False
    page.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier))
    return True


def test_school_exports_its_term_to_the_chosen_stick(school_page, tmp_path, answers, boxes):
    assert school_page.page_title() == "数据交换"
    assert school_page.term_combo.currentText() == "2026—2027 学年第一学期"
    usb = tmp_path / "usb"
    usb.mkdir()
    package = _export(school_page, usb, answers, boxes)
    assert package.name == "QSZ05_2026-2027-1_0001.zip"
    assert sorted(zipfile.ZipFile(package).namelist()) == ["data.xlsx", "manifest.json", "manifest.sig", "school.pem"]
    assert "第 1 号数据包" in boxes.shown[-1][2]
    answers.append("wrong")
    school_page.export_button.click()
    assert boxes.shown[-1][0] == "warning" and "口令不正确" in boxes.shown[-1][2]
    assert [p.name for p in usb.iterdir()] == [package.name]


def test_township_registers_imports_and_sees_duplicates_and_refusals(school_page, township_page, tmp_path, answers,
                                                                      boxes, demo_dir):
    usb = tmp_path / "usb"
    usb.mkdir()
    package = _export(school_page, usb, answers, boxes)
    written = school_page.export_key_to(usb)
    assert [p.name for p in written] == ["QSZ05.pem", "QSZ05_密钥登记表.pdf"]
    fingerprint = school_page.session.db.execute("SELECT fingerprint FROM school_key").fetchone()[0]
    assert school_page.own_fingerprint.text() == fingerprint
    assert fingerprint in boxes.shown[-1][2]
    assert re.fullmatch(r"(\d{5} ){7}\d{5}", fingerprint)

    def compare_and_register(dialog):
        assert dialog.fingerprint.text() == fingerprint  # what the school reads out on the phone
        assert dialog.code.text() == "QSZ05"  # taken from the file name
        assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
        dialog.name.setText("竹林教学点")
        dialog.type.setCurrentText("教学点")
        dialog.compared.setChecked(True)
        dialog.accept()

    errors = when_modal(compare_and_register)
    township_page.register_key_file(usb / "QSZ05.pem")
    assert not errors
    assert boxes.shown[-1][:2] == ("information", "已登记")
    assert column_texts(township_page.status_table, "代码") == ["QSZ05"]
    assert column_texts(township_page.status_table, "情况") == ["尚未收到数据包"]

    # 竹林's 走教 teachers come from the central school, whose package must arrive first (a package
    # never creates another school's teachers); the township registered it earlier.
    central = open_database(demo_dir / "schools" / "QSZ01.sqlite")
    register_key(township_page.session.db, township_page.session.actor, level="school", code="QSZ01",
                 pem=own_public_pem(central))
    export_package(central, actor_for(central), "demo", usb, unencrypted=True)
    central.close()
    township_page.set_folder(usb)
    township_page.import_drive_button.click()
    assert column_texts(township_page.results, "结果") == ["接受", "接受"]
    assert column_texts(township_page.results, "来自") == ["青山镇中心小学", "竹林教学点"]
    assert "学生 新增 30" in column_texts(township_page.results, "说明")[1]
    status = dict(zip(column_texts(township_page.status_table, "代码"),
                      zip(column_texts(township_page.status_table, "最近数据包"),
                          column_texts(township_page.status_table, "情况"))))
    assert status == {"QSZ05": ("第 1 号(2026-2027-1)", "正常"), "QSZ01": ("第 1 号(2026-2027-1)", "正常")}

    assert _drop(township_page, [package])
    assert column_texts(township_page.results, "结果")[0] == "重复"
    broken = tmp_path / "QSZ05_2026-2027-1_0002.zip"
    broken.write_bytes(package.read_bytes()[:2000])
    assert _drop(township_page, [broken])
    assert column_texts(township_page.results, "结果")[0] == "拒收"
    assert "不完整" in column_texts(township_page.results, "说明")[0]
    notes = tmp_path / "notes.txt"
    notes.write_text("x", encoding="utf-8")
    assert not _drop(township_page, [notes])

    log = township_page.show_import_log()  # only the two accepted packages, not the duplicate or the refusal
    assert column_texts(log.table, "来自") == ["竹林教学点(QSZ05)", "青山镇中心小学(QSZ01)"]  # newest first
    assert column_texts(log.table, "类型") == ["数据包", "数据包"] and column_texts(log.table, "序号") == ["1", "1"]
    assert set(column_texts(log.table, "导入人")) == {"admin"}
    assert log.count_label.text() == "共 2 次导入,最新的在前。"
    log.filter.setText("QSZ05")
    assert column_texts(log.table, "文件") == [package.name]
    marks = township_page.session.db.execute(
        "SELECT COUNT(*) FROM mark m JOIN school s ON s.id = m.school_id WHERE s.code = 'QSZ05'").fetchone()[0]
    assert f"学生 新增 30;成绩 新增 {marks}" in column_texts(log.table, "变化")[0]  # all of 竹林's marks arrived new
    log.close()


def test_a_package_emptying_the_school_waits_for_the_clerks_confirmation(school_page, township_page, tmp_path,
                                                                          boxes, monkeypatch, demo_dir):
    school, township = school_page.session.db, township_page.session
    first, usb = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    usb.mkdir()
    central = open_database(demo_dir / "schools" / "QSZ01.sqlite")
    for db, code in ((central, "QSZ01"), (school, "QSZ05")):
        register_key(township.db, township.actor, level="school", code=code, pem=own_public_pem(db))
        export_package(db, actor_for(db), "demo", first, unencrypted=True)
    central.close()
    township_page.import_files(sorted(first.glob("*.zip")))
    assert column_texts(township_page.results, "结果") == ["接受", "接受"]
    collect = snapshot.collect

    def empty(db, scope):
        return {**collect(db, scope), "学生": [], "学籍异动": [], "成绩": [], "辅导学生": [], "帮扶名单": [], "双困生": [],
                "家访": []}
    monkeypatch.setattr(snapshot, "collect", empty)
    package = export_package(school, actor_for(school), "demo", usb, unencrypted=True).path
    boxes.answer_yes = False
    township_page.import_files([package])
    question = [text for kind, _t, text in boxes.shown if kind == "question"][-1]
    assert "将删除本数据库中该校30 名学生中的 30 名" in question and "确认导入吗" in question
    assert column_texts(township_page.results, "结果")[0] == "拒收"
    pupils = "SELECT COUNT(*) FROM pupil WHERE school_id = (SELECT id FROM school WHERE code = 'QSZ05')"
    assert township.db.execute(pupils).fetchone()[0] == 30
    boxes.answer_yes = True
    township_page.import_files([package])
    assert column_texts(township_page.results, "结果")[:3] == ["接受", "拒收", "拒收"]
    assert township.db.execute(pupils).fetchone()[0] == 0


def test_a_school_confirms_the_township_fingerprint_before_the_first_config(school_page, demo_dir, tmp_path, tasks,
                                                                            answers, boxes, owned):
    township = _session(demo_dir / "township.sqlite", tasks)
    try:
        page = owned(ExchangePage(township))
        usb = tmp_path / "usb"
        usb.mkdir()
        page.set_folder(usb)
        answers.append("demo")
        page.config_button.click()
        assert boxes.shown[-1][:2] == ("information", "导出完成")
        fingerprint = township.db.execute("SELECT fingerprint FROM school_key").fetchone()[0]
    finally:
        township.db.close()
    package = next(usb.glob("*_config.zip"))
    boxes.answer_yes = False
    assert _drop(school_page, [package])
    assert fingerprint in [text for kind, _t, text in boxes.shown if kind == "question"][-1]
    assert column_texts(school_page.results, "结果") == []
    boxes.answer_yes = True
    assert _drop(school_page, [package])
    assert column_texts(school_page.results, "结果") == ["接受"]
    assert _drop(school_page, [package])
    assert column_texts(school_page.results, "结果") == ["重复", "接受"]
    log = school_page.show_import_log()
    assert column_texts(log.table, "类型") == ["配置包"] and column_texts(log.table, "来自") == ["青山镇(QSZ)"]
    changed = column_texts(log.table, "变化")[0]
    assert changed.startswith("考试 新增 ") and changed in column_texts(school_page.results, "说明")[1]
    log.close()


def test_the_system_volume_is_never_offered_as_a_stick():
    assert all(str(root) not in ("/", "C:\\") for _label, root in removable_drives())


def _pem(tmp_path, name):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = tmp_path / name
    path.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


def test_register_dialog_refuses_a_bad_file_and_asks_before_replacing_a_key(township_page, tmp_path, owned):
    from ui.dialogs.register_key_dialog import RegisterKeyDialog

    junk = tmp_path / "QSZ07.pem"
    junk.write_text("这不是公钥", encoding="utf-8")
    dialog = owned(RegisterKeyDialog(township_page.session, junk))
    assert dialog.form.error_text("pubkey") and dialog.pem is None
    dialog.compared.setChecked(True)
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()

    first = owned(RegisterKeyDialog(township_page.session, _pem(tmp_path, "QSZ07.pem")))
    first.name.setText("石门村小学")
    first.type.setCurrentText("完小")
    first.compared.setChecked(True)
    first.accept()
    assert first.result() == 1 and first.result_.created

    second = owned(RegisterKeyDialog(township_page.session, _pem(tmp_path, "qsz07.pem")))
    assert "石门村小学" in second.known.text() and first.result_.fingerprint in second.known.text()
    assert not second.name.isEnabled() and not second.replace.isHidden()
    second.compared.setChecked(True)
    second.accept()
    assert second.result() == 0 and "停用旧密钥" in second.form.error_text("pubkey")
    second.replace.setChecked(True)
    second.accept()
    assert second.result() == 1 and second.result_.replaced == first.result_.fingerprint


def test_township_checks_list_a_pupil_left_off_the_marks(demo_path, tasks, boxes, owned, qtbot):
    """A school sent its midterm marks without one pupil of its roster: the township's 数据核查 names
    that pupil under the school and class, missing every subject (缺考 = 0 under the roster basis)."""
    db = open_database(demo_path)
    exam_id, exam_name = db.execute("SELECT id, name FROM exam WHERE type = '统考' AND policy = 'roster'"
                                    " ORDER BY date DESC LIMIT 1").fetchone()
    pupil_id, name, student_no, school, klass = db.execute(
        "SELECT p.id, p.name, p.student_no, s.name, c.name FROM mark m JOIN pupil p ON p.id = m.pupil_id"
        " JOIN school s ON s.id = m.school_id JOIN class c ON c.id = m.class_id"
        " WHERE m.exam_id = ? AND p.status = '在读' AND p.pe_exempt = 0 ORDER BY p.student_no LIMIT 1",
        [exam_id]).fetchone()
    with db.conn:
        db.execute("DELETE FROM mark WHERE exam_id = ? AND pupil_id = ?", [exam_id, pupil_id])
    db.close()
    session = _session(demo_path, tasks)
    page = owned(ExchangePage(session))
    page.show()
    dialog = page.show_checks()  # a child of the page: closed with it
    dialog.exam.setCurrentIndex(dialog.exam.findText(exam_name))
    dialog.run_checks()
    text = dialog.text.toPlainText()
    assert "同一学籍号在两所及以上学校在籍" in text and "走教教师同一时间排在两所学校" in text
    line = next(line for line in text.splitlines() if f"{name}({student_no}" in line)
    assert line.strip().startswith(f"{school} {klass}:")
    session.db.close()


def test_after_the_config_the_school_package_is_encrypted_and_the_township_asks_its_passphrase(
        school_page, demo_dir, tmp_path, tasks, answers, boxes, owned):
    usb = tmp_path / "usb"
    usb.mkdir()
    boxes.answer_yes = False  # no township key yet: the school is warned and declines the unencrypted export
    school_page.set_folder(usb)
    school_page.export_button.click()
    assert boxes.shown[-1][:2] == ("question", "数据包无法加密") and "配置包" in boxes.shown[-1][2]
    assert list(usb.iterdir()) == []
    township = _session(demo_dir / "township.sqlite", tasks)
    page = owned(ExchangePage(township))
    page.set_folder(usb)
    answers.append("demo")
    page.config_button.click()
    boxes.answer_yes = True
    assert _drop(school_page, [next(usb.glob("*_config.zip"))])
    assert "加密公钥" in column_texts(school_page.results, "说明")[0]
    answers.append("demo")
    school_page.export_button.click()
    assert boxes.shown[-1][:2] == ("information", "导出完成") and "已为乡镇加密" in boxes.shown[-1][2]
    package = next(usb.glob("QSZ05_*"))
    assert package.name == "QSZ05_2026-2027-1_0001.zip.age" and not zipfile.is_zipfile(package)

    register_key(township.db, township.actor, level="school", code="QSZ05",
                 pem=own_public_pem(school_page.session.db))
    answers.append("demo")
    page.import_drive_button.click()
    assert column_texts(page.results, "结果") == ["接受"], column_texts(page.results, "说明")
    assert column_texts(page.results, "来自") == ["竹林教学点"]
    page.import_files([package])  # cancelled at the passphrase: nothing happens
    assert column_texts(page.results, "结果") == ["接受"]
    township.db.close()
