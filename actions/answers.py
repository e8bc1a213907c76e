"""Outside the forms (bot/dialogue/answers.py): questions about the regulation, the hand-off,
clarification, and the repair turns the rules run anywhere."""
from bot.dialogue import answers

from .adapter import core

ActionAnswerTopic = core("action_answer_topic", answers.question)
ActionHumanHandoff = core("action_human_handoff", answers.human)
ActionClarify = core("action_clarify", answers.clarify)
ActionDefaultFallback = core("action_default_fallback", answers.fallback)
ActionReadFacts = core("action_read_facts", answers.read_facts)
ActionAnythingElse = core("action_anything_else", answers.anything_else)
ActionStartOver = core("action_start_over", answers.start_over)
ActionStop = core("action_stop", answers.stop)
ActionRepeat = core("action_repeat", answers.repeat)
