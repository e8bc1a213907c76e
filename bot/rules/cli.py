"""`juzhu assess`: the rules from the terminal."""
from __future__ import annotations

import argparse
import json
import sys

from . import assess
from .facts import FactsError, parse_facts
from .render import render_decision


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("assess", help="assess one facts object (JSON on stdin)")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON (CONTRACT.md section 3)")
    parser.set_defaults(handler=run_assess)


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
