"""Helpers of the hostile-input tests: a fingerprint of a whole database and crafted workbooks.

The workbooks are built by editing the XML inside a small openpyxl workbook, the way an attacker
(or a broken export tool) would: cells placed anywhere, lying sizes, huge shared strings.
"""
from __future__ import annotations

import hashlib
import io
import os
import resource
import sqlite3
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

from openpyxl import Workbook


ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 1536 * 1024 * 1024


# `python -m app ARGS` (app/__main__.py) at the suite's scrypt cost (tests/conftest.py): a log-in at
# the product's cost would re-hash a passphrase stored at the suite's, a write the refusals must not make.
CLI_AT_TEST_COST = ("import sys; from app.services import keys; keys.KDF['n'] = 2**12; "
                    "from app.cli import main; sys.exit(main(sys.argv[1:]))")


def run_cli(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the command line (`python -m app ARGS`, at the suite's scrypt cost) in a fresh interpreter
    limited to 1.5 GB of address space (what a school laptop can spare); return the finished process
    (text output)."""
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCHOOLQ_PASSPHRASE": "demo", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", CLI_AT_TEST_COST, *args], capture_output=True, text=True, env=env,
                          preexec_fn=limit_memory, timeout=timeout, encoding="utf-8", errors="replace")


def db_fingerprint(path: Path) -> str:
    """Return a hash of every row of every table of the database at `path` (a refused import must
    leave it equal)."""
    conn = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        for line in conn.iterdump():
            digest.update(line.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()
    finally:
        conn.close()


def excel_escaped(value: object) -> object:
    """Return a cell value with its control characters written as Excel's _xHHHH_ escapes (XML cannot
    hold them raw; Excel, WPS and calamine turn the escape back into the character)."""
    if not isinstance(value, str):
        return value
    return "".join(f"_x{ord(c):04X}_" if unicodedata.category(c) == "Cc" and c not in "\t\n\r" else c
                    for c in value)


def write_rows(path: Path, rows: list[list], sheet: str = "名单") -> Path:
    """Write `rows` from A1 of a one-sheet .xlsx at `path`, control characters included; return path."""
    path.write_bytes(small_workbook([[excel_escaped(v) for v in row] for row in rows], sheet))
    return path


def small_workbook(rows: list[list], sheet: str = "名单") -> bytes:
    """Return the bytes of a one-sheet .xlsx holding `rows` from A1."""
    book = Workbook()
    worksheet = book.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_parts(data: bytes, change: dict, extra: dict | None = None) -> bytes:
    """Return `data` (an .xlsx) with parts replaced: `change` maps a part name to a function of its
    bytes; `extra` adds parts (name → bytes). Compressed with deflate, as Excel does."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename in change:
                part = change[info.filename](part)
            target.writestr(info.filename, part)
        for name, part in (extra or {}).items():
            target.writestr(name, part)
    return out.getvalue()


def with_cells(data: bytes, cells: list[tuple[str, int, str]]) -> bytes:
    """Return the workbook with extra text cells (reference, row number, text) on its first sheet,
    each in a row of its own after the existing rows; a cell in row 1 joins the first row."""
    def change(xml: bytes) -> bytes:
        for ref, row, text in cells:
            cell = f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()
            if row == 1:
                end = xml.index(b"</row>")
                xml = xml[:end] + cell + xml[end:]
            else:
                xml = xml.replace(b"</sheetData>", f'<row r="{row}">'.encode() + cell + b"</row></sheetData>")
        return xml
    return rewrite_parts(data, {"xl/worksheets/sheet1.xml": change})


def shared_string_bomb(data: bytes, size: int, path: Path) -> Path:
    """Write to `path` the workbook with a shared string of `size` letters used in A3: a few MB on
    disk that inflate to `size` bytes (written in pieces, never held whole). Returns `path`."""
    def sheet(xml: bytes) -> bytes:
        return xml.replace(b"</sheetData>", b'<row r="3"><c r="A3" t="s"><v>0</v></c></row></sheetData>')

    def types(xml: bytes) -> bytes:
        return xml.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                           b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')

    def rels(xml: bytes) -> bytes:
        return xml.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                           b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                           b"</Relationships>")
    path.write_bytes(rewrite_parts(data, {"xl/worksheets/sheet1.xml": sheet, "[Content_Types].xml": types,
                                          "xl/_rels/workbook.xml.rels": rels}))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                       b' count="1" uniqueCount="1"><si><t>')
            piece = b"A" * (1 << 20)
            for _ in range(size >> 20):
                part.write(piece)
            part.write(b"</t></si></sst>")
    return path
