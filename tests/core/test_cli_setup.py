"""`schoolq init` creates a usable school database; mistakes get Chinese messages and exit code 2."""
from __future__ import annotations

import json

from app.cli import main


def test_init_creates_a_school_with_admin_and_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "石门村小学2026")
    path = tmp_path / "school.sqlite"
    assert main(["init", str(path), "--code", "s1234", "--name", "石门村小学", "--type", "完小", "--township", "QSZ",
                 "--township-name", "青山镇"]) == 0
    out = capsys.readouterr().out
    assert "已创建学校数据库" in out and "签名密钥指纹" in out
    assert main(["info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["kind"], info["school_code"], info["schools"], info["pupils"]) == ("school", "S1234", 1, 0)


def test_init_without_passphrase_or_terminal_is_refused(tmp_path, capsys):
    assert main(["init", str(tmp_path / "x.sqlite"), "--code", "S1", "--name", "甲", "--type", "完小"]) == 2
    assert "SCHOOLQ_PASSPHRASE" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite").exists()


def test_bad_school_code_leaves_no_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "石门村小学2026")
    assert main(["init", str(tmp_path / "x.sqlite"), "--code", "学校1", "--name", "甲", "--type", "完小"]) == 2
    assert "代码" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite").exists()


def test_info_on_a_missing_file(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nope.sqlite")]) == 2
    assert "找不到" in capsys.readouterr().err


def test_output_cut_short_by_a_pager_is_not_an_error(tmp_path, demo_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "SCHOOLQ_DATA_DIR": str(tmp_path)}
    reader = subprocess.Popen([sys.executable, "-m", "app", "info", str(demo_path), "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env)
    reader.stdout.close()  # like `| head -0`: nobody reads what is printed
    assert reader.wait(timeout=60) == 0
    assert b"Traceback" not in reader.stderr.read()
    assert not (tmp_path / "schoolq-error.log").exists()


def test_every_command_prints_its_help():
    # argparse %-formats every help text: a bare "12%" made `schoolq --help` end in a traceback.
    import argparse

    from app.cli import build_parser

    def walk(parser: argparse.ArgumentParser) -> int:
        assert parser.format_help()
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]  # noqa: SLF001
        return 1 + sum(walk(p) for a in subs for p in a.choices.values())

    assert walk(build_parser()) > 40
