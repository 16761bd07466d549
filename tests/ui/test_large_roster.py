"""10,000 pupils: the table loads them all (in the background), filters and sorts in pinyin order."""
from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import Qt

from app.db.database import open_database
from app.db.writes import SYSTEM, bulk_insert
from app.queries.roster import list_classes
from app.services.users import login
from conftest import PASSPHRASE
from ui.pages.pupils_page import PupilsPage
from ui.session import Session
from ui.tasks import TaskManager
from ui_helpers import column_texts, header_titles

SURNAMES = "白陈李王张赵"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂"
COUNT = 10_000


@pytest.fixture
def big_school(small_school):
    """The small school with 10,000 more pupils: 阿宝 sorts first, 邹末 last, the rest between."""
    db = open_database(small_school)
    school_id = db.execute("SELECT id FROM school").fetchone()[0]
    class_id = next(c["id"] for c in list_classes(db, school_id) if c["name"] == "三(1)班")
    names = ["".join(p) for p in itertools.product(SURNAMES, GIVEN, GIVEN)]
    rows = []
    for i in range(COUNT - 2):
        rows.append({"school_id": school_id, "student_no": f"B{i:05d}", "name": names[i % len(names)],
                     "gender": "男" if i % 2 else "女", "grade": 3, "class_id": class_id, "status": "在读"})
    rows.append({"school_id": school_id, "student_no": "B99998", "name": "邹末", "gender": "男", "grade": 3,
                 "class_id": class_id, "status": "在读"})
    rows.append({"school_id": school_id, "student_no": "B99999", "name": "阿宝", "gender": "女", "grade": 3,
                 "class_id": class_id, "status": "流失"})
    with db.atomic():
        bulk_insert(db, SYSTEM, "pupil", rows, "test: 10,000 pupils")
    db.close()
    return small_school


def test_ten_thousand_pupils_load_in_the_background_filter_and_sort(big_school, make_window, qtbot):
    tasks = TaskManager()
    db = open_database(big_school)
    session = Session(big_school, db, login(db, "admin", PASSPHRASE), tasks)
    try:
        window = make_window(session)
        page = window.show_page(PupilsPage)
        qtbot.waitUntil(lambda: page.model.rowCount() == COUNT + 5, timeout=30_000)
        assert page.count_label.text() == f"显示 {COUNT + 5} / 共 {COUNT + 5} 人"

        page.search.setText("B0042")
        assert column_texts(page.table, "学籍号") == [f"B{i:05d}" for i in range(420, 430)]
        page.search.setText("阿宝")
        assert column_texts(page.table, "学籍号") == ["B99999"]
        page.search.clear()
        page.status_combo.setCurrentIndex(page.status_combo.findText("流失"))
        assert column_texts(page.table, "姓名") == ["阿宝"]
        page.status_combo.setCurrentIndex(0)

        column = header_titles(page.table).index("姓名")
        page.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
        names = column_texts(page.table, "姓名")
        assert len(names) == COUNT + 5
        assert names[0] == "阿宝" and names[1] == "阿依古丽" and names[-1] == "邹末"
        surnames = [n[0] for n in names[2:-1]]
        # within the bulk rows: 白 < 陈 < 李 < 王 < 张 < 赵 (pinyin), each as one block
        assert [s for s, _ in itertools.groupby(surnames)] == list(SURNAMES)
    finally:
        window.close()
        tasks.shutdown()
