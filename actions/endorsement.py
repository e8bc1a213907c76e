"""The yearly 签注 (bot/dialogue/endorsement.py): when it is due, "到时提醒我", "不用提醒了".

The reminder itself is the channel's (``custom.endorsement_reminder``): the
Telegram bridge and WeChat know the chat and store or delete it.
"""
from bot.dialogue import endorsement

from .adapter import core

ActionEndorsementDue = core("action_endorsement_due", endorsement.when_due)
ActionRemindEndorsement = core("action_remind_endorsement", endorsement.subscribe)
ActionStopReminder = core("action_stop_reminder", endorsement.unsubscribe)
