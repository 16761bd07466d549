"""The build fails when the bundle is over either size target (installer/bundle_size.py --check, run by
build.sh and build_windows.ps1). Bundles here are folders of sparse files: their sizes cost no disk."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MB = 2**20


def bundle_size_module():
    spec = importlib.util.spec_from_file_location("bundle_size", ROOT / "installer" / "bundle_size.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_bundle(root: Path, qt_mb: float, solver_mb: float) -> Path:
    bundle = root / "SchoolQ"
    for rel, size in (("_internal/PySide6/Qt/lib/libQt6Core.so.6", qt_mb),
                      ("_internal/ortools/libortools.so.9", solver_mb), ("schoolq", 1)):
        path = bundle / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            out.truncate(int(size * MB))
    return bundle


def run(module, args, capsys):
    status = module.main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_bundle_within_both_targets_passes_the_check(tmp_path, capsys):
    status, out, err = run(bundle_size_module(), ["--check", str(fake_bundle(tmp_path, 130, 60))], capsys)
    assert status == 0
    assert "191.0 MB unpacked" in out and "131.0 MB without the timetabling solver" in out
    assert err == ""


def test_bundle_over_the_whole_target_fails_the_check(tmp_path, capsys):
    status, _, err = run(bundle_size_module(), ["--check", str(fake_bundle(tmp_path, 140, 85))], capsys)
    assert status == 1
    assert "226.0 MB, over the 220 MB target" in err
    assert "without the timetabling solver" not in err


def test_bundle_without_solver_at_150_mb_fails_the_check(tmp_path, capsys):
    status, _, err = run(bundle_size_module(), ["--check", str(fake_bundle(tmp_path, 149, 10))], capsys)
    assert status == 1
    assert "without the timetabling solver it is 150.0 MB, not under the 150 MB target" in err


def test_without_check_an_oversized_bundle_is_only_reported(tmp_path, capsys):
    status, out, _ = run(bundle_size_module(), [str(fake_bundle(tmp_path, 300, 100))], capsys)
    assert status == 0 and "401.0 MB unpacked" in out


def test_missing_bundle_fails_the_check(tmp_path, capsys):
    status, _, err = run(bundle_size_module(), ["--check", str(tmp_path / "nothing")], capsys)
    assert status == 1 and "no bundle at" in err
