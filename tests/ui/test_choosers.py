"""The shared combo boxes: a refill keeps what the user chose, 全部学校 means no school, and
nothing that listens to the combo is disturbed while it is refilled."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from ui.widgets.choosers import SchoolCombo, chosen, refill

SCHOOLS = [{"id": "s1", "code": "QSZ01", "name": "青山镇中心小学"},
           {"id": "s2", "code": "QSZ02", "name": "油溪完全小学"},
           {"id": "s3", "code": "QSZ03", "name": "竹林教学点"}]


def test_school_combo_keeps_the_choice_else_the_users_school_else_the_first(qapp):
    combo = SchoolCombo()
    calls = []
    combo.currentIndexChanged.connect(calls.append)
    combo.fill(SCHOOLS, everyone=True, preferred="s2")
    assert [combo.itemText(i) for i in range(combo.count())] == ["全部学校", "青山镇中心小学", "油溪完全小学", "竹林教学点"]
    assert combo.school() == "s2"  # the user's own school at first
    combo.setCurrentIndex(3)
    calls.clear()
    combo.fill(SCHOOLS[1:], everyone=True, preferred="s2")  # refilled: the choice stays
    assert combo.school() == "s3" and calls == []
    combo.fill(SCHOOLS[:2], everyone=True, preferred="s2")  # the chosen school is gone: back to the preferred one
    assert combo.school() == "s2"
    combo.setCurrentIndex(0)
    assert combo.school() is None  # 全部学校
    combo.fill(SCHOOLS, key="code", label=lambda s: f"{s['name']}({s['code']})")
    assert combo.currentText() == "青山镇中心小学(QSZ01)" and combo.school() == "QSZ01"


def test_refill_offers_all_first_and_tooltips(qapp):
    combo = QComboBox()
    refill(combo, [("三年级", 3, "2026—2027学年"), ("四年级", 4)], all_text="全部年级")
    assert chosen(combo) is None and combo.currentText() == "全部年级"
    combo.setCurrentIndex(2)
    refill(combo, [("四年级", 4), ("五年级", 5)], all_text="全部年级")
    assert chosen(combo) == 4
    refill(combo, [("三年级", 3, "2026—2027学年")])
    assert combo.itemData(0, 3) == "2026—2027学年"  # Qt.ToolTipRole
    assert chosen(combo) == 3
