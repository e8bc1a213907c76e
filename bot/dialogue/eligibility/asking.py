"""The interview's questions: each fact with its reason and buttons, the explanation after a failed answer, the next steps, the stations' hours."""
from __future__ import annotations

import logging
from typing import Any, Optional

from bot.rules import labels, question_for
from bot.appointments.stations import hours_chinese, parse_hours
from bot.rules.policy import city_ids, load_city
from bot.rules.render import question_reason

from . import texts
from .facts import get

from .outs import CLOSED, READBACK, WHO, Choice, Out, State

logger = logging.getLogger(__name__)


class Asking:
    """A part of :class:`.driver.Interview` (its base class): how it asks."""

    def question(self, fact: str, state: State) -> Out:
        """The question for one fact, with buttons for the usual answers."""
        if fact == READBACK:
            return self.readback(state)
        city = state.city
        if fact == "city" or city is None:
            names = "、".join(load_city(c).name for c in city_ids())
            return Out(texts.ASK_CITY.format(cities=names), self._city_choices(), role="question", fact="city")
        if fact == WHO:
            return Out(texts.ASK_WHO, [Choice(texts.WHO_SELF, "inform", {"proxy_for": "self"}),
                                       Choice(texts.WHO_CHILD, "inform", {"proxy_for": "child"}),
                                       Choice(texts.WHO_ELDERLY, "inform", {"proxy_for": "elderly"}),
                                       Choice(texts.WHO_OTHER, "inform", {"proxy_for": "other"})],
                       role="question", fact=fact, closed=True)
        this = load_city(city)
        text = question_for(fact, city)
        choices: list[Choice] = []
        if fact == "hukou.city":
            province = get(state.facts, "hukou.province")
            if province and this.is_this_province(province):
                text = texts.ASK_HUKOU_CITY_IN_PROVINCE.format(province=this.province)
            choices = self._hukou_choices(this)
        elif fact in ("hukou.county", "residence.county"):
            choices = [Choice(county.name, "inform", {"county": county.name}) for county in this.counties]
        elif fact == "lived_months":
            choices = [Choice(texts.JUST_ARRIVED, "inform", {"duration": 0})] + self._durations(texts.DURATIONS)
        elif fact == "registered_months":
            choices = [Choice(texts.NEVER_REGISTERED, "deny")] + self._durations(texts.DURATIONS)
        elif fact == "supplementary_proof_months":
            choices = [Choice(texts.NONE_PROOF, "deny")] + self._durations(texts.DURATIONS)
        elif fact in labels.CHOICES:
            for code, label in labels.CHOICES[fact]:
                if isinstance(code, bool):
                    choices.append(Choice(label, "affirm" if code else "deny"))
                else:
                    choices.append(Choice(label, "inform", {fact: code}))
        return Out(text, choices, role="question", fact=fact, closed=fact in CLOSED)

    def explain(self, fact: str, state: State) -> Out:
        """The question asked the third way: why it matters, and a choice of answers."""
        city = state.city
        if fact == READBACK:
            out = self.readback(state)
            out.choices += [Choice(texts.READBACK_RESTART, "start_over"), Choice(texts.HUMAN, "request_human")]
            return out
        if fact == "city" or city is None:
            names = "、".join(load_city(c).name for c in city_ids())
            return Out(texts.CITY_NOT_SERVED.format(cities=names),
                       self._city_choices() + [Choice(texts.HUMAN, "request_human")],
                       role="question", fact="city", closed=True)
        this = load_city(city)
        why = question_reason(fact, city) or question_for(fact, city)
        choices: list[Choice]
        if fact in ("lived_months", "registered_months", "supplementary_proof_months"):
            choices = self._durations(texts.DURATION_RANGES)
            if fact == "registered_months":
                choices = [Choice(texts.NEVER_REGISTERED, "deny")] + choices
            elif fact == "supplementary_proof_months":
                choices = [Choice(texts.NONE_PROOF, "deny")] + choices
        elif fact == "hukou.city":
            choices = self._hukou_choices(this)
        elif fact == "age":
            # The ages that matter are the regulation's (第六条/第十二条): a minor, an adult, an elderly person.
            minor, elderly = this["proxy"]["minor_under_age"], this["proxy"]["elderly_from_age"]
            choices = [Choice(texts.AGE_MINOR.format(age=minor), "inform", {"age": max(minor - 6, 0)}),
                       Choice(texts.AGE_ADULT.format(low=minor, high=elderly - 1), "inform", {"age": (minor + elderly) // 2}),
                       Choice(texts.AGE_ELDERLY.format(age=elderly), "inform", {"age": elderly + 10})]
        else:
            choices = list(self.question(fact, state).choices)
        # A person is one tap away once an answer has failed twice (issue 11: hand-off).
        choices += [Choice(texts.HUMAN, "request_human"), Choice(texts.SKIP, "skip")]
        return Out(texts.EXPLAIN.format(why=why) + "\n" + texts.PICK_ONE, choices, role="question", fact=fact,
                   closed=True)

    def next_step_choices(self, verdict: str) -> list[Choice]:
        if verdict in ("eligible", "eligible_after_review", "not_yet_eligible"):
            return [Choice(texts.NEXT_BOOK, "book_appointment"), Choice(texts.NEXT_BENEFITS, "ask_benefits"),
                    Choice(texts.NEXT_OTHER, "greet")]
        if verdict == "not_eligible":
            return [Choice("居住登记", "ask_registration"), Choice(texts.HUMAN, "request_human"),
                    Choice(texts.NEXT_OTHER, "greet")]
        return [Choice(texts.HUMAN, "request_human"), Choice(texts.NEXT_OTHER, "greet")]

    def _city_choices(self) -> list[Choice]:
        return [Choice(load_city(c).name, "inform", {"city": c}) for c in city_ids()]

    @staticmethod
    def _hukou_choices(city: Any) -> list[Choice]:
        return [Choice(texts.HUKOU_LOCAL.format(city=city.name), "inform", {"city": city.id}),
                Choice(texts.HUKOU_OTHER_CITY, "inform", {"city": "other"}),
                Choice(texts.HUKOU_OTHER_PROVINCE, "inform", {"province": "other"})]

    @staticmethod
    def _durations(options: tuple[tuple[str, int], ...]) -> list[Choice]:
        return [Choice(title, "inform", {"duration": months}) for title, months in options]

    @staticmethod
    def _menu() -> list[Choice]:
        return [Choice("我能办居住证吗", "ask_eligibility"), Choice("要带什么材料", "ask_materials"),
                Choice("预约办理", "book_appointment"), Choice(texts.HUMAN, "request_human")]

    def _hours(self, city: Optional[str], county: Optional[str]) -> str:
        stations: list[Any] = []
        if city and self.stations:
            try:
                stations = list(self.stations(city, county) or [])
            except Exception:  # the store is a convenience here: the general answer instead
                logger.warning("stations unavailable for the hours", exc_info=True)
        if not stations:
            return texts.HOURS_UNKNOWN
        lines = [texts.HOURS_FROM_STATIONS.format(city=load_city(city).name)]
        # A station of the store says its hours in Chinese itself (hours_text); a plain record has a string.
        lines += [texts.HOURS_LINE.format(name=s.name, hours=getattr(s, "hours_text", None)
                                          or _hours_text(getattr(s, "hours", "")))
                  for s in stations[:3]]
        return "\n".join(lines)


def _hours_text(hours: Any) -> str:
    """"mon-fri 09:00-12:00,13:30-17:00; sat 09:00-12:00" -> 周一至周五 09:00-12:00、13:30-17:00；周六 …"""
    if not isinstance(hours, str):
        return str(hours or "")
    try:
        return hours_chinese(parse_hours(hours))
    except ValueError:
        return hours
