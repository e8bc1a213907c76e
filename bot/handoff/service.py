"""Hand-offs to staff and ratings: the store and its rules (no Rasa, no HTTP).

A hand-off belongs to one conversation (Rasa's sender id). While it is open
or taken, the channels store what the applicant writes here
(:meth:`HandoffService.applicant_message`) instead of passing it to the
assistant; staff replies wait in an outbox per conversation until the
channel delivers them (:meth:`HandoffService.outbox`). Closing gives the
conversation back to the assistant and puts the closing note (and, once per
conversation, the rating question) in the outbox.

Staff are "on duty" while the staff console has asked for the queue within
the last ``HANDOFF_ON_DUTY_MINUTES`` (3) minutes: the console polls every
few seconds, so an open console is a person who will see the case.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
from typing import Any, Iterable, Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.platform.store.db import ensure_schema, get_engine, write_engine
from bot.platform.clock import Clock, env_clock, local_now
from bot.platform.masking import mask_text, mask_value

from . import texts
from .models import ACTIVE_STATUSES, REASONS, Handoff, HandoffMessage, Rating, StaffPresence

log = logging.getLogger(__name__)

DEFAULT_ON_DUTY_MINUTES = 3
DEFAULT_STAFF_HOURS = "工作日 9:00–17:00"
# Staff see the whole conversation (issue 20: with the last 8 only, "住亲戚家" said first was lost);
# the cap only bounds a runaway one, keeping its first messages and its last.
TRANSCRIPT_MESSAGES = 200
MAX_REPLY_CHARS = 1000
MAX_COMMENT_CHARS = 500
RECENT_CLOSED_HOURS = 24
CHANNELS = ("kiosk", "telegram", "wechat", "rest")


def whole_or_ends(lines: list[dict[str, str]], cap: int = TRANSCRIPT_MESSAGES) -> list[dict[str, str]]:
    """The whole transcript, or (past ``cap`` lines) its first 20 and its last ones."""
    if len(lines) <= cap:
        return lines
    return lines[:20] + [{"who": "bot", "text": f"……（中间省略{len(lines) - cap}条）"}] + lines[-(cap - 20):]


class HandoffError(Exception):
    """A refused request; ``status`` the HTTP status it maps to, the message in English for operators."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def channel_of(sender: str) -> str:
    """Which front a conversation comes from, by its sender id's prefix."""
    if sender.startswith("kiosk-"):
        return "kiosk"
    if sender.startswith("tg-"):
        return "telegram"
    if sender.startswith("wx-"):
        return "wechat"
    return "rest"


def on_duty_minutes() -> float:
    text = os.environ.get("HANDOFF_ON_DUTY_MINUTES", "").strip()
    try:
        value = float(text) if text else DEFAULT_ON_DUTY_MINUTES
    except ValueError:
        value = -1
    if not value >= 0:
        log.warning("HANDOFF_ON_DUTY_MINUTES=%r is not a number of minutes; using %d", text,
                    DEFAULT_ON_DUTY_MINUTES)
        return DEFAULT_ON_DUTY_MINUTES
    return value


