"""Vector charts for reports (reportlab.graphics, sharp when printed): score-band bars, comparison
bars (classes, or a class against its grade and the township), the trend over exams, and
progress per school as horizontal bars. Each returns a Drawing sized to the page width."""
from __future__ import annotations

from reportlab import rl_config

# Checking every attribute set on a chart's shapes is a help while writing charts; here it took a
# tenth of a school report's time. Set before reportlab.graphics defines its classes.
rl_config.shapeChecking = 0

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart  # noqa: E402
from reportlab.graphics.charts.legends import Legend  # noqa: E402
from reportlab.graphics.charts.linecharts import HorizontalLineChart  # noqa: E402
from reportlab.graphics.shapes import Drawing, String  # noqa: E402
from reportlab.lib import colors  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402

from app.reports.chart_data import BAND_LABELS, COLOURS, band_shares, trend_floor  # noqa: E402
from app.reports.common import register_font  # noqa: E402

PALETTE = [colors.HexColor(c) for c in COLOURS]


def _legend(drawing: Drawing, names: list[str]) -> None:
    """Put the legend in one row under the title, items spaced by the longest name."""
    legend = Legend()
    legend.x, legend.y = 30, drawing.height - 17
    legend.fontName, legend.fontSize = register_font(), 7.5
    legend.dx, legend.dy = 7, 7
    legend.columnMaximum = 1
    legend.deltax = 14 + 8 * max([len(n) for n in names] + [2])
    legend.deltay = 10
    legend.alignment = "right"
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], name) for i, name in enumerate(names)]
    drawing.add(legend)


def _drawing(width: float, height: float) -> Drawing:
    """Return an empty drawing whose text starts in the CJK font (never the unembedded Helvetica)."""
    drawing = Drawing(width, height)
    drawing.initialFontName = register_font()
    return drawing


def _title(drawing: Drawing, text: str) -> None:
    drawing.add(String(0, drawing.height - 10, text, fontName=register_font(), fontSize=9.5,
                       fillColor=colors.HexColor("#333333")))


def _style_axes(chart, font: str) -> None:
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#dddddd")
    chart.valueAxis.gridStrokeWidth = 0.4


def _placed(chart, width: float, height: float, *, bottom: float):
    """Return `chart` placed in a drawing of `width` × `height`: 28 points from the left for the value
    labels, `bottom` points up for the category labels, 32 points free above for the title."""
    chart.x, chart.y = 28, bottom
    chart.width, chart.height = width - 36, height - bottom - 32
    return chart


def grouped_bars(title: str, categories: list[str], series: dict[str, list[float | None]], *, width: float,
                 height: float = 62 * mm, value_max: float = 100, unit: str = "%") -> Drawing:
    """Return grouped vertical bars: one group per category, one bar per series (None leaves a
    gap); values on a 0 to `value_max` axis labelled with `unit`."""
    font = register_font()
    drawing = _drawing(width, height)
    _title(drawing, title)
    chart = _placed(VerticalBarChart(), width, height, bottom=28)
    chart.data = [[0 if v is None else v for v in values] for values in series.values()] or [[0] * len(categories)]
    chart.categoryAxis.categoryNames = categories
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, value_max
    chart.valueAxis.valueStep = next(step for step in (2, 5, 10, 20, 25, 50) if value_max / step <= 6)
    chart.valueAxis.labelTextFormat = "%d" + unit.replace("%", "%%")
    chart.barSpacing = 0.5
    chart.groupSpacing = 6
    chart.bars.strokeWidth = 0
    for i in range(len(series)):
        chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
    _style_axes(chart, font)
    if len(categories) > 8:
        chart.categoryAxis.labels.angle = 30
        chart.categoryAxis.labels.boxAnchor = "ne"
    drawing.add(chart)
    _legend(drawing, list(series))
    return drawing


def band_bars(title: str, bands: dict[str, list[int]], *, width: float, height: float = 60 * mm) -> Drawing:
    """Return the score-band distribution of each subject: per band (percent of full marks), the
    share of the counted pupils in that band."""
    series, value_max = band_shares(bands)
    drawing = grouped_bars(title, BAND_LABELS, series, width=width, height=height, value_max=value_max)
    chart = next(c for c in drawing.contents if isinstance(c, VerticalBarChart))
    chart.categoryAxis.labels.fontSize = 6.5
    chart.groupSpacing = 3
    return drawing


def trend_lines(title: str, exams: list[str], series: dict[str, list[float | None]], *, width: float,
                height: float = 62 * mm) -> Drawing:
    """Return one line per series over the exams in order (values in percent; None breaks the line)."""
    font = register_font()
    drawing = _drawing(width, height)
    _title(drawing, title)
    chart = _placed(HorizontalLineChart(), width, height, bottom=30)
    chart.data = list(series.values()) or [[None] * len(exams)]
    chart.categoryAxis.categoryNames = exams
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = trend_floor(series), 100, 10
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.joinedLines = 1
    for i in range(len(series)):
        chart.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
        chart.lines[i].strokeWidth = 1.6
    _style_axes(chart, font)
    drawing.add(chart)
    _legend(drawing, list(series))
    return drawing


def signed_bars(title: str, labels: list[str], values: list[float | None], *, width: float,
                muted: list[bool] | None = None) -> Drawing:
    """Return horizontal bars of signed values (gains green, losses red, muted ones grey), one per
    label, top to bottom in the order given."""
    font = register_font()
    height = max(40 * mm, (len(labels) * 7 + 22) * mm * 0.9)
    drawing = _drawing(width, height)
    _title(drawing, title)
    chart = HorizontalBarChart()
    chart.x, chart.y = 95, 14
    chart.width, chart.height = width - 110, height - 34
    shown = [0 if v is None else v for v in values]
    chart.data = [list(reversed(shown))]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    span = max([abs(v) for v in shown] + [1.0])
    step = 1 if span <= 5 else 2 if span <= 10 else 5 if span <= 25 else 10
    bound = step * (int(span / step) + 1)
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = -bound, bound, step
    chart.bars.strokeWidth = 0
    muted = list(reversed(muted or [False] * len(values)))
    for i, value in enumerate(chart.data[0]):
        chart.bars[(0, i)].fillColor = (colors.HexColor("#b5b5b5") if muted[i] else
                                        colors.HexColor("#4e9a51") if value >= 0 else colors.HexColor("#c0392b"))
    _style_axes(chart, font)
    chart.categoryAxis.labels.fontSize = 8.5
    chart.categoryAxis.joinAxisMode = "left"  # names beside the bars' left edge, not across zero
    chart.categoryAxis.visibleTicks = 0
    drawing.add(chart)
    return drawing
