"""Pupil support (培优补差): tutoring records, the 双困生 flag, 转化 of 学困生, and each pupil's record."""
