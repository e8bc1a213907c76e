"""Bookings can be anonymised: the phone may be NULL.

Retention (``AppointmentService.anonymise_bookings``) replaces the name with
a placeholder and sets the phone to NULL. NULL rather than a placeholder
number, so that the partial unique index on the active bookings' phones
still holds for old bookings never marked (several NULLs never collide).

SQLite cannot alter a column: Alembic's batch mode copies the table. The
copy would lose the partial index's WHERE clause (SQLAlchemy 1.4 does not
reflect it), so both phone indexes are dropped before and made again after.

Revision ID: 0002_anonymisable_bookings
Revises: 0001_initial
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_anonymisable_bookings"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("status = 'booked'")


def _drop_phone_indexes() -> None:
    op.drop_index("uq_bookings_active_phone", table_name="bookings")
    op.drop_index("ix_bookings_phone", table_name="bookings")


def _create_phone_indexes() -> None:
    op.create_index("ix_bookings_phone", "bookings", ["phone"])
    op.create_index("uq_bookings_active_phone", "bookings", ["phone"], unique=True,
                    sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)


def upgrade() -> None:
    _drop_phone_indexes()
    with op.batch_alter_table("bookings") as batch:
        batch.alter_column("phone", existing_type=sa.String(11), nullable=True)
    _create_phone_indexes()


def downgrade() -> None:
    # Anonymised bookings have no phone to give back: they get an empty one,
    # inactive (an anonymised booking is long past), so the index still holds.
    op.execute("UPDATE bookings SET phone = '', status = CASE WHEN status = 'booked' "
               "THEN 'no_show' ELSE status END WHERE phone IS NULL")
    _drop_phone_indexes()
    with op.batch_alter_table("bookings") as batch:
        batch.alter_column("phone", existing_type=sa.String(11), nullable=False)
    _create_phone_indexes()
