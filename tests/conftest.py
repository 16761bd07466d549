"""Shared fixtures: one demo township built per session and copied per test (fast and isolated)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.demo import generate
from app.services import keys

# Every log-in and key unlock costs one scrypt run (0.27 s at the product's n = 65,536), and the
# suite logs in hundreds of times. Tests hash and wrap at n = 4,096 (hashes record their n, so checks
# stay exact); test_cli_auth restores the product's cost where it asserts the ≥ 100 ms a guess.
keys.KDF["n"] = 2**12


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """Never touch the real user's data folder from a test."""
    monkeypatch.setenv("SCHOOLQ_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))
    monkeypatch.delenv("SCHOOLQ_PASSPHRASE", raising=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo township (seed 1) with each school's own database, built once per session."""
    folder = tmp_path_factory.mktemp("demo-template")
    generate(folder / "township.sqlite", seed=1, school_dbs=folder / "schools")
    return folder


def _copy(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


@pytest.fixture
def demo_dir(demo_template, tmp_path) -> Path:
    """A private copy of the demo folder: township.sqlite and schools/CODE.sqlite."""
    return _copy(demo_template, tmp_path / "demo")


@pytest.fixture
def demo_path(demo_dir) -> Path:
    """Path of a private copy of the demo township database."""
    return demo_dir / "township.sqlite"


@pytest.fixture
def demo_db(demo_path):
    """The open private copy of the demo township database."""
    db = open_database(demo_path)
    yield db
    db.close()


@pytest.fixture
def system():
    """The system actor (township administrator rights)."""
    return SYSTEM
