"""`juzhu purge`: delete old conversations and anonymise old bookings.

What is kept, and for how long (also in the README):
- conversations (Rasa's tracker store, masked): ``RETENTION_DAYS`` (30) after
  their last message, then deleted;
- bookings: name and phone (and the family members' names) until ``RETENTION_DAYS`` after the visit, then
  removed; station, time, status and code stay for statistics;
- hand-offs to staff (with their messages) and ratings: ``RETENTION_DAYS``
  after they were opened / given, then deleted.

Safe to run from cron while the servers run: each step is one statement in
one short transaction.
"""
from __future__ import annotations

import argparse
import os

from bot.platform.errors import BadInput

DEFAULT_RETENTION_DAYS = 30


def retention_days() -> int:
    text = (os.environ.get("RETENTION_DAYS") or str(DEFAULT_RETENTION_DAYS)).strip()
    if not text.isdigit():
        raise BadInput(f"RETENTION_DAYS: expected a whole number of days >= 0, got {text!r}")
    return int(text)


def _days(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of days >= 0, got {text!r}")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("purge", help="delete old conversations, anonymise old bookings")
    parser.add_argument("--older-than", type=_days, default=None, metavar="DAYS",
                        help=f"age in days (default $RETENTION_DAYS or {DEFAULT_RETENTION_DAYS})")
    parser.set_defaults(handler=run_purge)


def run_purge(args: argparse.Namespace) -> int:
    from bot.appointments import AppointmentService
    from bot.platform.conversations import conversations_url, purge_conversations
    from bot.handoff import HandoffService

    days = args.older_than if args.older_than is not None else retention_days()
    purged = purge_conversations(days)
    anonymised = AppointmentService().anonymise_bookings(days)
    handoffs, ratings = HandoffService().purge(days)
    print(f"purged data older than {days} days: {purged.conversations} conversations removed "
          f"({purged.events} events deleted) from {_shown(conversations_url())}; "
          f"{anonymised} bookings anonymised; {handoffs} hand-offs and {ratings} ratings deleted")
    return 0


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return repr(make_url(url))