def staff_hours() -> str:
    """The staff's hours as the applicant is told them (``HANDOFF_STAFF_HOURS``)."""
    return os.environ.get("HANDOFF_STAFF_HOURS", "").strip() or DEFAULT_STAFF_HOURS


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_loads(text: Optional[str], default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _case_no() -> str:
    # "H" + 5 digits: easy to read out on the phone, not a booking code (6 letters/digits).
    return "H" + "".join(secrets.choice("0123456789") for _ in range(5))


class HandoffService:
    """Hand-offs, their messages, ratings; ``url`` the appointments database (``DATABASE_URL``)."""

    def __init__(self, url: Optional[str] = None, *, clock: Optional[Clock] = None, migrate: bool = True):
        self.url = ensure_schema(url) if migrate else url
        self.engine = get_engine(self.url)
        self.writer = write_engine(self.engine)
        self.clock = clock if clock is not None else env_clock()

    def now(self) -> dt.datetime:
        return local_now(self.clock).replace(microsecond=0)

    # -- opening ----------------------------------------------------------------

    def open(self, sender: str, *, reason: str = "asked", city: Optional[str] = None,
             facts: Optional[dict[str, Any]] = None, decision: Optional[dict[str, Any]] = None,
             transcript: Iterable[dict[str, Any]] = (), names: Iterable[str] = (),
             rating_asked: bool = False) -> tuple[dict[str, Any], bool]:
        """Opens a hand-off for ``sender`` (or returns the one already open): (case, new?).

        ``facts``, ``transcript`` (``[{"who": "user"|"bot", "text"}]``) are
        masked here (``names`` known in the conversation masked too); only
        the whole conversation is kept (masked).
        """
        if not isinstance(sender, str) or not sender.strip():
            raise HandoffError("sender: required")
        if reason not in REASONS:
            raise HandoffError(f"reason: one of {', '.join(REASONS)}")
        names = tuple(names)
        lines = [{"who": "user" if item.get("who") == "user" else "bot",
                  "text": mask_text(str(item.get("text") or ""), names)[:500]}
                 for item in transcript if isinstance(item, dict) and str(item.get("text") or "").strip()]
        existing = self.active_for(sender)
        if existing is not None:
            return existing, False
        now = self.now()
        values = dict(sender=sender, channel=channel_of(sender), status="open", reason=reason,
                      city=city, facts=_json_dumps(mask_value(facts or {}, names)),
                      decision=_json_dumps(decision) if decision else None,
                      verdict=(decision or {}).get("verdict"),
                      transcript=_json_dumps(whole_or_ends(lines)),
                      rating_asked=bool(rating_asked), created_at=now)
        for _ in range(20):
            try:
                with self.writer.begin() as connection:
                    new_id = connection.execute(
                        Handoff.__table__.insert().values(case_no=_case_no(), **values)).inserted_primary_key[0]
                break
            except IntegrityError:  # the case number was taken: draw again
                continue
        else:  # pragma: no cover - 20 collisions in 100,000 numbers
            raise HandoffError("no free case number", status=503)
        log.info("hand-off opened id=%s channel=%s reason=%s city=%s", new_id, values["channel"], reason,
                 city or "-")
        return self.get(new_id), True

    # -- reading ----------------------------------------------------------------

    def _row(self, connection, handoff_id: int) -> Any:
        row = connection.execute(select(Handoff).where(Handoff.id == handoff_id)).first()
        if row is None:
            raise HandoffError(f"no hand-off {handoff_id}", status=404)
        return row

    def _case(self, row: Any, messages: list[Any]) -> dict[str, Any]:
        return {
            "id": row.id, "case_no": row.case_no, "channel": row.channel,
            "created": row.created_at.isoformat(sep=" "), "status": row.status, "reason": row.reason,
            "city": row.city, "facts": _json_loads(row.facts, {}), "verdict": row.verdict,
            "decision": _json_loads(row.decision, None), "transcript": _json_loads(row.transcript, []),
            "taken": row.taken_at.isoformat(sep=" ") if row.taken_at else None,
            "closed": row.closed_at.isoformat(sep=" ") if row.closed_at else None,
            "messages": [{"id": m.id, "author": m.author, "text": m.text, "created": m.created_at.isoformat(sep=" "),
                          "delivered": m.delivered_at is not None} for m in messages],
        }

    def _messages(self, connection, ids: list[int]) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = {i: [] for i in ids}
        if ids:
            for message in connection.execute(select(HandoffMessage).where(HandoffMessage.handoff_id.in_(ids))
                                              .order_by(HandoffMessage.id)):
                out[message.handoff_id].append(message)
        return out

    def get(self, handoff_id: int) -> dict[str, Any]:
        with self.engine.connect() as connection:
            row = self._row(connection, handoff_id)
            return self._case(row, self._messages(connection, [row.id])[row.id])

    def active_for(self, sender: str) -> Optional[dict[str, Any]]:
        """The open or taken hand-off of a conversation, if any."""
        with self.engine.connect() as connection:
            row = connection.execute(select(Handoff).where(Handoff.sender == sender,
                                                           Handoff.status.in_(ACTIVE_STATUSES))
                                     .order_by(Handoff.id.desc())).first()
            if row is None:
                return None
            return self._case(row, self._messages(connection, [row.id])[row.id])

    def queue(self) -> list[dict[str, Any]]:
        """Open and taken hand-offs, and those closed in the last 24 hours; newest first."""
        since = self.now() - dt.timedelta(hours=RECENT_CLOSED_HOURS)
        with self.engine.connect() as connection:
            rows = connection.execute(select(Handoff).where(
                Handoff.status.in_(ACTIVE_STATUSES) | (Handoff.closed_at >= since))
                .order_by(Handoff.created_at.desc(), Handoff.id.desc()).limit(100)).all()
            messages = self._messages(connection, [row.id for row in rows])
            return [self._case(row, messages[row.id]) for row in rows]

    # -- staff ------------------------------------------------------------------

    def staff_seen(self, console: str = "console") -> None:
        now = self.now()
        with self.writer.begin() as connection:
            changed = connection.execute(update(StaffPresence).where(StaffPresence.console == console)
                                         .values(seen_at=now)).rowcount
            if not changed:
                connection.execute(StaffPresence.__table__.insert().values(console=console, seen_at=now))

    def staff_on_duty(self) -> bool:
        since = self.now() - dt.timedelta(minutes=on_duty_minutes())
        with self.engine.connect() as connection:
            latest = connection.execute(select(func.max(StaffPresence.seen_at))).scalar()
        return latest is not None and latest >= since

    def take(self, handoff_id: int) -> dict[str, Any]:
        with self.writer.begin() as connection:
            row = self._row(connection, handoff_id)
            if row.status == "closed":
                raise HandoffError("this hand-off is closed", status=409)
            if row.status == "open":
                connection.execute(update(Handoff).where(Handoff.id == handoff_id)
                                   .values(status="taken", taken_at=self.now()))
        return self.get(handoff_id)

    def reply(self, handoff_id: int, text: Any) -> dict[str, Any]:
        """A staff message into the conversation (taking the hand-off when still open)."""
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_REPLY_CHARS:
            raise HandoffError(f"text: non-empty, at most {MAX_REPLY_CHARS} characters")
        now = self.now()
        with self.writer.begin() as connection:
            row = self._row(connection, handoff_id)
            if row.status == "closed":
                raise HandoffError("this hand-off is closed: the assistant has the conversation again",
                                   status=409)
            connection.execute(HandoffMessage.__table__.insert().values(
                handoff_id=handoff_id, author="staff", text=text.strip(), created_at=now))
            if row.status == "open":
                connection.execute(update(Handoff).where(Handoff.id == handoff_id)
                                   .values(status="taken", taken_at=now))
        return self.get(handoff_id)

    def close(self, handoff_id: int) -> dict[str, Any]:
        """Gives the conversation back to the assistant; the closing note (and the
        rating question, unless it was asked in this conversation) goes to the outbox."""
        now = self.now()
        with self.writer.begin() as connection:
            row = self._row(connection, handoff_id)
            if row.status == "closed":
                raise HandoffError("this hand-off is already closed", status=409)
            connection.execute(update(Handoff).where(Handoff.id == handoff_id)
                               .values(status="closed", closed_at=now, rating_asked=True))
            note = texts.CLOSED.format(case_no=row.case_no)
            buttons = _json_dumps(texts.next_step_buttons())  # never a screen without a way on (issue 20)
            if not row.rating_asked:
                note += "\n" + texts.RATING_QUESTION
                buttons = _json_dumps(texts.rating_buttons())
            connection.execute(HandoffMessage.__table__.insert().values(
                handoff_id=handoff_id, author="system", text=note, buttons=buttons, created_at=now))
        log.info("hand-off closed id=%s", handoff_id)
        return self.get(handoff_id)

    # -- channels ---------------------------------------------------------------

    def applicant_message(self, sender: str, text: str) -> Optional[dict[str, Any]]:
        """While a hand-off is open for ``sender``: ``text`` stored (masked) for staff, and
        ``{"case_no", "status", "reply"}`` returned (``reply`` what to tell the applicant,
        or None once staff have answered). None when no hand-off is open, or when it is open
        but no one is on duty to take it: then the message is kept for staff all the same and
        the assistant answers (a person is not there to be answered over; never a dead end).
        A withdrawal ("算了不用人工了，…", :func:`texts.withdrawal_rest`) closes the hand-off:
        ``status`` is "withdrawn" and ``rest`` what came with it, for the assistant to answer
        (``reply`` says the hand-off is cancelled when nothing did)."""
        on_duty = self.staff_on_duty()
        rest = texts.withdrawal_rest(text)
        with self.writer.begin() as connection:
            row = connection.execute(select(Handoff).where(Handoff.sender == sender,
                                                           Handoff.status.in_(ACTIVE_STATUSES))
                                     .order_by(Handoff.id.desc())).first()
            if row is None:
                return None
            connection.execute(HandoffMessage.__table__.insert().values(
                handoff_id=row.id, author="applicant", text=mask_text(text.strip())[:MAX_REPLY_CHARS],
                created_at=self.now()))
            if rest is not None:  # "算了不用人工了": closed; what came with it goes to the assistant
                connection.execute(update(Handoff).where(Handoff.id == row.id).values(
                    status="closed", closed_at=self.now(), rating_asked=True))
                return {"case_no": row.case_no, "status": "withdrawn", "rest": rest,
                        "reply": None if rest else texts.WITHDRAWN.format(case_no=row.case_no)}
        if row.status == "open" and not on_duty:
            return None
        reply = texts.WAITING.format(case_no=row.case_no) if row.status == "open" else None
        return {"case_no": row.case_no, "status": row.status, "reply": reply}

    def abandon(self, sender: str) -> int:
        """The applicant has left (kiosk reset, Telegram /reset): the conversation's
        hand-off is closed without a note. Returns how many were closed."""
        with self.writer.begin() as connection:
            return int(connection.execute(update(Handoff).where(Handoff.sender == sender,
                                                                Handoff.status.in_(ACTIVE_STATUSES))
                                          .values(status="closed", closed_at=self.now(),
                                                  rating_asked=True)).rowcount or 0)

    def bind_address(self, sender: str, address: str) -> None:
        """Where the channel delivers this conversation's outbox (a Telegram chat id)."""
        with self.writer.begin() as connection:
            connection.execute(update(Handoff).where(Handoff.sender == sender, Handoff.address.is_(None))
                               .values(address=str(address)[:40]))

    def outbox(self, *, sender: Optional[str] = None, channel: Optional[str] = None,
               limit: int = 50) -> list[dict[str, Any]]:
        """Staff and system messages not yet delivered, oldest first, marked delivered
        (each is handed out once): of one conversation (``sender``) or of a channel."""
        if sender is None and channel is None:
            raise HandoffError("outbox: a sender or a channel")
        query = (select(HandoffMessage.id, HandoffMessage.text, HandoffMessage.buttons, HandoffMessage.author,
                        Handoff.sender, Handoff.address, Handoff.case_no)
                 .join(Handoff, Handoff.id == HandoffMessage.handoff_id)
                 .where(HandoffMessage.delivered_at.is_(None), HandoffMessage.author != "applicant")
                 .order_by(HandoffMessage.id).limit(limit))
        if sender is not None:
            query = query.where(Handoff.sender == sender)
        if channel is not None:
            query = query.where(Handoff.channel == channel)
        now = self.now()
        with self.writer.begin() as connection:
            rows = connection.execute(query).all()
            if not rows:
                return []
            taken = connection.execute(update(HandoffMessage)
                                       .where(HandoffMessage.id.in_([r.id for r in rows]),
                                              HandoffMessage.delivered_at.is_(None))
                                       .values(delivered_at=now)).rowcount
        if taken != len(rows):  # another poller got some first: deliver none twice
            return []
        out = []
        for row in rows:
            text = (texts.STAFF_PREFIX + row.text) if row.author == "staff" else row.text
            item: dict[str, Any] = {"id": row.id, "sender": row.sender, "address": row.address, "text": text,
                                    "case_no": row.case_no}
            buttons = _json_loads(row.buttons, None)
            if buttons:
                item["buttons"] = buttons
            out.append(item)
        return out

    # -- ratings ----------------------------------------------------------------

    def rate(self, level: Any, *, comment: Optional[str] = None, city: Optional[str] = None,
             topic: Optional[str] = None, verdict: Optional[str] = None,
             channel: Optional[str] = None) -> int:
        try:
            level = int(level)
        except (TypeError, ValueError):
            raise HandoffError("level: a whole number 1-5") from None
        if not 1 <= level <= 5:
            raise HandoffError("level: a whole number 1-5")
        if comment is not None:
            comment = mask_text(str(comment).strip())[:MAX_COMMENT_CHARS] or None
        with self.writer.begin() as connection:
            return connection.execute(Rating.__table__.insert().values(
                level=level, comment=comment, city=city, topic=topic, verdict=verdict,
                channel=channel, created_at=self.now())).inserted_primary_key[0]

    def comment(self, rating_id: int, comment: str) -> bool:
        """A comment added to a rating given a moment before."""
        text = mask_text(str(comment).strip())[:MAX_COMMENT_CHARS]
        if not text:
            return False
        with self.writer.begin() as connection:
            return bool(connection.execute(update(Rating).where(Rating.id == rating_id)
                                           .values(comment=text)).rowcount)

    def feedback(self, days: int = 30, *, conversations: Optional[dict[str, int]] = None) -> dict[str, Any]:
        """Ratings of the last ``days`` days: counts per level, comments, hand-offs;
        ``conversations`` ({"conversations", "with_verdict"}: from the tracker store,
        see bot.handoff.stats) gives the verdict share and the hand-off rate."""
        since = self.now() - dt.timedelta(days=days)
        with self.engine.connect() as connection:
            counts = dict(connection.execute(select(Rating.level, func.count()).where(Rating.created_at >= since)
                                             .group_by(Rating.level)).all())
            comments = connection.execute(select(Rating).where(Rating.created_at >= since,
                                                               Rating.comment.is_not(None))
                                          .order_by(Rating.created_at.desc()).limit(200)).all()
            handoffs = connection.execute(select(func.count()).select_from(Handoff)
                                          .where(Handoff.created_at >= since)).scalar_one()
            rated_verdicts = connection.execute(select(func.count()).select_from(Rating).where(
                Rating.created_at >= since, Rating.verdict.is_not(None))).scalar_one()
        total = sum(counts.values())
        result: dict[str, Any] = {
            "days": days, "since": since.isoformat(sep=" "), "ratings": total,
            "levels": {str(level): int(counts.get(level, 0)) for level in sorted(texts.LEVELS, reverse=True)},
            "labels": {str(level): label for level, label in texts.LEVELS.items()},
            "average": round(sum(level * n for level, n in counts.items()) / total, 2) if total else None,
            "satisfied_share": round((counts.get(5, 0) + counts.get(4, 0) + counts.get(3, 0)) / total, 3)
            if total else None,
            "handoffs": int(handoffs),
            "rated_with_verdict": int(rated_verdicts),
            "conversations": None, "verdict_share": None, "handoff_rate": None,
            "comments": [{"level": c.level, "label": texts.LEVELS[c.level], "comment": c.comment, "city": c.city,
                          "topic": c.topic, "verdict": c.verdict, "channel": c.channel,
                          "created": c.created_at.isoformat(sep=" ")} for c in comments],
        }
        if conversations and conversations.get("conversations"):
            n = conversations["conversations"]
            result.update(conversations=n, verdict_share=round(conversations.get("with_verdict", 0) / n, 3),
                          handoff_rate=round(handoffs / n, 3))
        return result

    def ratings(self, days: int = 30) -> list[dict[str, Any]]:
        since = self.now() - dt.timedelta(days=days)
        with self.engine.connect() as connection:
            rows = connection.execute(select(Rating).where(Rating.created_at >= since)
                                      .order_by(Rating.created_at, Rating.id)).all()
        return [{"created": r.created_at.isoformat(sep=" "), "level": r.level, "label": texts.LEVELS[r.level],
                 "city": r.city, "topic": r.topic, "verdict": r.verdict, "channel": r.channel,
                 "comment": r.comment} for r in rows]

    # -- retention --------------------------------------------------------------

    def purge(self, older_than_days: int) -> tuple[int, int]:
        """Deletes hand-offs (with their messages) created and ratings given more than
        ``older_than_days`` ago; (hand-offs, ratings) deleted. Open ones go too: a case
        no one answered in the retention time is stale, and it holds what the person wrote."""
        if older_than_days < 0:
            raise ValueError("older_than_days must be >= 0")
        cutoff = self.now() - dt.timedelta(days=older_than_days)
        with self.writer.begin() as connection:
            old = select(Handoff.id).where(Handoff.created_at < cutoff)
            connection.execute(delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(old)))
            handoffs = connection.execute(delete(Handoff).where(Handoff.created_at < cutoff)).rowcount
            ratings = connection.execute(delete(Rating).where(Rating.created_at < cutoff)).rowcount
        return int(handoffs or 0), int(ratings or 0)
