"""Rasa custom actions: adapters of the conversation core (``bot.dialogue``).

Each action is a name in the domain and a core turn: the tracker becomes a
``Conversation``, the turn answers an ``Outcome`` (messages, values, what
runs next), and ``guard.deliver`` turns that into Rasa's messages and events
(``adapter.py``). No legal condition, no wording and no dialogue logic lives
here; ``guard.py`` makes every action answer "busy" rather than fail.

Modules: ``interview`` (the eligibility form and the verdict), ``answers``
(questions about the regulation, hand-off, clarification, repair),
``booking`` (booking, looking up, cancelling and moving a visit),
``handoff`` (ratings), ``endorsement`` (the yearly 签注).
"""
