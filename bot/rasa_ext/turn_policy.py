"""Turns whose meaning is fixed by their words and the conversation, not by a classifier.

A Rasa policy (named in config.yml, above RulePolicy by priority), Rasa 3.6's
extension point for deciding the next action: it looks at the tracker and,
in the two situations below, predicts the action with certainty; otherwise
it abstains (all zeros) and the rules decide as before.

1. **A look-up typed in one message.** A message that holds a booking code
   and a mobile number is about that booking, whatever else it says
   ("查询预约 K7Q2M9 13912345678"): the classifier read about one code in
   twelve as something else (letters that look like words) and started the
   eligibility interview (issue 20). It goes to the look-up form, or to the
   cancel / reschedule form when it says so; the form reads the code and the
   phone from the same message. Not while a booking or look-up form is
   asking its own questions: those read codes and phones themselves.
2. **The comment the assistant asked for.** After a rating the assistant
   invites a comment; the next typed message is that comment, whatever its
   first word ("字可以再大一点，老人看不清" was "没有完全明白"), unless the
   classifier is sure it is a new request (a question, a booking), which is
   then answered as usual.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.handoff.texts import RATING_COMMENT_INVITE
from bot.parsing import contact

log = logging.getLogger(__name__)

COMMENT_ACTION = "action_feedback_comment"
# Forms that read booking codes and phones themselves.
OWN_READERS = ("booking_form", "check_form", "cancel_form", "reschedule_form")
CANCEL_WORDS = ("取消", "退掉", "不去了", "撤销", "退订")
RESCHEDULE_WORDS = ("改约", "改到", "改成", "改时间", "换个时间", "换时间", "换到", "挪到", "推迟", "提前到", "改期")
# Requests the classifier may take over a comment when it is this sure.
NEW_REQUESTS = ("book_appointment", "check_appointment", "cancel_appointment", "reschedule_appointment",
                "request_human", "restart", "start_over", "greet", "stop")
SURE = 0.9
COMMENT_LEADS = ("意见", "建议", "我的意见", "我的建议", "反馈")


def lookup_form(text: str) -> Optional[str]:
    """The form a typed message holding a booking code and a mobile number belongs to; None otherwise."""
    if not text or text.startswith("/"):
        return None
    if contact.read_code(text) is None or contact.find_phone(text) is None:
        return None
    if any(word in text for word in CANCEL_WORDS):
        return "cancel_form"
    if any(word in text for word in RESCHEDULE_WORDS):
        return "reschedule_form"
    return "check_form"


def _latest_user_and_bot_before(tracker: DialogueStateTracker) -> tuple[Optional[UserUttered], Optional[BotUttered]]:
    user: Optional[UserUttered] = None
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if user is not None:
                return user, None  # another user turn before any bot message
            user = event
        elif isinstance(event, BotUttered) and user is not None:
            return user, event
    return user, None


def is_invited_comment(tracker: DialogueStateTracker) -> bool:
    """The latest message answers the assistant's invitation to comment on its rating."""
    user, bot = _latest_user_and_bot_before(tracker)
    if user is None or bot is None or RATING_COMMENT_INVITE not in (bot.text or ""):
        return False
    text = (user.text or "").strip()
    if not text or text.startswith("/"):
        return False
    if text.startswith(COMMENT_LEADS):
        return True
    intent = user.intent or {}
    return not (intent.get("name") in NEW_REQUESTS and float(intent.get("confidence") or 0) >= SURE)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class TurnPolicy(Policy):
    """See the module's docstring. Nothing is learned: training persists nothing."""

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_DATA

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {POLICY_PRIORITY: RULE_POLICY_PRIORITY + 1}  # above RulePolicy: when it speaks, it is sure

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[dict[str, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self.next_action(tracker)
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)

    @staticmethod
    def next_action(tracker: DialogueStateTracker) -> Optional[str]:
        latest = tracker.latest_action_name
        if latest == COMMENT_ACTION:
            return ACTION_LISTEN_NAME
        if latest != ACTION_LISTEN_NAME or tracker.latest_message is None:
            return None
        text = (tracker.latest_message.text or "").strip()
        if is_invited_comment(tracker):
            return COMMENT_ACTION
        if tracker.active_loop_name not in OWN_READERS:
            form = lookup_form(text)
            if form is not None:
                log.info("a booking code and a phone in one message: %s", form)
                return form
        return None
