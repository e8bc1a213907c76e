"""Ratings after a verdict, a booking or a hand-off (bot/dialogue/rating.py).

Hand-offs are opened by the core's turns themselves (bot/dialogue/handoff.py):
for 转人工, the second "not understood" in a row, and a verdict the
regulation's text leaves open.
"""
from bot.dialogue import rating

from .adapter import core

ActionRate = core("action_rate", rating.take)
ActionFeedbackComment = core("action_feedback_comment", rating.take_comment)
