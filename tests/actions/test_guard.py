"""Honest failures (actions/guard.py): with the store down, locked or slow,
every action says the system is busy, gives the hotline and changes nothing."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from sqlalchemy.exc import OperationalError

import actions.booking as booking
import bot.dialogue.memory
from bot.dialogue import stores
from actions.guard import GuardedAction, GuardedFormValidationAction
from bot.appointments import AppointmentService, db

from tests.actions.action_trackers import all_slots, form_turn, message, texts_of

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"  # nothing listens on port 1
BUSY = "系统繁忙，请稍后再试。您也可以拨打12345政务服务便民热线咨询。"
PHONE = "13812345678"
BOOKING = {"city": "liaocheng", "booking_station": "lc-dongchangfu", "booking_day": "2026-11-23",
           "booking_time": "09:30", "booking_name": "张三", "booking_phone": PHONE}


@pytest.fixture
def database_down(monkeypatch):
    """The store's database unreachable, as the action server would find it."""
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    monkeypatch.delenv("HOTLINE", raising=False)
    monkeypatch.setattr(stores, "_appointments", None)
    yield
    db.dispose_engines()


def plain(slots: dict[str, Any], text: str = "好") -> Tracker:
    """The tracker of an action Rasa runs outside a form's validation."""
    latest = message(text)
    return Tracker(sender_id="test", slots=all_slots(**slots), latest_message=latest, events=[],
                   paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen")


ACTIONS = {
    "action_ask_booking_station": (booking.ActionAskBookingStation, {"city": "liaocheng"}),
    "action_ask_booking_day": (booking.ActionAskBookingDay, {"booking_station": "lc-dongchangfu"}),
    "action_ask_booking_time": (booking.ActionAskBookingTime,
                                {"booking_station": "lc-dongchangfu", "booking_day": "2026-11-23"}),
    "action_ask_booking_confirmed": (booking.ActionAskBookingConfirmed, BOOKING),
    "action_ask_cancel_confirmed": (booking.ActionAskCancelConfirmed,
                                    {"lookup_code": "K7M3QX", "lookup_phone": PHONE, "lookup_outcome": "found"}),
    "action_book_appointment": (booking.ActionBookAppointment,
                                {**BOOKING, "booking_code": "K7M3QX", "booking_outcome": "booked"}),
    "action_check_appointment": (booking.ActionCheckAppointment,
                                 {"lookup_code": "K7M3QX", "lookup_phone": PHONE, "lookup_outcome": "found"}),
    "action_cancel_appointment": (booking.ActionCancelAppointment,
                                  {"lookup_code": "K7M3QX", "lookup_phone": PHONE, "lookup_outcome": "found",
                                   "cancel_confirmed": True}),
}


def only_busy(dispatcher: CollectingDispatcher, busy: str = BUSY) -> None:
    assert texts_of(dispatcher) == [busy]
    assert not any(m.get("buttons") or m.get("custom") for m in dispatcher.messages)


@pytest.mark.parametrize("name", sorted(ACTIONS))
async def test_an_action_answers_busy_and_sets_nothing(database_down, dispatcher, name):
    action, slots = ACTIONS[name]
    events = await action().run(dispatcher, plain(slots), {})
    only_busy(dispatcher)
    assert events == []


VALIDATORS = {
    "validate_booking_form, activation": (
        booking.ValidateBookingForm, "booking_form", message("我要预约", "book_appointment"),
        {"city": "liaocheng"}, "activation"),
    "validate_booking_form, an answer": (
        booking.ValidateBookingForm, "booking_form", message("明天上午"),
        {"city": "liaocheng", "booking_station": "lc-dongchangfu", "requested_slot": "booking_day"}, "answer"),
    "validate_booking_form, the confirmation": (
        booking.ValidateBookingForm, "booking_form", message("确认", "affirm"),
        {**BOOKING, "requested_slot": "booking_confirmed"}, "answer"),
    "validate_check_form": (
        booking.ValidateCheckForm, "check_form", message(f"K7M3QX {PHONE}"),
        {"requested_slot": "lookup_phone"}, "answer"),
    "validate_cancel_form": (
        booking.ValidateCancelForm, "cancel_form", message(PHONE),
        {"lookup_code": "K7M3QX", "requested_slot": "lookup_phone"}, "answer"),
}


@pytest.mark.parametrize("case", sorted(VALIDATORS))
async def test_a_form_ends_with_busy_and_changes_no_slot(database_down, dispatcher, case):
    validator, form, latest, slots, kind = VALIDATORS[case]
    tracker = form_turn(latest, slots, kind=kind, form=form)
    events = await validator().run(dispatcher, tracker, {})
    only_busy(dispatcher)
    slot_events = [e for e in events if e["event"] == "slot"]
    # The slot it had asked for is set to the value it has (else Rasa rejects the turn and
    # drops the message); the form ends; Rasa listens instead of running the closing action.
    assert all(e["value"] == tracker.get_slot(e["name"]) for e in slot_events if e["name"] != "requested_slot")
    assert {"event": "slot", "name": "requested_slot", "value": None} in [
        {k: e[k] for k in ("event", "name", "value")} for e in slot_events]
    assert [e["name"] for e in events if e["event"] == "followup"] == ["action_listen"]


async def test_the_hotline_comes_from_the_environment(database_down, dispatcher, monkeypatch):
    monkeypatch.setenv("HOTLINE", "0635-8888888")
    await booking.ActionAskBookingDay().run(dispatcher, plain({"booking_station": "lc-dongchangfu"}), {})
    only_busy(dispatcher, BUSY.replace("12345", "0635-8888888"))


def locked(*args: Any, **kwargs: Any) -> None:
    raise OperationalError("UPDATE bookings SET status=...", {}, Exception("database is locked"))


@pytest.fixture
def svc(tmp_path, monkeypatch):
    service = AppointmentService(f"sqlite:///{tmp_path / 'juzhu.db'}", clock=lambda: dt.datetime(2026, 11, 22, 10, 0))
    monkeypatch.setattr(stores, "_appointments", service)
    yield service
    db.dispose_engines()


async def test_a_locked_database_cancels_nothing(svc, dispatcher, monkeypatch, caplog):
    made = svc.book("lc-dongchangfu", "2026-11-24 10:00", "张三", PHONE)
    monkeypatch.setattr(svc, "cancel", locked)
    slots = {"lookup_code": made.code, "lookup_phone": PHONE, "lookup_outcome": "found", "cancel_confirmed": True}
    with caplog.at_level(logging.WARNING, logger="actions.guard"):
        events = await booking.ActionCancelAppointment().run(dispatcher, plain(slots), {})
    only_busy(dispatcher)
    assert events == [] and svc.find(made.code, PHONE).status == "booked"
    [record] = [r for r in caplog.records if r.name == "actions.guard"]
    assert "database unavailable" in record.getMessage() and record.exc_info is None
    assert PHONE not in caplog.text


async def test_a_database_failing_at_the_confirmation_books_nothing(svc, dispatcher, monkeypatch):
    monkeypatch.setattr(svc, "book", locked)
    tracker = form_turn(message("确认", "affirm"), {**BOOKING, "requested_slot": "booking_confirmed"},
                        form="booking_form")
    events = await booking.ValidateBookingForm().run(dispatcher, tracker, {})
    only_busy(dispatcher)
    assert not any(e["event"] == "slot" and e["name"] in ("booking_code", "booking_outcome") for e in events)
    assert svc.count_active_by_phone(PHONE) == 0


async def test_a_bug_answers_busy_too_and_is_logged_with_its_traceback(dispatcher, monkeypatch, caplog):
    import actions.interview

    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(bot.dialogue.memory, "decide", broken)
    with caplog.at_level(logging.ERROR, logger="actions.guard"):
        events = await actions.interview.ActionAssess().run(dispatcher, plain({"city": "liaocheng"}), {})
    only_busy(dispatcher)
    assert events == []
    [record] = [r for r in caplog.records if r.name == "actions.guard"]
    assert record.exc_info is not None and "action_assess" in record.getMessage()


def test_every_action_the_server_serves_is_guarded():
    executor = ActionExecutor()
    executor.register_package("actions")
    assert executor.actions
    for name, run in executor.actions.items():
        action = run.__self__
        assert isinstance(action, (GuardedAction, GuardedFormValidationAction)), name
        assert getattr(type(action).run, "guarded", False), name


async def test_the_action_server_returns_the_busy_message(database_down):
    """Through rasa_sdk's executor, as Rasa calls it: a reply, not an error."""
    executor = ActionExecutor()
    executor.register_package("actions")
    tracker = form_turn(message(f"K7M3QX {PHONE}"), {"requested_slot": "lookup_phone"}, form="check_form")
    state = {"sender_id": "test", "slots": tracker.slots, "latest_message": tracker.latest_message,
             "events": tracker.events, "paused": False, "followup_action": None,
             "active_loop": tracker.active_loop, "latest_action_name": tracker.latest_action_name}
    response = await executor.run({"next_action": "validate_check_form", "tracker": state, "domain": {}})
    assert [m["text"] for m in response["responses"]] == [BUSY]
    assert response["events"][-1]["event"] == "followup"
