"""The staff console's hotline script aid: the interview driver and the rules over JSON."""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Optional

from aiohttp import web

from bot.platform import clock
from bot.rules import assess_dict, city_ids, labels, load_city, question_for, render_decision
from bot.rules.facts import FactsError

from ..bodies import json_object

from .responses import DATE_RE, MAX_MESSAGE_CHARS, json_error, json_response

log = logging.getLogger(__name__)


# --- staff: hotline script aid ---------------------------------------------------

def _choices(fact: str) -> list[dict[str, Any]]:
    return [{"value": value, "label": label} for value, label in labels.CHOICES.get(fact, ())]


async def staff_meta(request: web.Request) -> web.Response:
    cities = []
    for city_id in city_ids():
        city = load_city(city_id)
        cities.append({
            "id": city.id, "name": city.name, "province": city.province,
            "counties": [county.name for county in city.counties],
            "registration": city["registration"]["name"],
            "questions": {fact: question_for(fact, city.id) for fact in labels.QUESTION},
        })
    return json_response({
        "cities": cities,
        "choices": {fact: _choices(fact) for fact in labels.CHOICES},
        "nationality": [{"value": k, "label": v} for k, v in labels.NATIONALITY.items()],
        "verdicts": labels.VERDICT,
        "today": clock.today().isoformat(),
    })


async def json_body(request: web.Request) -> dict[str, Any]:
    return await json_object(request)


def _as_of(facts: dict[str, Any]) -> Optional[dt.date]:
    if isinstance(facts.get("as_of"), str) and DATE_RE.match(facts["as_of"]):
        try:
            return dt.date.fromisoformat(facts["as_of"])
        except ValueError:
            return None
    return None


def _parse_texts(facts: dict[str, Any], texts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Fields the operator typed in words (一年多, 八个月, 东昌府) -> values, read by the
    interview driver exactly as the chat reads the same answer to the same question."""
    parsed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    if not texts:
        return parsed, problems
    from bot.dialogue.eligibility import Interview
    from bot.parsing import NotUnderstood

    driver = Interview(as_of=_as_of(facts))
    for fact, text in texts.items():
        if not isinstance(fact, str) or not isinstance(text, str) or not text.strip():
            continue
        if fact not in labels.QUESTION:
            problems[fact] = "not a fact the script aid asks for"
            continue
        try:
            parsed[fact] = driver.read_answer(fact, text, facts.get("city"))
        except NotUnderstood as error:
            problems[fact] = str(error)
    return parsed, problems


def _merge(facts: dict[str, Any], fact: str, value: Any) -> None:
    if "." in fact:
        group, key = fact.split(".", 1)
        target = dict(facts.get(group) or {})
        if isinstance(value, dict):
            target.update({k: v for k, v in value.items() if v})
        else:
            target[key] = value
        facts[group] = target
    else:
        facts[fact] = value


def _out(out: Any) -> dict[str, Any]:
    return out.as_dict()


async def _staff_turn(body: dict[str, Any]) -> web.Response:
    """One turn of the interview, as the chat has it: ``{"state", "message"}`` -> the
    driver's reply (``state`` to send back with the next message; ``message`` the
    caller's words or a choice's payload; no message: the first question)."""
    from bot.dialogue.eligibility import Interview, Message, State

    state_data = body.get("state")
    if state_data is not None and not isinstance(state_data, dict):
        return json_error(400, "state: expected the object of the previous reply", field="state")
    message = body.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS):
        return json_error(400, f"message: text of at most {MAX_MESSAGE_CHARS} characters", field="message")
    as_of = None
    if isinstance(body.get("as_of"), str):
        as_of = _as_of({"as_of": body["as_of"]})
        if as_of is None:
            return json_error(400, "as_of: expected YYYY-MM-DD", field="as_of")
    driver = Interview(as_of=as_of)
    try:
        state = State.from_dict(state_data)
    except (TypeError, ValueError, AttributeError):
        return json_error(400, "state: expected the object of the previous reply", field="state")
    city = body.get("city") if isinstance(body.get("city"), str) else None
    if message is None or not message.strip():
        reply = driver.start(state, city=city)
    else:
        reply = driver.handle(state, Message.parse(message))
    from bot.rules.render import card_summary

    decision = reply.decision
    next_question = None
    question = next((out for out in reversed(reply.messages) if out.role == "question"), None)
    if question is not None:
        next_question = {"fact": question.fact, "question": question.text, "choices": _choices(question.fact or ""),
                         "buttons": [{"title": c.title, "payload": c.payload()} for c in question.choices]}
    return json_response({
        "state": reply.state.to_dict(),
        "messages": [_out(out) for out in reply.messages],
        "cases": reply.cases,
        "ended": reply.ended,
        "decision": decision,
        "verdict_label": labels.VERDICT[decision["verdict"]] if decision else None,
        "text": render_decision(decision) if decision else None,
        "brief": card_summary(decision) if decision else None,
        "next": next_question,
    })


async def staff_endorsement(request: web.Request) -> web.Response:
    """``{"city", "last"}`` (``last``: YYYY-MM-DD, or words such as "去年5月") -> when the
    next 签注 is due under the city's article, and the note to print for the caller."""
    from bot.parsing.when import parse_past_day
    from bot.rules.engine import endorsement_dates
    from bot.rules.render import render_endorsement_due

    body = await json_body(request)
    city = body.get("city")
    if city not in city_ids():
        return json_error(400, f"city: one of {', '.join(city_ids())}", field="city")
    today = clock.today()
    raw = str(body.get("last") or "").strip()
    try:
        last, month_only = dt.date.fromisoformat(raw), False
    except ValueError:
        last, month_only = parse_past_day(raw, today), not re.search(r"[日号]", raw)
    if last is None or last > today:
        return json_error(400, "last: a past date YYYY-MM-DD, or words such as 去年5月", field="last")
    dates = endorsement_dates(load_city(city), last, today)
    return json_response({"city": city, "last": last.isoformat(), "deadline": dates["deadline"].isoformat(),
                  "year_ends": dates["year_ends"].isoformat(), "status": dates["status"],
                  "article": dates["article"], "note": render_endorsement_due(city, last, today, month_only=month_only)})


