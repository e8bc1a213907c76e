"""Staff sessions ended by logging out (issue 19): the cookie's session id, until it would expire.

A signed cookie stays valid until it expires (12 h); logging out must end it
on the server too, on every web front of a deployment. Only a random session
id and its expiry are kept (no token, no person); rows are deleted once
expired, whenever a session is revoked.

Revision ID: 0005_staff_session_revocations
Revises: 0004_family_reminders
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_staff_session_revocations"
down_revision = "0004_family_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_session_revocations",
        sa.Column("sid", sa.String(32), primary_key=True),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_session_revocations")
