"""WeChat followers (issue 21): where a conversation's messages go, sealed.

Staff replies during a hand-off (and later reminders) go out through WeChat's
customer-service API, which needs the follower's openid. The conversation
knows only ``wx-`` + a keyed hash; this table maps that sender to the openid,
sealed with the data key (Fernet), never in clear. ``unsubscribed_at`` is set
when the follower unfollows: nothing more is sent to them.

``wechat_reminders``: what a follower is to be reminded of, through the
subscription message template (``WECHAT_TEMPLATE_REMINDER``): a booking
(``booking:<code>``, the visit's start) or the yearly 签注
(``endorsement:<sender>``, the city and the due date), and which reminder went
out. No name, no phone.

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
    op.create_table(
        "wechat_reminders",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("sender", sa.String(80), nullable=False),
        sa.Column("city", sa.String(20), nullable=True),
        sa.Column("due", sa.DateTime, nullable=False),
        sa.Column("sent", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    op.create_index("ix_wechat_reminders_sender", "wechat_reminders", ["sender"])


def downgrade() -> None:
    op.drop_index("ix_wechat_reminders_sender", table_name="wechat_reminders")
    op.drop_table("wechat_reminders")
    op.drop_table("wechat_followers")
