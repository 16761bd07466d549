"""Timetable generation on OR-Tools CP-SAT: the problem, the model, explanations and FET files."""
