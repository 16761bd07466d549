"""What the charts of the reports and of the screens show, worked out once: score-band shares, the
rates compared between groups, the value axes and the colours. Plain numbers; the PDF draws them
with reportlab (app.reports.charts), the screen with QPainter (ui.widgets.chart)."""
from __future__ import annotations

BAND_LABELS = ["0-", "10-", "20-", "30-", "40-", "50-", "60-", "70-", "80-", "90-100"]
COLOURS = ("#1f4e79", "#e07b39", "#4e9a51", "#c0392b", "#7d5ba6", "#8c6d46", "#d16fa6", "#6f6f6f", "#a8a232",
           "#2a9fb0")
# The rates a comparison of classes or schools shows, as percents: (series name, figure key).
RATES = (("平均分(占满分%)", "mean_pct"), ("及格率", "pass_rate"), ("优秀率", "excellent_rate"))


def rate_series(groups: list[dict]) -> dict[str, list[float | None]]:
    """Return {series name: the groups' figure as a percent (None where it has none)} for RATES."""
    return {name: [None if g[key] is None else 100 * g[key] for g in groups] for name, key in RATES}


def band_shares(bands: dict[str, list[int]]) -> tuple[dict[str, list[float | None]], float]:
    """Return (series, value_max) of a score-band chart: per group, the percent of its counted
    pupils in each band (None for a group without pupils), and the top of the value axis (the next
    ten above the largest share, 10 to 100)."""
    series: dict[str, list[float | None]] = {}
    for name, counts in bands.items():
        total = sum(counts)
        series[name] = [100.0 * c / total if total else None for c in counts]
    top = max([v for values in series.values() for v in values if v is not None] or [10])
    return series, min(100, max(10, 10 * (int(top) // 10 + 1)))


def trend_floor(series: dict[str, list[float | None]]) -> float:
    """Return the bottom of a trend chart's percent axis: the ten below the lowest value, at least 0."""
    values = [v for line in series.values() for v in line if v is not None]
    return max(0, 10 * (int(min(values or [0])) // 10 - 1))
