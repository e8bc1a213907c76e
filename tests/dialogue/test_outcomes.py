"""Flows of the core answer without Rasa (issue 18): the rating and the 签注, as an Outcome."""
from __future__ import annotations

import datetime as dt

from bot.dialogue import endorsement, rating
from bot.handoff import texts as handoff_texts


class Store:
    def __init__(self):
        self.rated, self.comments = [], []

    def rate(self, level, **kwargs):
        self.rated.append((level, kwargs))
        return 7

    def comment(self, rating_id, text):
        self.comments.append((rating_id, text))


def test_a_rating_is_asked_once_stored_once_and_takes_a_comment():
    assert rating.ask({}, "verdict").values == {"feedback_asked": "verdict"}
    assert rating.ask({"feedback_asked": "verdict"}, "booking").messages == []
    store = Store()
    level, said = rating.level_of({}, "挺满意的，就是排队久", payload=False)
    done = rating.rate(store, {"feedback_asked": "verdict"}, level, said, city="liaocheng", verdict="eligible",
                       channel="kiosk")
    assert store.rated[0][0] == level and done.values == {"feedback_rating": "7", "feedback_asked": "verdict"}
    again = rating.rate(store, done.values, 5, None, city=None, verdict=None, channel="kiosk")
    assert [m["text"] for m in again.messages] == [handoff_texts.RATING_ALREADY] and len(store.rated) == 1
    thanks = rating.comment(store, done.values, "意见：希望周末也能办")
    assert store.comments == [(7, "希望周末也能办")] and thanks.messages[0]["buttons"]


def test_the_endorsement_is_offered_as_a_reminder_only_where_one_can_be_sent(monkeypatch):
    monkeypatch.delenv("WECHAT_TEMPLATE_REMINDER", raising=False)
    today = dt.date(2026, 12, 6)
    on_telegram = endorsement.due("去年12月20日办的", {}, "liaocheng", "tg-abc", today)
    on_kiosk = endorsement.due("去年12月20日办的", {}, "liaocheng", "kiosk-abc", today)
    assert endorsement.REMIND_TITLE in [b["title"] for b in on_telegram.messages[0]["buttons"]]
    assert "endorsement" in on_kiosk.messages[-1]["custom"]
    assert on_telegram.values["endorsement_city"] == "liaocheng" and on_telegram.values["endorsement_due"]
    assert [m.get("text") for m in endorsement.stop("kiosk-abc").messages] == [endorsement.NOTHING_TO_CANCEL]
