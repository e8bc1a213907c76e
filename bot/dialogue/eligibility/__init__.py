"""The interview: one driver for the chat, the hotline terminal and the staff page.

See :mod:`bot.dialogue.eligibility.driver`. It knows no Rasa, no HTTP and no database:
the law comes from ``bot.rules``, the reading of Chinese answers from
``bot.parsing``; a channel turns its ``Reply`` into messages and keeps its
``State`` between two messages.
"""
from .driver import WHO, Choice, Interview, Out, Reply, State
from .facts import city_id_of, decide, personal
from .reading import TOPIC_OF_INTENT, Message

__all__ = ["WHO", "Choice", "Interview", "Message", "Out", "Reply", "State", "TOPIC_OF_INTENT", "city_id_of",
           "decide", "personal"]
