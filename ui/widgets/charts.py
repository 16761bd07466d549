"""On-screen charts of 质量分析, drawn for the screen by pyqtgraph (grouped bars, lines over exams).

The PDF reports draw their own vector charts with reportlab (app.reports.charts); the screen needs
other things (it resizes with the window, and the text must be in the font Qt loaded), so the two
share what they show (app.reports.chart_data) and the colours. pyqtgraph is pure Python over Qt and numpy, which the
program has anyway: 1.9 MB as a wheel, against 40.5 MB for PySide6-Addons (QtCharts) and 9.3 MB
plus pillow, fonttools, kiwisolver and contourpy for matplotlib (measured on PyPI's Windows wheels).
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import QWidget

from app.paths import font_path
from app.reports.chart_data import BAND_LABELS, band_shares, trend_floor

PALETTE = ("#1f4e79", "#e07b39", "#4e9a51", "#c0392b", "#7d5ba6", "#8c6d46", "#d16fa6", "#6f6f6f", "#a8a232",
           "#2a9fb0")
HEADROOM = 1.18  # the value axis reaches this far above the top value: room for the legend
_font_family: str | None = None


def chart_font() -> QFont:
    """Return the bundled CJK font at chart size (loading it into Qt once)."""
    global _font_family
    if _font_family is None:
        font_id = QFontDatabase.addApplicationFont(str(font_path()))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        _font_family = families[0] if families else "sans-serif"
    font = QFont(_font_family)
    font.setPixelSize(11)
    return font


class ChartView(pg.PlotWidget):
    """One chart on a white ground: a title, a legend, category labels along the bottom and a
    value axis; hidden while it has nothing to show."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background="w")
        self.setMinimumSize(360, 190)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.plot_item = self.getPlotItem()
        self.plot_item.showGrid(y=True, alpha=0.25)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setTickFont(chart_font())
            axis.setPen(pg.mkPen("#888888"))
            axis.setTextPen(pg.mkPen("#333333"))
        self.categories: list[str] = []
        self.series_names: list[str] = []
        self.setVisible(False)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Return the size the page gives a chart at first."""
        return QSize(560, 260)

    def clear_chart(self) -> None:
        """Show nothing (and hide)."""
        self.plot_item.clear()
        if self.plot_item.legend is not None:
            self.plot_item.legend.scene().removeItem(self.plot_item.legend)
            self.plot_item.legend = None
        self.categories, self.series_names = [], []
        self.setVisible(False)

    def show_bands(self, title: str, bands: dict[str, list[int]]) -> None:
        """Show the score-band distribution of each group (percent of its counted pupils per band)."""
        series, value_max = band_shares(bands)
        self.show_bars(title, BAND_LABELS, series, value_max=value_max)

    def show_trend(self, title: str, exams: list[str], series: dict[str, list[float | None]]) -> None:
        """Show one line per series over the exams in order (percent; None breaks the line)."""
        self.show_lines(title, exams, series, value_min=trend_floor(series))

    def show_bars(self, title: str, categories: list[str], series: dict[str, list[float | None]], *,
                  value_max: float = 100, unit: str = "%") -> None:
        """Show grouped bars: one group per category, one bar per series (None leaves a gap), on a
        0 to `value_max` axis labelled with `unit`."""
        self._start(title, categories, list(series), unit)
        count = max(len(series), 1)
        width = 0.8 / count
        for i, (name, values) in enumerate(series.items()):
            shown = [(x, v) for x, v in enumerate(values) if v is not None]
            if not shown:
                continue
            xs = [x - 0.4 + width * (i + 0.5) for x, _ in shown]
            bars = pg.BarGraphItem(x=xs, height=[v for _, v in shown], width=width * 0.92,
                                   brush=QColor(PALETTE[i % len(PALETTE)]), pen=pg.mkPen(None))
            self.plot_item.addItem(bars)
            self.plot_item.legend.addItem(bars, name)
        self.plot_item.setXRange(-0.6, len(categories) - 0.4, padding=0)
        self.plot_item.setYRange(0, value_max * HEADROOM, padding=0)

    def show_lines(self, title: str, categories: list[str], series: dict[str, list[float | None]], *,
                   value_min: float = 0, value_max: float = 100, unit: str = "%") -> None:
        """Show one line with markers per series over the categories (None breaks the line)."""
        self._start(title, categories, list(series), unit)
        for i, (name, values) in enumerate(series.items()):
            colour = QColor(PALETTE[i % len(PALETTE)])
            xs = [x for x, v in enumerate(values) if v is not None]
            ys = [v for v in values if v is not None]
            line = pg.PlotDataItem(xs, ys, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6,
                                   symbolBrush=colour, symbolPen=pg.mkPen(colour))
            self.plot_item.addItem(line)
            self.plot_item.legend.addItem(line, name)
        self.plot_item.setXRange(-0.4, len(categories) - 0.6, padding=0.02)
        self.plot_item.setYRange(value_min, value_min + (value_max - value_min) * HEADROOM, padding=0)

    def _start(self, title: str, categories: list[str], names: list[str], unit: str) -> None:
        self.clear_chart()
        self.categories, self.series_names = list(categories), names
        font = chart_font()
        self.plot_item.setTitle(title, color="#333333", size=f"{font.pixelSize() + 1}px")
        self.plot_item.titleLabel.item.setFont(font)
        legend = self.plot_item.addLegend(offset=(1, 1), colCount=max(len(names), 1), labelTextColor="#333333",
                                          labelTextSize=f"{font.pixelSize()}px")
        legend.setBrush(pg.mkBrush(255, 255, 255, 220))
        bottom = self.plot_item.getAxis("bottom")
        ticks = [(x, _wrap(label)) for x, label in enumerate(categories)]
        bottom.setTicks([ticks])
        bottom.setHeight(40 if any("\n" in text for _, text in ticks) else 26)
        left = self.plot_item.getAxis("left")
        left.setLabel(unit, color="#333333")
        left.label.setFont(font)
        self.setVisible(True)


def _wrap(label: str) -> str:
    """Put a label's "(n=…)" on a line of its own so that neighbouring labels do not run together."""
    return label.replace("(n=", "\n(n=", 1)
