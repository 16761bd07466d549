"""Where the program finds its resources and keeps its data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "SchoolQ"
APP_AUTHOR = "SchoolQ"


def resource_path(*parts: str) -> Path:
    """Return the path of a file under resources/, frozen (PyInstaller) or from source."""
    base = getattr(sys, "_MEIPASS", None)
    root = Path(base) if base else Path(__file__).resolve().parent.parent
    return root.joinpath("resources", *parts)


def font_path() -> Path:
    """Return the CJK TrueType font shipped with the program."""
    return resource_path("fonts", "wqy-microhei.ttc")


def manual_path() -> Path:
    """Return the Chinese manual (HTML) that 帮助 › 使用说明 shows."""
    return resource_path("help", "manual.html")


def icon_path() -> Path:
    """Return the program's icon (SVG, drawn by Qt's svg image plugin)."""
    return resource_path("icons", "schoolq.svg")


def user_data_dir() -> Path:
    """Return the folder that holds the user's databases, created if missing.

    SCHOOLQ_DATA_DIR overrides it (tests and portable installs use that).
    """
    override = os.environ.get("SCHOOLQ_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_path() -> Path:
    """Return the path of the embedded default database (the demo township)."""
    return user_data_dir() / "demo-township.sqlite"
