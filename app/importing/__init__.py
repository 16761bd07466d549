"""Importing data from the Excel/CSV files schools already keep (rosters, teacher lists, marks)."""
