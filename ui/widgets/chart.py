"""The program's on-screen chart, drawn with QPainter: grouped bars or lines, a title, a legend,
value labels and optional dashed reference lines (targets). Readable at 1366×768 (text at least
9 pt), and its context menu copies the chart or saves it as PNG for a 质量分析会 slide. It shows
the 考试概览 and 质量分析 charts in the colours of the PDF reports (app.reports.chart_data).

No chart library: pyqtgraph drew the 质量分析 charts until this widget did both pages' work, and
it cost the bundle its 9.6 MB of Python and the QtOpenGL bindings it loads by name (8.9 MB)."""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QSizePolicy, QWidget

from app.reports.chart_data import COLOURS

PALETTE = COLOURS
FONT_PT = 9


@dataclass
class ChartData:
    """What a chart shows: `labels` along the x axis, one list of values (None: no value) per
    series, the value axis from `bottom` to `top` and dashed horizontal `references` {name: value}."""

    title: str
    labels: list[str]
    series: dict[str, list[float | None]]
    kind: str = "bars"
    top: float = 100.0
    unit: str = ""
    references: dict[str, float] = field(default_factory=dict)
    bottom: float = 0.0

    def height(self, value: float, plot: float) -> float:
        """Return how far above the axis's bottom `value` stands in a plot `plot` pixels high
        (values beyond the axis are drawn at its ends)."""
        span = (self.top - self.bottom) or 1.0
        return plot * (min(max(value, self.bottom), self.top) - self.bottom) / span


