"""Booking, cancelling and looking up a visit: the extension point.

For now these actions give a holding answer that is still useful: where to
go (the city's rule, with its article, or the stations of the appointment
store with their phone numbers) and the personal checklist of the last
decision. The booking conversation proper (choose a station, a day and a
slot, name and phone, confirm; cancel or look up by code and phone) will be
built here on ``bot.appointments.service.AppointmentService`` — a form
``booking_form`` with its own validator, like ``interview.py`` — without
changing the intents, rules or other actions: the rules already route
``book_appointment``, ``cancel_appointment`` and ``check_appointment`` here,
inside and outside the interview.
"""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.rules import render_topic

from . import texts
from .answers import personal_materials, stations_of
from .facts import city_id_of, today
from .interview import city_buttons


class ActionBookAppointment(Action):
    def name(self) -> str:
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        city = city_id_of(tracker.get_slot("city"))
        if city is None:
            # The city's answer to "where" follows once the city is named.
            dispatcher.utter_message(text=texts.BOOKING_HOLD + "\n" + texts.ASK_CITY_FOR_TOPIC,
                                     buttons=city_buttons())
            return [SlotSet("awaiting_city", True), SlotSet("pending_topic", "where")]
        lines = [texts.BOOKING_HOLD]
        stations = stations_of(city, tracker.get_slot("residence_county"))
        if stations:
            lines += [texts.HANDOFF_STATION_LINE.format(name=s.name, county=s.county, phone=s.phone,
                                                        address=s.address) for s in stations[:3]]
            if any(s.sample for s in stations[:3]):
                lines.append(texts.HANDOFF_SAMPLE)
        else:
            lines.append(render_topic(city, "where", today()))
        checklist = personal_materials(tracker.get_slot("decision"))
        lines.append(checklist if checklist else texts.BOOKING_NO_CHECKLIST)
        dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionCancelAppointment(Action):
    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=texts.CANCEL_HOLD)
        return []


class ActionCheckAppointment(Action):
    def name(self) -> str:
        return "action_check_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=texts.CANCEL_HOLD)
        return []
