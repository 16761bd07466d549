"""Database access: opening, migrating, and the audited write helpers."""
