"""Family bookings (party size, members) and the yearly 签注 reminders.

- ``bookings.party``: applicants of one visit (1–5), the seats it takes.
  Added with ``ADD COLUMN`` (no batch copy on SQLite, which would lose the
  partial unique index on active phones, see 0002); its range is checked by
  the service and, on PostgreSQL, by a CHECK constraint too.
- ``booking_members``: the family members of a booking (relation, optional
  name), anonymised with the booking.
- ``endorsement_reminders``: Telegram chat id, city, due date (and which
  reminder went out), nothing else.

Revision ID: 0004_family_reminders
Revises: 0002_anonymisable_bookings (relinked to 0003 at merge)
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_family_reminders"
down_revision = "0003_handoffs_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("party", sa.Integer, nullable=False, server_default=sa.text("1")))
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint("ck_bookings_party", "bookings", "party BETWEEN 1 AND 5")
    op.create_table(
        "booking_members",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("relation", sa.String(10), nullable=False),
        sa.Column("name", sa.String(20), nullable=True),
        sa.CheckConstraint("relation IN ('spouse', 'child', 'parent', 'other')",
                           name="ck_booking_members_relation"),
    )
    op.create_index("ix_booking_members_booking_id", "booking_members", ["booking_id"])
    op.create_table(
        "endorsement_reminders",
        sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("city", sa.String(20), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("sent", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    op.create_index("ix_endorsement_reminders_due", "endorsement_reminders", ["due"])


def downgrade() -> None:
    op.drop_index("ix_endorsement_reminders_due", table_name="endorsement_reminders")
    op.drop_table("endorsement_reminders")
    op.drop_index("ix_booking_members_booking_id", table_name="booking_members")
    op.drop_table("booking_members")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_bookings_party", "bookings", type_="check")
        op.drop_column("bookings", "party")
    else:  # SQLite 3.35+ drops a plain column in place (no batch copy: see 0002)
        op.execute("ALTER TABLE bookings DROP COLUMN party")
