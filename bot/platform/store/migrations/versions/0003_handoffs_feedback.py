"""Hand-offs to staff, their messages, ratings, staff presence (issue 11).

Revision ID: 0003_handoffs_feedback
Revises: 0002_anonymisable_bookings
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_handoffs_feedback"
down_revision = "0002_anonymisable_bookings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_no", sa.String(8), nullable=False, unique=True),
        sa.Column("sender", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("address", sa.String(40), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("city", sa.String(20), nullable=True),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("decision", sa.Text, nullable=True),
        sa.Column("verdict", sa.String(30), nullable=True),
        sa.Column("transcript", sa.Text, nullable=False),
        sa.Column("rating_asked", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("taken_at", sa.DateTime, nullable=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.CheckConstraint("status IN ('open', 'taken', 'closed')", name="ck_handoffs_status"),
    )
    op.create_index("ix_handoffs_sender", "handoffs", ["sender"])
    op.create_index("ix_handoffs_status", "handoffs", ["status"])
    op.create_index("ix_handoffs_created_at", "handoffs", ["created_at"])
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author", sa.String(10), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("delivered_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_handoff_messages_handoff_id", "handoff_messages", ["handoff_id"])
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("comment", sa.String(500), nullable=True),
        sa.Column("city", sa.String(20), nullable=True),
        sa.Column("topic", sa.String(30), nullable=True),
        sa.Column("verdict", sa.String(30), nullable=True),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="ck_ratings_level"),
    )
    op.create_index("ix_ratings_created_at", "ratings", ["created_at"])
    op.create_table(
        "staff_presence",
        sa.Column("console", sa.String(20), primary_key=True),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_presence")
    op.drop_index("ix_ratings_created_at", table_name="ratings")
    op.drop_table("ratings")
    op.drop_index("ix_handoff_messages_handoff_id", table_name="handoff_messages")
    op.drop_table("handoff_messages")
    op.drop_index("ix_handoffs_created_at", table_name="handoffs")
    op.drop_index("ix_handoffs_status", table_name="handoffs")
    op.drop_index("ix_handoffs_sender", table_name="handoffs")
    op.drop_table("handoffs")