class ChartWidget(QWidget):
    """Draws a ChartData; `clicked(index)` gives the label clicked on (bars)."""

    clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: ChartData | None = None
        self.empty_text = ""
        self.setMinimumSize(240, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._plot = QRectF()

    def show_chart(self, data: ChartData | None, empty_text: str = "") -> None:
        """Show `data` (None: an empty frame saying `empty_text`)."""
        self.data, self.empty_text = data, empty_text
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Return a size that fits two charts side by side on a 1366-pixel screen."""
        return QSize(520, 300)

    # --- drawing -------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        """Draw the chart."""
        painter = QPainter(self)
        self.render_on(painter, QRectF(self.rect()))
        painter.end()

    def image(self) -> QImage:
        """Return the chart as an image at twice the screen size (sharp on a slide)."""
        image = QImage(self.size() * 2, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.scale(2, 2)
        self.render_on(painter, QRectF(self.rect()))
        painter.end()
        return image

    def render_on(self, painter: QPainter, area: QRectF) -> None:
        """Draw the chart into `area`."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(area, Qt.GlobalColor.white)
        font = QFont(self.font())
        font.setPointSizeF(max(FONT_PT, font.pointSizeF()))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        line = metrics.height()
        data = self.data
        if data is None or not data.labels:
            painter.setPen(QColor("#777"))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            return
        title_font = QFont(font)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(QColor("#222"))
        painter.drawText(QRectF(area.left(), area.top() + 2, area.width(), line + 4), Qt.AlignmentFlag.AlignCenter,
                         data.title)
        painter.setFont(font)
        legend_top = area.top() + line + 8
        x = area.left() + 48
        for i, name in enumerate(data.series):
            painter.fillRect(QRectF(x, legend_top + line / 2 - 5, 10, 10), QColor(PALETTE[i % len(PALETTE)]))
            painter.setPen(QColor("#333"))
            painter.drawText(QPointF(x + 14, legend_top + metrics.ascent()), name)
            x += 24 + metrics.horizontalAdvance(name)
        for name, value in data.references.items():
            painter.setPen(QPen(QColor("#555"), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, legend_top + line / 2), QPointF(x + 16, legend_top + line / 2))
            painter.setPen(QColor("#333"))
            painter.drawText(QPointF(x + 20, legend_top + metrics.ascent()), name)
            x += 30 + metrics.horizontalAdvance(name)
        label_rows = 2 if any(metrics.horizontalAdvance(t) > (area.width() - 60) / len(data.labels) for t in data.labels) else 1
        plot = QRectF(area.left() + 44, legend_top + line + 8, area.width() - 56,
                      area.height() - (legend_top - area.top()) - line * (label_rows + 1) - 16)
        self._plot = plot
        painter.setPen(QColor("#ddd"))
        for k in range(5):
            value = data.bottom + (data.top - data.bottom) * k / 4
            y = plot.bottom() - plot.height() * k / 4
            painter.setPen(QColor("#e4e4e4"))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(QColor("#555"))
            painter.drawText(QRectF(area.left(), y - line / 2, 40, line), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, f"{value:g}{data.unit}")
        slot = plot.width() / len(data.labels)
        for i, text in enumerate(data.labels):
            painter.setPen(QColor("#333"))
            painter.drawText(QRectF(plot.left() + slot * i, plot.bottom() + 4, slot, line * label_rows + 2),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, text)
        if data.kind == "lines":
            self._lines(painter, data, plot, slot)
        else:
            self._bars(painter, data, plot, slot)
        for value in data.references.values():
            y = plot.bottom() - data.height(value, plot.height())
            painter.setPen(QPen(QColor("#555"), 1.2, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))

    def _bars(self, painter: QPainter, data: ChartData, plot: QRectF, slot: float) -> None:
        n = max(len(data.series), 1)
        width = slot * 0.8 / n
        metrics = painter.fontMetrics()
        for s, (name, values) in enumerate(data.series.items()):
            colour = QColor(PALETTE[s % len(PALETTE)])
            for i, value in enumerate(values):
                if value is None:
                    continue
                height = data.height(value, plot.height())
                rect = QRectF(plot.left() + slot * i + slot * 0.1 + width * s, plot.bottom() - height, width - 1, height)
                painter.fillRect(rect, colour)
                text = f"{value:.0f}"
                if width >= metrics.horizontalAdvance(text) - 2:
                    painter.setPen(QColor("#222"))
                    painter.drawText(QRectF(rect.left() - 6, rect.top() - metrics.height(), rect.width() + 12,
                                            metrics.height()), Qt.AlignmentFlag.AlignCenter, text)

    def _lines(self, painter: QPainter, data: ChartData, plot: QRectF, slot: float) -> None:
        for s, (name, values) in enumerate(data.series.items()):
            colour = QColor(PALETTE[s % len(PALETTE)])
            painter.setPen(QPen(colour, 2))
            points = [QPointF(plot.left() + slot * (i + 0.5), plot.bottom() - data.height(v, plot.height()))
                      for i, v in enumerate(values) if v is not None]
            for a, b in zip(points, points[1:]):
                painter.drawLine(a, b)
            for i, point in enumerate(points):
                painter.setBrush(colour)
                painter.drawEllipse(point, 3, 3)
                painter.drawText(QPointF(point.x() + 4, point.y() - 4), f"{[v for v in values if v is not None][i]:.0f}")

    # --- using it ------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        """Report which label was clicked."""
        if self.data and self.data.labels and self._plot.width() > 0 and event.button() == Qt.MouseButton.LeftButton:
            x = event.position().x() - self._plot.left()
            index = int(x // (self._plot.width() / len(self.data.labels)))
            if 0 <= index < len(self.data.labels):
                self.clicked.emit(index)
        super().mousePressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt API
        """Offer 复制图表 and 另存为图片."""
        if self.data is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("复制图表"), self.copy_image)
        menu.addAction(self.tr("另存为图片(PNG)…"), self.save_image)
        menu.exec(event.globalPos())

    def copy_image(self) -> None:
        """Put the chart on the clipboard as an image (pastes into WPS and PowerPoint)."""
        QApplication.clipboard().setImage(self.image())

    def save_image(self, path: str | None = None) -> bool:
        """Save the chart as PNG (asking where when `path` is None); return True when saved."""
        if path is None:
            name = (self.data.title if self.data else "图表").replace("/", "-")
            path, _ = QFileDialog.getSaveFileName(self, self.tr("保存图表"), f"{name}.png", self.tr("PNG 图片 (*.png)"))
        return bool(path) and self.image().save(path, "PNG")
