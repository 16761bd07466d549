"""Combo boxes the pages share: a "全部…" entry that means no filter, and the school chooser."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

# The item data of a "全部…" entry (全部学校, 全部科目 …): no filter.
ALL = "__all__"


def chosen(combo: QComboBox) -> Any:
    """Return the data of the combo's current item, or None for nothing or a 全部… entry."""
    value = combo.currentData()
    return None if value in (None, ALL) else value


def refill(combo: QComboBox, items: Iterable[tuple], *, all_text: str | None = None, preferred: Any = None) -> None:
    """Replace the combo's items with `items`, (text, data) or (text, data, tooltip), after a
    "全部…" entry (data ALL) when `all_text` is given.

    The item chosen is the one chosen before if it is still offered, else `preferred`, else the
    first. Connected slots are not called: the caller refreshes what depends on the choice.
    """
    kept = combo.currentData()
    combo.blockSignals(True)
    try:
        combo.clear()
        if all_text is not None:
            combo.addItem(all_text, ALL)
        for text, data, *tip in items:
            combo.addItem(text, data)
            if tip:
                combo.setItemData(combo.count() - 1, tip[0], Qt.ItemDataRole.ToolTipRole)
        index = next((found for wanted in (kept, preferred) if wanted is not None
                      for found in [combo.findData(wanted)] if found >= 0), 0)
        combo.setCurrentIndex(index)
    finally:
        combo.blockSignals(False)


class SchoolCombo(QComboBox):
    """The school chooser: the schools given, optionally 全部学校 first (see refill)."""

    def __init__(self, parent: QWidget | None = None, *, min_chars: int = 8):
        super().__init__(parent)
        self.setMinimumContentsLength(min_chars)

    def fill(self, schools: Iterable[dict], *, everyone: bool = False, key: str = "id",
             label: Callable[[dict], str] = lambda school: school["name"], preferred: str | None = None) -> None:
        """Offer `schools` (dicts with `key` and what `label` reads), after 全部学校 when `everyone`;
        keep the choice, else choose `preferred` (a `key` value such as the user's school)."""
        refill(self, ((label(school), school[key]) for school in schools),
               all_text=self.tr("全部学校") if everyone else None, preferred=preferred)

    def fill_visible(self, schools: Iterable[dict], own: str | None) -> None:
        """Offer every one of `schools` when the user belongs to no school (`own` None: the
        township), else only the user's own, and choose it."""
        self.fill((school for school in schools if own in (None, school["id"])), preferred=own)

    def school(self) -> str | None:
        """Return the chosen school's `key` value, or None for 全部学校 or an empty list."""
        return chosen(self)
