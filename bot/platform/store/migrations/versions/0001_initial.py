"""Initial appointment store: stations, closed days, slot counters, bookings.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("city", sa.String(20), nullable=False),
        sa.Column("county", sa.String(40), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("hours", sa.String(300), nullable=False),
        sa.Column("slot_minutes", sa.Integer, nullable=False),
        sa.Column("seats_per_slot", sa.Integer, nullable=False),
        sa.Column("sample", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("slot_minutes > 0", name="ck_stations_slot_minutes"),
        sa.CheckConstraint("seats_per_slot > 0", name="ck_stations_seats"),
    )
    op.create_index("ix_stations_city", "stations", ["city"])

    op.create_table(
        "closed_days",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("station_id", sa.String(40),
                  sa.ForeignKey("stations.id", ondelete="CASCADE"), nullable=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
    )
    op.create_index("ix_closed_days_day", "closed_days", ["day"])

    op.create_table(
        "slot_counts",
        sa.Column("station_id", sa.String(40),
                  sa.ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("start", sa.DateTime, primary_key=True),
        sa.Column("booked", sa.Integer, nullable=False),
        sa.CheckConstraint("booked >= 0", name="ck_slot_counts_booked"),
    )

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("station_id", sa.String(40), sa.ForeignKey("stations.id"), nullable=False),
        sa.Column("start", sa.DateTime, nullable=False),
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("status IN ('booked', 'cancelled', 'attended', 'no_show')",
                           name="ck_bookings_status"),
    )
    op.create_index("ix_bookings_station_start", "bookings", ["station_id", "start"])
    op.create_index("ix_bookings_phone", "bookings", ["phone"])
    op.create_index("uq_bookings_active_phone", "bookings", ["phone"], unique=True,
                    sqlite_where=sa.text("status = 'booked'"),
                    postgresql_where=sa.text("status = 'booked'"))


def downgrade() -> None:
    op.drop_index("uq_bookings_active_phone", table_name="bookings")
    op.drop_index("ix_bookings_phone", table_name="bookings")
    op.drop_index("ix_bookings_station_start", table_name="bookings")
    op.drop_table("bookings")
    op.drop_table("slot_counts")
    op.drop_index("ix_closed_days_day", table_name="closed_days")
    op.drop_table("closed_days")
    op.drop_index("ix_stations_city", table_name="stations")
    op.drop_table("stations")
