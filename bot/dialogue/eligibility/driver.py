"""The one interview: every channel gives it the person's messages and gets
back what to say, the facts known so far and what to ask next.

    interview = Interview()                     # as_of: today (bot.platform.clock)
    reply = interview.start()                   # the first question
    reply = interview.handle(reply.state, Message.parse("我在聊城租房住了八个月"))
    reply.messages                              # [Out(text, choices, custom, role)], in order
    reply.next                                  # the fact asked next ("hukou.city"), None when decided
    reply.ended                                 # None, "verdict", "stopped", "restart", "leave" or "holder"
    reply.state.to_dict()                       # JSON: keep it, give it back with the next message

The law decides what to ask: the next question is the first fact of the
engine's ``decision["missing"]`` the person has not skipped. The interview
itself asks only two things the engine cannot: the city (without it there
is no regulation to apply) and, once, who applies (第六条/第十二条: a child
or an elderly parent may apply through a relative, with other documents).

Each message may give facts (any number, whatever else it says), correct
earlier ones, move to another city, ask a question in passing (answered by
the renderer for the facts known so far, then the interview goes on), make
small talk, ask to start over, stop, hear the last message again or skip the
question. An answer that cannot be read is explained with the parser's hint;
a second one gets the reason for the question and a choice of answers; there
is never a third time: the question is skipped.

The chat form's turn (bot/dialogue/interview.py, Rasa's validator), ``juzhu interview``
(bot/dialogue/eligibility/cli.py) and the staff page (bot/channels/web/script_aid.py) all run this
class; none of them has dialogue logic of its own.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
import re
from typing import Any, Optional

from bot.platform import clock
from bot.platform.masking import mask_text
from bot.rules import render_decision, render_topic
from bot.rules.policy import city_ids, load_city
from bot.rules.wording import months_text
from bot.parsing.holder import read_holding
from bot.rules.render import (card_summary, fact_label, fact_value_text, readback_lines, render_holding, render_topic_for)

from . import texts
from .facts import DURATIONS, change_city, city_id_of, decide, drop, get, known, merge, personal
from .reading import (Message, Reading, asks_eligibility, command, leave, read, small_talk, speaks_for_self,
                      topic)

from .asking import Asking
from .outs import (ANSWER, BUTTON, MAX_FAILED, READBACK, WHO, WORDS, Choice, Out, Reply,  # noqa: F401
                   State, Stations)

logger = logging.getLogger(__name__)


class Interview(Asking):
    """The interview's rules of conversation (see the module's docstring)."""

    def __init__(self, as_of: Optional[dt.date] = None, stations: Optional[Stations] = None,
                 ask_who: bool = True):
        self.as_of = as_of
        self.stations = stations
        self.ask_who = ask_who

    def today(self) -> dt.date:
        return self.as_of or clock.today()

    # --- entry points ---------------------------------------------------------------

    def start(self, state: Optional[State] = None, city: Optional[str] = None) -> Reply:
        """The first question (the city, unless given)."""
        state = state.copy() if state else State()
        if city and city_id_of(city):
            state.facts["city"] = city_id_of(city)
        return self._finish(state, Reply(state=state), asked_before=None)

    def resume(self, state: State) -> Reply:
        """Back after an interruption answered elsewhere: the open question again."""
        state = state.copy()
        return self._finish(state, Reply(state=state, cases=["resume"]), asked_before=state.asked)

    def restart(self, state: Optional[State] = None) -> Reply:
        """Everything said so far forgotten; the first question again."""
        fresh = State()
        reply = Reply(state=fresh, cases=["restart"], messages=[Out(texts.RESTARTED)])
        reply = self._finish(fresh, reply, asked_before=None)
        reply.ended = "restart"
        return reply

    def stop(self, state: State) -> Reply:
        """"算了": no more questions; the facts stay for later answers."""
        state = state.copy()
        state.asked, state.tries = None, 0
        reply = Reply(state=state, cases=["stop"], ended="stopped", messages=[Out(texts.STOPPED, self._menu())])
        reply.decision, _ = decide(state.facts, self.today())
        state.last = [out.as_dict() for out in reply.messages]
        return reply

    def handle(self, state: State, message: Message) -> Reply:
        """One message from the person: what to say, and the new state."""
        state = state.copy()
        as_of = self.today()
        asked = state.asked
        wants = command(message)
        if wants == "restart":
            return self.restart(state)
        if wants == "stop":
            return self.stop(state)
        if wants == "repeat":
            messages = [Out.from_dict(item) for item in state.last] or [Out(texts.REPEAT_NOTHING)]
            reply = Reply(state=state, cases=["repeat"], messages=messages, next=state.asked)
            reply.decision, _ = decide(state.facts, as_of)
            return reply

        reply = Reply(state=state)
        holder = self.holder_reply(message, state) or self._holder_city(message, state)
        if holder:
            # A holder is never interviewed as a new applicant (CONTRACT §2).
            state.asked, state.tries = None, 0
            reply.messages.append(holder)
            reply.cases.append("holder")
            reply.ended = "holder"
            state.last = [out.as_dict() for out in reply.messages]
            return reply
        if asked == READBACK:
            return self._readback_answer(state, message, reply)
        reading = read(message, asked, state.previous, state.city, as_of)
        self._take(state, reading, message, reply)
        if wants == "skip" and asked in DURATIONS and not reading.answered and not message.button \
                and _NOT_KNOWING.search(message.text or "") \
                and f"estimate:{asked}" not in state.helped:
            # "不知道" to "how long": help to estimate first (ranges, where to look), skipping one tap away.
            state.helped.append(f"estimate:{asked}")
            reply.cases.append("estimate")
            choices = self._durations(texts.DURATION_RANGES)
            if asked == "registered_months":
                choices = [Choice(texts.NEVER_REGISTERED, "deny")] + choices
            reply.messages.append(Out(texts.ESTIMATE_HELP[asked], choices + [Choice(texts.SKIP, "skip")],
                                      role="question", fact=asked, closed=True))
            return self._end_turn(state, reply, decide(state.facts, as_of)[0], asked, asked)
        if wants == "skip" and asked and not reading.answered:
            reply.cases.append("skip")
            self._skip(state, asked)
            reply.messages.append(Out(texts.SKIPPED))
        handed = leave(message, reading.answered)
        if handed:
            reply.cases.append("leave")
            reply.ended, reply.leave = "leave", handed
            reply.decision, _ = decide(state.facts, as_of)
            return reply
        side = topic(message)
        if side:
            reply.cases.append("side_question")
            reply.messages.append(self.answer_topic(side, state))
        talk = small_talk(message) if not (reply.changed or side or reading.answered) else None
        if talk:
            reply.cases.append("chitchat")
            reply.messages.append(Out({"greet": texts.GREET, "thank": texts.THANK, "bot": texts.BOT}.get(
                talk, texts.CHITCHAT)))
        failed = bool(asked) and not (reading.answered or reply.changed or side or talk or wants == "skip")
        if failed and asked == WHO:
            failed = False  # asked once: no answer is "for oneself"
            self._skip(state, WHO)
        elif failed and asks_eligibility(message):
            failed = False  # "能办吗？" while being asked: the question again, with a word
            reply.cases.append("restate")
            reply.messages.append(Out(texts.STILL_ASKING))
        if failed:
            state.tries += 1
            reply.cases.append("not_understood")
            return self._finish(state, reply, asked_before=asked, failed=True, hint=reading.hint)
        if asked == WHO and not reading.answered and reply.changed:
            self._skip(state, WHO)
        return self._finish(state, reply, asked_before=asked)

    def conclude(self, state: State) -> list[Out]:
        """The verdict on the facts known (what a finished interview says)."""
        decision, dropped = decide(state.facts, self.today())
        if decision is None:
            return [self.question("city", state)]
        text = render_decision(decision)
        if decision["verdict"] == "undetermined" and state.skipped:
            text = texts.SKIPPED_ALL + "\n" + text
        return [Out(text, self.next_step_choices(decision["verdict"]),
                    custom={"decision": decision, "card": card_summary(decision)}, role="verdict")]

    # --- reading outside the interview (answers to questions, the staff page) ---------

    def absorb(self, state: State, message: Message) -> tuple[State, Reading, dict[str, Any]]:
        """The facts of a message that is not an answer (a question, a greeting):
        (new state, the reading, what changed)."""
        state = state.copy()
        reading = read(message, None, None, state.city, self.today())
        reply = Reply(state=state)
        self._take(state, reading, message, reply, announce=False)
        return state, reading, reply.changed

    def read_facts(self, text: str, city: Optional[str] = None) -> dict[str, Any]:
        """The facts in a caller's words, read as the chat reads them."""
        state = State(facts={"city": city} if city_id_of(city) else {})
        state, _, _ = self.absorb(state, Message.parse(text))
        return state.facts

    def read_answer(self, fact: str, text: str, city: Optional[str] = None) -> Any:
        """The answer to one question, read as the chat reads it; raises NotUnderstood."""
        from bot.parsing import NotUnderstood

        state = State(facts={"city": city} if city_id_of(city) else {}, asked=fact)
        reading = read(Message.parse(text), fact, None, state.city, self.today())
        if not reading.answered:
            raise NotUnderstood(reading.hint or texts.NOT_UNDERSTOOD, fact)
        if fact.startswith("hukou."):
            return reading.found.get("hukou")
        return get(reading.found, fact)

    def holder_reply(self, message: Message, state: State) -> Optional[Out]:
        """The answer for someone who already holds a permit (moved, lost it, missed the
        签注…), or None when the message is not from a holder."""
        if message.button or not message.text:
            return None
        holding = read_holding(message.text)
        if holding is None:
            return None
        if holding.event is None and state.asked in DURATIONS:
            return None  # "居住证办了半年" to a duration question: most likely the registration
        case = {"event": holding.event, "to_city": holding.to_city, "to_elsewhere": holding.to_elsewhere}
        return self._holder_answer(state, holding.card_city or state.city, case)

    def _holder_city(self, message: Message, state: State) -> Optional[Out]:
        """After a holder's case answered for every city, the next message naming only a city
        ("聊城", or its button) gets that case's answer for it."""
        case, state.holding = state.holding, None  # the very next message only
        if not case:
            return None
        said = dict(message.entities) if message.button else (self.read_facts(message.text) if message.text else {})
        named = city_id_of(said.get("city"))
        if named is None or set(said) - {"city"}:
            return None
        state.facts.setdefault("city", named)  # what comes next ("要带什么材料") is about that city
        return self._holder_answer(state, named, case)

    def _holder_answer(self, state: State, card_city: Optional[str], case: dict[str, Any]) -> Out:
        cards = [card_city] if card_city else city_ids()
        event, to_city = case.get("event"), case.get("to_city")
        texts_ = [render_holding(card, event, to_city, bool(case.get("to_elsewhere")), self.today())
                  for card in cards]
        text = "\n\n".join(texts_) if len(cards) == 1 else texts.EVERY_CITY + "\n\n" + "\n\n".join(texts_)
        state.holding = None if card_city else dict(case)  # the city named next gets this case
        choices = []
        if event == "move" and to_city and to_city != card_city:
            choices.append(Choice(texts.HOLDER_CHECK_NEW_CITY.format(city=load_city(to_city).name),
                                  "inform", {"city": to_city}))
        choices += [Choice(texts.NEXT_OTHER, "greet"), Choice(texts.HUMAN, "request_human")]
        return Out(text, choices, custom={"holder": {"card_city": card_city, "event": event, "to_city": to_city}})

    def answer_topic(self, name: str, state: State, city: Optional[str] = None) -> Out:
        """A question about the regulation (or the stations' hours), answered for the facts known."""
        city = city or state.city
        as_of = self.today()
        if name == "hours":
            return Out(self._hours(city, get(state.facts, "residence.county")))
        if city is None:
            parts = [texts.EVERY_CITY] + [render_topic(c, name, as_of) for c in city_ids()]
            return Out("\n\n".join(parts))
        facts = dict(state.facts, city=city) if city != state.city else state.facts
        if city != state.city:
            facts = change_city(state.facts, city)
        decision, _ = decide(facts, as_of)
        given = tuple(name for name in ("employment", "study", "by_proxy") if known(facts, name))
        return Out(render_topic_for(decision, name, city, as_of, given))

    # --- questions --------------------------------------------------------------------

    def readback(self, state: State) -> Out:
        """What the assistant understood, one line per fact, and 对吗？ (CONTRACT §2)."""
        lines = readback_lines(state.facts)
        text = texts.READBACK.format(lines="\n".join("· " + line for line in lines))
        return Out(text, [Choice(texts.READBACK_YES, "affirm"), Choice(texts.READBACK_NO, "deny")],
                   custom={"readback": {"facts": copy.deepcopy(state.facts),
                                        "lines": lines,
                                        "guessed": state.guessed()}},
                   role="question", fact=READBACK, closed=True)


    # --- inside -------------------------------------------------------------------------

    def _take(self, state: State, reading: Reading, message: Message, reply: Reply, announce: bool = True) -> None:
        """Merge what the message says into the state, with the words that say so."""
        found = dict(reading.found)
        new_city = city_id_of(found.pop("city", None))
        if new_city and state.city and new_city != state.city:
            state.facts = change_city(state.facts, new_city)
            state.skipped = [name for name in state.skipped if not name.startswith("residence.")]
            reply.changed["city"] = new_city
            reply.cases.append("city_change")
            if announce:
                reply.messages.append(Out(texts.CITY_CHANGED.format(city=load_city(new_city).name)))
        elif new_city and not state.city:
            state.facts["city"] = new_city
            reply.changed["city"] = new_city
        if self.ask_who and WHO not in state.facts and WHO not in found and personal(found) \
                and not message.button and speaks_for_self(message.text):
            found[WHO] = False  # "我在聊城租房…": the speaker applies for themselves
        state.facts, changed, corrected = merge(state.facts, found)
        reply.changed.update(changed)
        for name in changed:
            if name in state.skipped:
                state.skipped.remove(name)
        self._note_sources(state, reading, message, reply.changed, reply)
        if reading.answered:
            reply.cases.append("answer")
        elif changed:
            reply.cases.append("facts")
        if corrected:
            reply.cases.append("correction")
            if announce:
                reply.messages.append(Out(texts.CORRECTED))
        if announce:
            for name, words in reading.approximate.items():
                value = state.facts.get(name)
                if isinstance(value, int) and name != "age":
                    value = months_text(value)
                elif name == "age" and isinstance(value, int):
                    value = f"{value}岁"
                elif name == "hukou":
                    value = "外地户口" if (state.facts.get("hukou") or {}).get("city") == "外地" else None
                if value:
                    reply.messages.append(Out(texts.APPROXIMATE.format(words=words.strip("，。 "), value=value)))

    @staticmethod
    def _note_sources(state: State, reading: Reading, message: Message, changed: dict[str, Any],
                      reply: Reply) -> None:
        """Where each fact this message set came from: a button, the plain answer to
        the question asked, or words inside a longer message (kept, for the read-back)."""
        asked = (state.asked or "").split(".", 1)[0]
        for name in {dotted.split(".", 1)[0] for dotted in changed}:
            if name not in state.facts:
                state.sources.pop(name, None)
            elif message.button:
                state.sources[name] = {"how": BUTTON}
            elif reading.answered and name == asked and not reading.approximate.get(name) \
                    and all(n.split(".", 1)[0] in (asked, "city") for n in changed):
                state.sources[name] = {"how": ANSWER}
            else:
                # The words, masked (a phone or ID number said in passing is not kept).
                state.sources[name] = {"how": WORDS, "words": mask_text((message.text or "")[:80])}
        if "city_change" in reply.cases and "residence" not in state.facts:
            state.sources.pop("residence", None)

    def _readback_answer(self, state: State, message: Message, reply: Reply) -> Reply:
        """The answer to "我理解的是…对吗？": 对 gives the verdict; words correct exactly the
        facts they name (and it reads back again); 不对 alone asks which one."""
        reading = read(message, None, None, state.city, self.today())
        _file_bare_duration(state.facts, reading)
        before = copy.deepcopy(state.facts)
        self._take(state, reading, message, reply, announce=False)
        changed = sorted({name.split(".", 1)[0] for name in reply.changed})
        if changed:
            reply.cases.append("correction")
            lines = [f"{fact_label(name, state.city)}改为{fact_value_text(name, state.facts[name], state.city)}"
                     if name in state.facts else f"{fact_label(name, state.city)}已删除" for name in changed
                     if state.facts.get(name) != before.get(name) or name not in state.facts]
            reply.messages.append(Out(texts.READBACK_CHANGED.format(what="；".join(lines) or "您说的情况")))
            return self._finish(state, reply, asked_before=READBACK)
        verdict = _readback_yes_no(message)
        if verdict is True:
            reply.cases.append("confirmed")
            state.confirm()
            return self._finish(state, reply, asked_before=READBACK)
        if verdict is False:
            reply.cases.append("readback_denied")
            reply.messages.append(Out(texts.READBACK_WHICH, [Choice(texts.READBACK_RESTART, "start_over")]))
            return self._end_turn(state, reply, reply.decision, READBACK, READBACK)
        side = topic(message)
        if side:
            reply.cases.append("side_question")
            reply.messages.append(self.answer_topic(side, state))
            return self._finish(state, reply, asked_before=READBACK)
        handed = leave(message)
        if handed:
            reply.cases.append("leave")
            reply.ended, reply.leave = "leave", handed
            reply.decision, _ = decide(state.facts, self.today())
            return reply
        state.tries += 1
        reply.cases.append("not_understood")
        return self._finish(state, reply, asked_before=READBACK, failed=True, hint=texts.READBACK_HINT)

    def _skip(self, state: State, fact: str) -> None:
        if fact not in state.skipped:
            state.skipped.append(fact)

    def _next(self, state: State, decision: Optional[dict[str, Any]]) -> Optional[str]:
        if decision is None:
            return "city"
        if decision["verdict"] == "undetermined":
            if self.ask_who and WHO not in state.facts and WHO not in state.skipped:
                return WHO
            for fact in decision["missing"]:
                if fact not in state.skipped:
                    return fact
        # A verdict rests only on what the person said or confirmed.
        return READBACK if state.guessed() else None

    def _finish(self, state: State, reply: Reply, *, asked_before: Optional[str], failed: bool = False,
                hint: Optional[str] = None) -> Reply:
        """Decide on the facts, then ask the next question (or give the verdict).

        After a failed answer the question comes again with the parser's hint;
        after a second one, the reason for it and a choice of answers; a third
        skips it (the city cannot be skipped: the interview stops instead).
        """
        decision, dropped = decide(state.facts, self.today())
        for name in dropped:
            drop(state.facts, name)
            reply.changed[name] = None
        next_fact = self._next(state, decision)
        if next_fact != asked_before:
            state.tries = 0
        elif failed and next_fact:
            if state.tries > MAX_FAILED:
                state.tries = 0
                if next_fact in ("city", READBACK):
                    names = "、".join(load_city(c).name for c in city_ids())
                    reply.messages.append(Out(texts.CITY_GIVE_UP.format(cities=names), self._menu()))
                    reply.cases.append("stop")
                    reply.ended = "stopped"
                    return self._end_turn(state, reply, decision, None, asked_before)
                reply.cases.append("skip")
                self._skip(state, next_fact)
                reply.messages.append(Out(texts.SKIPPED_AFTER_TRIES))
                return self._finish(state, reply, asked_before=next_fact)
            if state.tries == MAX_FAILED:
                reply.cases.append("explain")
                reply.messages.append(self.explain(next_fact, state))
                return self._end_turn(state, reply, decision, next_fact, asked_before)
            reply.messages.append(Out(hint or texts.NOT_UNDERSTOOD))
        if next_fact is None:
            reply.cases.append("verdict")
            reply.ended = "verdict"
            reply.messages.extend(self.conclude(state))
        else:
            reply.messages.append(self.question(next_fact, state))
        return self._end_turn(state, reply, decision, next_fact, asked_before)

    def _end_turn(self, state: State, reply: Reply, decision: Optional[dict[str, Any]], next_fact: Optional[str],
                  asked_before: Optional[str]) -> Reply:
        reply.decision = decision
        reply.next = next_fact
        if next_fact != asked_before:
            state.previous = asked_before if asked_before else state.previous
        state.asked = next_fact
        state.last = [out.as_dict() for out in reply.messages]
        return reply


