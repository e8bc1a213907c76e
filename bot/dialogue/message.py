"""One message from the person, as every flow of the core reads it.

Words (``text``, with the NLU's ``intent`` and ``confidence`` as a second
opinion when there is one), or a button: ``button`` is true when the text is
a payload (``/inform{"housing":"rented"}``), whose values are ``entities``;
its text is not read as words.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional

UNSURE_BELOW = 0.5  # an NLU intent below this confidence is no opinion

_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z_]+)(?P<entities>\{.*\})?$", re.S)


@dataclass(frozen=True)
class Message:
    text: str = ""
    intent: Optional[str] = None
    confidence: float = 1.0
    entities: dict[str, Any] = field(default_factory=dict)
    button: bool = False

    @classmethod
    def parse(cls, text: str, intent: Optional[str] = None, confidence: float = 1.0,
              entities: Optional[dict[str, Any]] = None) -> "Message":
        """A message from words; a ``/intent{...}`` payload is read as the button it is."""
        text = (text or "").strip()
        match = _PAYLOAD.match(text)
        if match:
            values: dict[str, Any] = {}
            if match.group("entities"):
                try:
                    loaded = json.loads(match.group("entities"))
                    values = loaded if isinstance(loaded, dict) else {}
                except json.JSONDecodeError:
                    values = {}
            return cls(text=text, intent=match.group("intent"), confidence=1.0,
                       entities={**values, **(entities or {})}, button=True)
        return cls(text=text, intent=intent, confidence=confidence, entities=dict(entities or {}))

    @classmethod
    def typed(cls, text: str, intent: Optional[str] = "inform", **entities: Any) -> "Message":
        """Typed words with the NLU's intent and entities (tests, the command line)."""
        return cls(text=text, intent=intent, entities=entities)

    @classmethod
    def tapped(cls, intent: str, **entities: Any) -> "Message":
        """A button's payload, as a channel sends it back."""
        text = f"/{intent}" + (json.dumps(entities, ensure_ascii=False, separators=(",", ":")) if entities else "")
        return cls(text=text, intent=intent, entities=entities, button=True)

    def nlu(self, *intents: str) -> bool:
        """The NLU (or a button) says one of ``intents`` with some confidence."""
        return self.intent in intents and (self.button or self.confidence >= UNSURE_BELOW)
