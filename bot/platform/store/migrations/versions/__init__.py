"""Migration scripts (Alembic)."""
