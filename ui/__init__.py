"""SchoolQ GUI (PySide6) over the app/ core: pages, table models, dialogs, the background worker."""
from __future__ import annotations