_YES = re.compile(r"^(?:对|对的|对啊|对呀|对了|是|是的|是啊|没错|没问题|正确|都对|全对|确认|确定|嗯+|恩+|好|好的|行|可以|ok|yes|"
                  r"对没错|没错对|是这样|就是这样)(?:的|啊|呀|吧|了|哈|呢)*$", re.I)
_NO = re.compile(r"^(?:不对|不是|错了|有错|有不对的?|有问题|不正确|不太对|有一?点不对|有一?项不对|有一?个不对|改一下|我要改|我改一下|"
                 r"有不对的，?我改一下|no)(?:的|啊|呀|吧|了|哈|呢)*$", re.I)


_NOT_KNOWING = re.compile(r"知道|清楚|记|忘|确定|晓得|说不|没数")


def _file_bare_duration(facts: dict[str, Any], reading: Reading) -> None:
    """"不对，是八个月，登记也是八个月" at the read-back: a duration said for no fact
    corrects the one duration read back that the message does not name otherwise."""
    months = [item["months"] for item in reading.unbound if "months" in item]
    open_ = [name for name in DURATIONS if name in facts and name not in reading.found
             and not (name == "registered_months" and facts[name] is None)]
    if len(months) == 1 and len(open_) == 1:
        reading.found[open_[0]] = months[0]


def _readback_yes_no(message: Message) -> Optional[bool]:
    if message.button:
        return {"affirm": True, "deny": False}.get(message.intent or "")
    plain = re.sub(r"[\s，。,.!！?？~～、]+", "", message.text or "")
    if _YES.match(plain):
        return True
    if _NO.match(plain):
        return False
    if message.nlu("affirm") and message.confidence >= 0.8 and len(plain) <= 4:
        return True
    return None


