"""Pupils' exam marks: reading and checking a marks file (reading), writing what it holds
(writing), finding who a row is about (pupils), entering one mark (entry) and the entry grid's
queries (grid)."""
