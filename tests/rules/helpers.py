import datetime as dt

from bot.rules import assess_dict

TODAY = dt.date(2026, 11, 22)


def decide_on(day, **facts):
    facts.setdefault("as_of", day.isoformat())
    return assess_dict(facts)


def articles(decision):
    return [c["article"] for c in decision["citations"]]


def reason_articles(decision):
    return [a for r in decision["reasons"] for a in r["articles"]]


def codes(decision):
    return [m["code"] for m in decision["materials"]]
