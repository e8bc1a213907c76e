"""WeChat followers (issue 21): where a conversation's messages go, sealed.

Staff replies during a hand-off (and later reminders) go out through WeChat's
customer-service API, which needs the follower's openid. The conversation
knows only ``wx-`` + a keyed hash; this table maps that sender to the openid,
sealed with the data key (Fernet), never in clear. ``unsubscribed_at`` is set
when the follower unfollows: nothing more is sent to them.

Revision ID: 0006_wechat_followers
Revises: 0005_staff_session_revocations
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_wechat_followers"
down_revision = "0005_staff_session_revocations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_followers",
        sa.Column("sender", sa.String(80), primary_key=True),
        sa.Column("sealed_openid", sa.Text, nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("wechat_followers")
