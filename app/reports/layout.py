"""Page geometry every report shares, in PDF points: A4, its margins and the text width a chart may
fill. Plain numbers, so that a report builder sizes its charts without loading the PDF renderer
(app.reports.pdf draws the pages with the same numbers)."""
from __future__ import annotations

MM = 72 / 25.4               # one millimetre in points, as reportlab.lib.units.mm
A4 = (210 * MM, 297 * MM)    # portrait width and height, as reportlab.lib.pagesizes.A4
MARGIN_X = 14 * MM
MARGIN_TOP = 18 * MM
MARGIN_BOTTOM = 16 * MM
PAGE_WIDTH = A4[0] - 2 * MARGIN_X  # the text width of a portrait page
