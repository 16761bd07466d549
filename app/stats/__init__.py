"""Quality statistics: group figures (三率一分, bands, ranks), pupil results, progress and value-added,
pupil lists, class balance, and the scoring presets that turn figures into scores.

Marks are read once per exam into numpy arrays (app.stats.frame) and grouped with sorted keys, so
a county's exam (half a million marks) is summarised at every level in well under a second.
"""
from __future__ import annotations
