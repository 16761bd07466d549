"""Entry point of the frozen console program `schoolq` (PyInstaller starts this script)."""
from __future__ import annotations

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
