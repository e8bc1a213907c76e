"""`juzhu assess` and `juzhu interview`: the rules from the terminal."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any, Callable, Optional

from . import labels
from .engine import assess
from .facts import FactsError, parse_facts
from .policy import city_ids, find_city
from .render import question_for, render_decision

MAX_TRIES_PER_QUESTION = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("assess", help="assess one facts object (JSON on stdin)")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON (CONTRACT.md section 3)")
    parser.set_defaults(handler=run_assess)

    parser = subparsers.add_parser("interview", help="hotline script aid: ask for the missing facts, then decide")
    parser.add_argument("--city", help="city id or name (liaocheng/聊城, qujing/曲靖); asked when omitted")
    parser.add_argument("--as-of", help="assessment day YYYY-MM-DD (default today)")
    parser.add_argument("--json", action="store_true", help="print the final decision as JSON")
    parser.set_defaults(handler=run_interview)


def _bad_input(message: str) -> int:
    print(f"juzhu assess: {message}", file=sys.stderr)
    return 2


def run_assess(args: argparse.Namespace) -> int:
    text = sys.stdin.read()
    if not text.strip():
        return _bad_input('facts: no input on stdin; expected a JSON object such as {"city": "liaocheng"}')
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return _bad_input(f"facts: malformed JSON at line {error.lineno} column {error.colno}: {error.msg}")
    try:
        decision = assess(parse_facts(raw))
    except FactsError as error:
        return _bad_input(str(error))
    if args.json:
        print(json.dumps(decision, ensure_ascii=False, indent=2))
    else:
        print(render_decision(decision))
    return 0


class Interview:
    """Asks only what the engine reports missing, one question at a time."""

    def __init__(self, ask: Callable[[str], Optional[str]], say: Callable[[str], None],
                 city: Optional[str] = None, as_of: Optional[dt.date] = None):
        self.ask, self.say = ask, say
        self.facts: dict[str, Any] = {}
        if city:
            self.facts["city"] = city
        self.as_of = as_of
        self.questions = 0

    def run(self) -> Optional[dict[str, Any]]:
        from bot.parsing import extract_facts

        if "city" not in self.facts:
            city = self._ask_until("city", "申请人现在住在哪个城市？（" + "、".join(
                find_city(c).name for c in city_ids()) + "）", self._parse_city)
            if city is None:
                return None
            self.facts["city"] = city
        opening = self.ask("请简单说说申请人的情况（户口在哪、住了多久、住房和工作等；直接回车跳过）：")
        if opening is None:
            return None
        if opening.strip():
            self._merge(extract_facts(opening, self.facts["city"], self.as_of))
        while True:
            decision = self._decide()
            if decision["verdict"] != "undetermined":
                return decision
            fact = decision["missing"][0]
            value = self._ask_until(fact, self._question(fact), self._answer_parser(fact))
            if value is _GAVE_UP:
                return None
            self._set(fact, value)

    def _decide(self) -> dict[str, Any]:
        facts = dict(self.facts)
        if self.as_of:
            facts["as_of"] = self.as_of.isoformat()
        return assess(parse_facts(facts))

    def _question(self, fact: str) -> str:
        question = question_for(fact, self.facts["city"])
        choices = labels.CHOICES.get(fact)
        if choices:
            question += "\n" + "  ".join(f"{n}. {label}" for n, (_, label) in enumerate(choices, 1))
        return question

    def _answer_parser(self, fact: str) -> Callable[[str], Any]:
        from bot.parsing import parse_answer

        choices = labels.CHOICES.get(fact)

        def parse(text: str) -> Any:
            if choices and text.strip().isdigit() and 1 <= int(text.strip()) <= len(choices):
                return choices[int(text.strip()) - 1][0]
            return parse_answer(fact, text, self.facts["city"], self.as_of)
        return parse

    @staticmethod
    def _parse_city(text: str) -> str:
        city = find_city(text.strip())
        if city is None:
            from bot.parsing import NotUnderstood
            raise NotUnderstood("目前只能办理" + "、".join(find_city(c).name for c in city_ids()) + "的居住证，请说其中一个。")
        return city.id

    def _ask_until(self, fact: str, question: str, parse: Callable[[str], Any]) -> Any:
        from bot.parsing import NotUnderstood

        for _ in range(MAX_TRIES_PER_QUESTION):
            self.questions += 1
            answer = self.ask(question)
            if answer is None:
                return _GAVE_UP
            try:
                return parse(answer)
            except NotUnderstood as error:
                self.say(str(error))
        self.say("这个问题先跳过，建议让来电人到派出所当面咨询。")
        return _GAVE_UP

    def _set(self, fact: str, value: Any) -> None:
        if fact.startswith(("hukou.", "residence.")):
            group, key = fact.split(".", 1)
            if isinstance(value, dict):
                self.facts.setdefault(group, {}).update({k: v for k, v in value.items() if v})
            else:
                self.facts.setdefault(group, {})[key] = value
        else:
            self.facts[fact] = value

    def _merge(self, found: dict[str, Any]) -> None:
        for key, value in found.items():
            if key == "city" and value != self.facts.get("city"):
                continue  # the city was asked for explicitly
            if isinstance(value, dict):
                self.facts.setdefault(key, {}).update(value)
            else:
                self.facts[key] = value


_GAVE_UP = object()


def _terminal_ask(prompt: str) -> Optional[str]:
    try:
        return input(prompt + "\n> ")
    except EOFError:
        return None


def run_interview(args: argparse.Namespace) -> int:
    from bot.errors import BadInput

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
