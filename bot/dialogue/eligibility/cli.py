"""`juzhu interview`: the hotline's script aid in a terminal, on the interview driver."""
from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any, Callable, Optional

from bot.platform.errors import BadInput
from bot.rules import city_ids, find_city, render_decision

from .driver import Interview as Driver
from .reading import Message


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "interview", help="hotline script aid: ask for the missing facts, then decide",
        description="The hotline's script aid in a terminal: asks, one question at a time and in the "
                    "order the city's regulation needs them, the facts a caller has not given yet "
                    "(city, residence time, housing, work or study, registration), then prints the "
                    "verdict with its articles and the checklist to read out. Answers are typed as "
                    "the caller says them (\"租房住了八个月\"); \"不知道\" and corrections are understood. "
                    "--json prints the final decision as `juzhu assess` does.")
    parser.add_argument("--city", help="city id or name (liaocheng/聊城, qujing/曲靖); asked when omitted")
    parser.add_argument("--as-of", help="assessment day YYYY-MM-DD (default today)")
    parser.add_argument("--json", action="store_true", help="print the final decision as JSON")
    parser.set_defaults(handler=run_interview)


class Interview:
    """The hotline script aid: the interview driver (bot.dialogue.eligibility) in a terminal.

    ``ask(prompt)`` returns the caller's answer as typed (None at the end of
    input); ``say(text)`` prints everything else. The questions, the reading
    of the answers and every repair (corrections, side questions, "重来",
    "不知道", "再说一遍") are the driver's, as in the chat and on the staff
    page; closed questions are numbered and a number picks that answer.
    """

    def __init__(self, ask: Callable[[str], Optional[str]], say: Callable[[str], None],
                 city: Optional[str] = None, as_of: Optional[dt.date] = None):
        self.ask, self.say = ask, say
        self.city = city
        self.driver = Driver(as_of=as_of)
        self.questions = 0
        self.asked: list[str] = []  # the facts asked, in order
        self.reply = None

    def run(self) -> Optional[dict[str, Any]]:
        reply = self.driver.start(city=self.city)
        while True:
            self.reply = reply
            question = None
            for out in reply.messages:
                if out.role == "verdict":
                    continue
                if out.role == "question" and out is reply.messages[-1]:
                    question = out
                else:
                    self.say(out.text)
            if reply.ended == "verdict":
                return reply.decision
            if reply.ended == "stopped":
                return None
            if question is None:
                return reply.decision if reply.decision and reply.decision["verdict"] != "undetermined" else None
            self.questions += 1
            self.asked.append(question.fact or "")
            answer = self.ask(self._prompt(question))
            if answer is None:
                return None
            message = self._choice(question, answer) or Message.parse(answer)
            reply = self.driver.handle(reply.state, message)

    @staticmethod
    def _prompt(question: Any) -> str:
        text = question.text
        if question.closed and question.choices:
            text += "\n" + "  ".join(f"{n}. {c.title}" for n, c in enumerate(question.choices, 1))
        return text

    @staticmethod
    def _choice(question: Any, answer: str) -> Any:
        """A number typed for a closed question picks that answer."""
        text = answer.strip()
        if question.closed and text.isdigit() and 1 <= int(text) <= len(question.choices):
            return question.choices[int(text) - 1].message()
        return None


def _terminal_ask(prompt: str) -> Optional[str]:
    try:
        return input(prompt + "\n> ")
    except EOFError:
        return None


def run_interview(args: argparse.Namespace) -> int:
    city = None
    if args.city:
        found = find_city(args.city)
        if found is None:
            raise BadInput(f"--city: unknown city {args.city!r}; accepted: " + ", ".join(city_ids()))
        city = found.id
    as_of = None
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise BadInput(f"--as-of: expected a date YYYY-MM-DD, got {args.as_of!r}") from None
    interview = Interview(_terminal_ask, print, city=city, as_of=as_of)
    decision = interview.run()
    if decision is None:
        print("访谈未完成，没有作出判断。")
        return 0
    print()
    print(json.dumps(decision, ensure_ascii=False, indent=2) if args.json else render_decision(decision))
    return 0
