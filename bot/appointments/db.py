"""The appointments' view of the one database (bot.platform.store.db), with the sample stations planted on first use."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bot.platform.store.db import (SCHEMA_HEAD, alembic_config, database_url, display_url,  # noqa: F401
                                   dispose_engines, get_engine, is_sqlite, statement_timeout_s, write_engine)
from bot.platform.store.db import ensure_schema as ensure_store_schema


class SampleStations:
    """聊城's and 曲靖's stations from stations.csv, when the table is empty."""

    def missing(self, connection: Connection) -> bool:
        from .models import Station

        return not connection.execute(select(func.count()).select_from(Station.__table__)).scalar_one()

    def plant(self, connection: Connection) -> int:
        from .stations import seed_stations

        return seed_stations(connection)


def ensure_schema(url: Optional[str] = None, *, seed: bool = True) -> str:
    """The schema at its newest migration; the sample stations when there are none (``seed``)."""
    return ensure_store_schema(url, seed=SampleStations() if seed else None)
