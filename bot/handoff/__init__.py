"""Hand-offs to staff with the case attached, and ratings after a conversation (issue 11).

The domain core: :class:`HandoffService` (store + rules) and the applicant's
Chinese texts; no Rasa, no HTTP. The channels ask it whether a person has a
conversation; bot/dialogue/handoff.py and rating.py open hand-offs and store ratings;
bot/channels/web/handoffs.py is the staff's view.
"""
from .service import HandoffError, HandoffService, channel_of, staff_hours  # noqa: F401
