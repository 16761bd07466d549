"""Entry point of the frozen windowed program `schoolq-gui` (PyInstaller starts this script)."""
from __future__ import annotations

import sys

from ui.main import main

if __name__ == "__main__":
    sys.exit(main())
