"""The eligibility interview (bot/dialogue/interview.py): every message of the form, and the verdict."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue import interview

from .adapter import CoreFormValidation, conversation_of, core


class _EligibilityForm(CoreFormValidation):
    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return interview.next_question(conversation_of(tracker))


ValidateEligibilityForm = core("validate_eligibility_form", interview.form_turn, base=_EligibilityForm)
ActionAssess = core("action_assess", interview.verdict)
