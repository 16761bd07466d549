"""数据交换 as a school head and a township clerk use it: export to the stick, register a key after
comparing the fingerprint, import by button and by drag and drop, see why a package was refused."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QInputDialog

from app.db.database import open_database
from app.services import setup
from app.services.users import login
from ui.pages.exchange_page import ExchangePage, removable_drives
from ui.session import Session
from ui_helpers import column_texts


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
    pem = tmp_path / "QSZ05.pem"
    pem.write_text(school_page.session.db.execute("SELECT public_pem FROM school_key").fetchone()[0], encoding="ascii")
    fingerprint = school_page.session.db.execute("SELECT fingerprint FROM school_key").fetchone()[0]

    answers += ["QSZ05", "竹林教学点", "教学点"]
    township_page.register_key_file(pem)
    question = [text for kind, _t, text in boxes.shown if kind == "question"][-1]
    assert fingerprint in question and "QSZ05" in question
    assert boxes.shown[-1][:2] == ("information", "已登记")
    assert column_texts(township_page.status_table, "代码") == ["QSZ05"]
    assert column_texts(township_page.status_table, "情况") == ["尚未收到数据包"]

    township_page.set_folder(usb)
    township_page.import_drive_button.click()
    assert column_texts(township_page.results, "结果") == ["接受"]
    assert column_texts(township_page.results, "来自") == ["竹林教学点"]
    assert "学生 新增 30" in column_texts(township_page.results, "说明")[0]
    # 竹林's 走教 teachers come from the central school, which is now known but has sent nothing.
    status = dict(zip(column_texts(township_page.status_table, "代码"),
                      zip(column_texts(township_page.status_table, "最近数据包"),
                          column_texts(township_page.status_table, "情况"))))
    assert status == {"QSZ05": ("第 1 号(2026-2027-1)", "正常"), "QSZ01": ("—", "未登记公钥")}

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


def test_the_system_volume_is_never_offered_as_a_stick():
    assert all(str(root) not in ("/", "C:\\") for _label, root in removable_drives())
