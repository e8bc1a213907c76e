"""Telegram's booking reminders in the one database (issue 18).

Until now the Telegram bridge kept ``booking code -> chat id`` (and the visit
start it reminded for) in a SQLite file of its own (``var/telegram.sqlite3``);
they now live beside the bookings, hand-offs and the other reminders, under
this one migration history. Only the code, the chat id and two times.

Revision ID: 0007_telegram_bookings
Revises: 0006_wechat_followers
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_telegram_bookings"
down_revision = "0006_wechat_followers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_bookings",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
        sa.Column("reminded_for", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("telegram_bookings")
