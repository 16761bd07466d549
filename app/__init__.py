"""SchoolQ core: database, domain rules, imports and the CLI. Never imports Qt."""
from __future__ import annotations

__version__ = "0.1.0"
