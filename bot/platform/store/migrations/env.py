"""Alembic environment: run programmatically by bot.platform.store.db.ensure_schema.

When the caller passes a connection (``config.attributes["connection"]``),
the migrations run inside the caller's transaction (which already holds the
schema lock); otherwise an engine is made from ``sqlalchemy.url``.
"""
from __future__ import annotations

from alembic import context

config = context.config
# The features' tables (bookings; hand-offs and ratings; …) are theirs, not the
# store's: only autogenerate needs them, and its caller passes them.
TARGET_METADATA = config.attributes.get("target_metadata")


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=TARGET_METADATA,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from bot.platform.store.db import get_engine, write_engine

    engine = write_engine(get_engine(config.get_main_option("sqlalchemy.url")))
    with engine.connect() as connection:
        with connection.begin():
            _run(connection)


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=TARGET_METADATA, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
