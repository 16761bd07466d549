"""How reports and tables print figures (app.stats.vocabulary.format_value)."""
from __future__ import annotations

import pytest

from app.stats.vocabulary import format_value


@pytest.mark.parametrize(("value", "kind", "shown"), [
    (1.44, "signed", "+1.4"), (-0.44, "signed", "-0.4"), (-0.04, "signed", "0.0"), (0.04, "signed", "0.0"),
    (0.0, "signed", "0.0"), (-0.004, "signed2", "0.00"), (-0.006, "signed2", "-0.01"),
    (0.063, "signed_pct", "+6.3%"), (-0.0004, "signed_pct", "0.0%"), (-0.0181, "signed_pct", "-1.8%"),
    (0.738, "pct", "73.8%"), (None, "signed", "—"),
])
def test_a_difference_that_rounds_to_nothing_has_no_sign(value, kind, shown):
    # The 留守 table of the township report printed 英语 寄宿 平均分差 "-0.0" (59.4 against 59.4).
    assert format_value(value, kind) == shown
