"""Work Rasa 3.6 does on every call that can be done once per process.

Measured with scripts/profile_turn.py and py-spy on this project's turns
(README, "Speed"): the biggest single cost of a turn on the Rasa side was
not a model but checking the action server's answer. ``RemoteAction``
calls ``jsonschema.validate(result, schema)`` on every call, and
``jsonschema.validate`` first checks the *schema itself* against its
metaschema, every time (jsonschema 4.17): about half of Rasa's CPU time
per turn here. The schema never changes, so it is checked once and one
compiled validator is kept; every answer is still validated, with the same
error as before.

:func:`install` is idempotent and changes nothing else. It runs in the Rasa
process: bot.lock_store imports it, and endpoints.yml always names that
lock store, so every Rasa server of this project (``make run``,
``make cluster``, the tests' servers) has it.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Optional

log = logging.getLogger(__name__)

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Patch Rasa's per-call inefficiencies (once per process)."""
    global _installed
    if os.environ.get("JUZHU_RASA_SPEEDUPS", "1").strip() == "0":  # to measure what they save
        log.warning("Rasa speed-ups off (JUZHU_RASA_SPEEDUPS=0)")
        return
    with _install_lock:
        if _installed:
            return
        _patch_action_result_validation()
        _installed = True
        log.debug("Rasa speed-ups installed")


def _patch_action_result_validation() -> None:
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    if getattr(original, "juzhu_cached", False):
        return
    validator: Optional[Any] = None

    def compiled() -> Any:
        nonlocal validator
        if validator is None:
            from jsonschema.validators import validator_for

            schema = RemoteAction.action_response_format_spec()
            cls = validator_for(schema)
            cls.check_schema(schema)  # what jsonschema.validate did on every call, now once
            validator = cls(schema)
        return validator

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        from jsonschema import ValidationError
        from jsonschema.exceptions import best_match

        from rasa.shared.constants import DOCS_BASE_URL

        error = best_match(compiled().iter_errors(result))  # as jsonschema.validate reports it
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result.juzhu_cached = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
