"""Rasa custom actions: thin glue between the tracker and the domain core.

They map slots to a facts object and back (``facts``), ask the engine
(``bot.rules``) for a decision and hand its rendered text to the channel with
buttons. No legal condition and no legal wording lives here: verdicts,
questions and answers about the regulation come from ``bot.rules``; the
assistant's own words (button titles, prompts) are in ``texts``.

Modules: ``interview`` (the eligibility form: validator, questions, verdict),
``answers`` (questions about the regulation, hand-off, clarification),
``booking`` (booking, looking up and cancelling a visit at a station).
"""
