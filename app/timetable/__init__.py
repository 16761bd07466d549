"""Timetables: curriculum plans, the compliance checker, editing, import from Excel and printing."""
