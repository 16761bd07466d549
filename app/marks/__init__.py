"""Pupils' exam marks: reading and checking a marks file (reading) into a plan (plan), writing
what it holds (writing), finding who a row is about (pupils), entering one mark (entry) and the entry grid's
queries (grid)."""
