"""bot/rasa_ext/turn_policy.py: the turns the words and the conversation decide (issue 20, items 6 and 9).

Trackers are built from Rasa's own events; the model-level behaviour (the
policy above RulePolicy in a trained model) is in
tests/e2e/test_issue20_conversations.py over REST.
"""
from __future__ import annotations

import random

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.handoff.texts import RATING_COMMENT_INVITE, RATING_THANKS
from bot.rasa_ext.turn_policy import TurnPolicy, lookup_form

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("t", [ActionExecuted(ACTION_LISTEN_NAME), *events])


def user(text: str, intent: str = "inform", confidence: float = 0.7) -> list:
    return [ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, {"name": intent, "confidence": confidence})]


@pytest.mark.parametrize("seed", range(300))
def test_a_code_and_a_phone_in_one_message_is_a_look_up_for_any_code(seed):
    rng = random.Random(seed)
    code = "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
    phone = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    text = rng.choice(["查询预约 {c} {p}", "查一下预约{c}，手机{p}", "{c} {p}", "预约码{c} 电话{p} 我想看看"]).format(
        c=code if rng.random() < 0.7 else code.lower(), p=phone)
    if not any(ch.isalpha() for ch in code):
        pytest.skip("a code of digits only is read as a number")
    assert TurnPolicy.next_action(tracker(*user(text))) == "check_form", text


def test_cancel_and_reschedule_words_choose_their_form():
    assert lookup_form("取消预约 K7Q2M9 13912345678") == "cancel_form"
    assert lookup_form("K7Q2M9 13912345678 改到周五") == "reschedule_form"
    assert lookup_form("我户口在河北 电话13912345678") is None  # no code
    assert lookup_form('/inform{"booking_code":"K7Q2M9","phone":"13912345678"}') is None  # a button


def test_forms_that_read_codes_themselves_are_left_alone():
    events = [ActiveLoop("booking_form"), *user("K7Q2M9 13912345678")]
    assert TurnPolicy.next_action(tracker(*events)) is None
    events = [ActiveLoop("eligibility_form"), *user("查询预约 K7Q2M9 13912345678")]
    assert TurnPolicy.next_action(tracker(*events)) == "check_form"


@pytest.mark.parametrize("text, intent, confidence", [
    ("意见：字可以再大一点，老人看不清", "ask_materials", 0.95),
    ("字可以再大一点，老人看不清", "ask_materials", 0.6),
    ("排队太久了", "nlu_fallback", 0.3),
    ("希望周末也能办", "ask_processing_time", 0.8),
])
def test_the_message_after_the_comment_invitation_is_the_comment(text, intent, confidence):
    invited = [BotUttered(RATING_THANKS + RATING_COMMENT_INVITE), *user(text, intent, confidence)]
    assert TurnPolicy.next_action(tracker(*invited)) == "action_feedback_comment"
    after = tracker(*invited, ActionExecuted("action_feedback_comment"))
    assert TurnPolicy.next_action(after) == ACTION_LISTEN_NAME


def test_a_sure_new_request_or_a_tap_after_the_invitation_is_not_a_comment():
    invite = BotUttered(RATING_THANKS + RATING_COMMENT_INVITE)
    assert TurnPolicy.next_action(tracker(invite, *user("我要预约", "book_appointment", 0.97))) is None
    assert TurnPolicy.next_action(tracker(invite, *user("/greet", "greet", 1.0))) is None
    # Without the invitation just before, the same words are no comment.
    assert TurnPolicy.next_action(tracker(BotUttered("您在现住址住了多久？"), *user("字太小了"))) is None
