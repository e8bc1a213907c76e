"""Tables of hand-offs and ratings (SQLAlchemy 1.4, 2.0-style API).

They live in the appointments database (same engine, same Alembic
migrations: 0003_handoffs_feedback). Times are naive Shanghai wall-clock
times, like the bookings'. Everything a person typed is stored masked
(bot/platform/masking.py); ratings carry no conversation id and no personal data.
"""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()

STATUSES = ("open", "taken", "closed")
ACTIVE_STATUSES = ("open", "taken")
REASONS = ("asked", "not_understood", "cannot_decide")
# Who wrote a hand-off message: the applicant (stored for staff instead of
# going to the assistant), or staff / the system (an outbox for the channel).
AUTHORS = ("applicant", "staff", "system")


class Handoff(Base):
    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_no = Column(String(8), nullable=False, unique=True)  # what the applicant is told
    # The conversation (Rasa's sender id: kiosk-…, tg-… a keyed hash): where replies go.
    sender = Column(String(80), nullable=False, index=True)
    channel = Column(String(20), nullable=False)  # kiosk, telegram, rest
    # Where the channel delivers to (a Telegram chat id), set by the channel itself.
    address = Column(String(40), nullable=True)
    status = Column(String(10), nullable=False, default="open", index=True)
    reason = Column(String(20), nullable=False)
    city = Column(String(20), nullable=True)
    facts = Column(Text, nullable=False, default="{}")  # JSON, masked
    decision = Column(Text, nullable=True)  # JSON: the engine's last decision
    verdict = Column(String(30), nullable=True)
    transcript = Column(Text, nullable=False, default="[]")  # JSON: last messages, masked
    rating_asked = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False, index=True)
    taken_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'taken', 'closed')", name="ck_handoffs_status"),
    )


class HandoffMessage(Base):
    __tablename__ = "handoff_messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    author = Column(String(10), nullable=False)
    text = Column(Text, nullable=False)  # masked when the applicant wrote it
    buttons = Column(Text, nullable=True)  # JSON list of {title, payload}
    created_at = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime, nullable=True)  # outbox: when the channel passed it on


class Rating(Base):
    __tablename__ = "ratings"

    id = Column(Integer, primary_key=True, autoincrement=True)
    level = Column(Integer, nullable=False)  # 5 非常满意 … 1 非常不满意
    comment = Column(String(500), nullable=True)  # masked
    city = Column(String(20), nullable=True)
    topic = Column(String(30), nullable=True)  # verdict, booking, handoff
    verdict = Column(String(30), nullable=True)
    channel = Column(String(20), nullable=True)
    created_at = Column(DateTime, nullable=False, index=True)

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="ck_ratings_level"),)


class StaffPresence(Base):
    """When the staff console last asked for the queue: staff are "on duty"
    while that was within the last few minutes (see service.ON_DUTY_MINUTES)."""

    __tablename__ = "staff_presence"

    console = Column(String(20), primary_key=True)
    seen_at = Column(DateTime, nullable=False)


class StaffSessionRevocation(Base):
    """A staff session ended by logging out, until its cookie would have expired (migration 0005;
    bot/channels/web/sessions.py). A random session id and a time: no token, no person."""

    __tablename__ = "staff_session_revocations"
    sid = Column(String(32), primary_key=True)
    expires_at = Column(DateTime, nullable=False)


class WechatFollower(Base):
    """A WeChat follower's conversation and openid, sealed with the data key (migration 0006;
    bot/channels/wechat.py): where staff replies go. No name, no phone, never the openid in clear."""

    __tablename__ = "wechat_followers"
    sender = Column(String(80), primary_key=True)
    sealed_openid = Column(Text, nullable=False)
    seen_at = Column(DateTime, nullable=False)
    unsubscribed_at = Column(DateTime, nullable=True)


class WechatReminder(Base):
    """A reminder owed to a WeChat follower (migration 0006): ``booking:<code>`` (due: the visit's
    start) or ``endorsement:<sender>`` (due: the 签注 deadline); ``sent``: which went out."""

    __tablename__ = "wechat_reminders"
    key = Column(String(100), primary_key=True)
    sender = Column(String(80), nullable=False, index=True)
    city = Column(String(20), nullable=True)
    due = Column(DateTime, nullable=False)
    sent = Column(Integer, nullable=False, default=0, server_default="0")