async def staff_assess(request: web.Request) -> web.Response:
    """Facts (and words to parse) -> decision, the sentences to read, the next question.

    With ``{"state", "message"}`` instead: one turn of the same interview the
    chat and ``juzhu interview`` run (bot.dialogue.eligibility), for a caller's answers
    taken one by one.
    """
    body = await json_body(request)
    if "message" in body or "state" in body:
        return await _staff_turn(body)
    facts = body.get("facts", body)
    if not isinstance(facts, dict):
        return json_error(400, "facts: expected a JSON object", field="facts")
    facts = dict(facts)
    texts = body.get("texts") if isinstance(body.get("texts"), dict) else {}
    try:
        parsed, problems = _parse_texts(facts, texts)
    except ImportError:
        parsed, problems = {}, {fact: "bot.parsing is not available" for fact in texts}
    for fact, value in parsed.items():
        _merge(facts, fact, value)
    try:
        decision = assess_dict(facts)
    except FactsError as error:
        return json_error(400, str(error), field=error.field, parsed=parsed, problems=problems)
    next_question = None
    if decision["verdict"] == "undetermined" and decision["missing"]:
        fact = decision["missing"][0]
        next_question = {"fact": fact, "question": question_for(fact, decision["city"]), "choices": _choices(fact)}
    from bot.rules.render import card_summary

    return json_response({
        "decision": decision,
        "verdict_label": labels.VERDICT[decision["verdict"]],
        "text": render_decision(decision),
        # The first screen of the script aid: what the operator says now (the renderer's words):
        # why (one sentence), the caveats, and where / how long only for someone who will apply.
        "brief": card_summary(decision),
        "next": next_question,
        "parsed": parsed,
        "problems": problems,
    })


async def staff_extract(request: web.Request) -> web.Response:
    """A caller's words -> the facts found in them, read as the chat reads them (bot.dialogue.eligibility)."""
    body = await json_body(request)
    text, city = body.get("text"), body.get("city")
    if not isinstance(text, str) or not text.strip() or len(text) > 2000:
        return json_error(400, "text: expected the caller's words (at most 2000 characters)", field="text")
    if city is not None and city not in city_ids():
        return json_error(400, f"city: unknown city {city!r}; accepted: " + ", ".join(city_ids()), field="city")
    try:
        from bot.dialogue.eligibility import Interview
    except ImportError:
        return json_error(503, "bot.parsing is not available")
    facts = Interview().read_facts(text, city)
    return json_response({"facts": facts})
