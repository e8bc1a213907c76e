"""The bot token never in the logs: a record factory filter, and compact library errors."""
from __future__ import annotations

import logging
from typing import Any


# What a reminder knows of a booking, and where it is looked up: shared with WeChat.


log = logging.getLogger("juzhu.telegram")


# --- the token never in the logs ---------------------------------------------------

REDACTED = "[REDACTED]"


class TokenRedactingFilter(logging.Filter):
    """Replaces the bot token (and its secret half) in a record's message,
    exception text and stack text. Returns True: records are never dropped."""

    def __init__(self, *secrets: str):
        super().__init__()
        found: list[str] = []
        for secret in secrets:
            if not secret:
                continue
            found.append(secret)
            _, _, secret_half = secret.partition(":")
            if len(secret_half) >= 8:
                found.append(secret_half)
        # Longest first, so the whole token is replaced before its half.
        self.secrets = sorted(set(found), key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error report
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler")


def compact_library_error(record: logging.LogRecord) -> None:
    """A python-telegram-bot / httpx record with a traceback becomes one line
    (the exception's type and message appended): network trouble is an
    operator's message, not a stack dump."""
    if record.exc_info and record.name.startswith(("telegram", "httpx", "httpcore")):
        error = record.exc_info[1]
        try:
            message = record.getMessage()
        except Exception:
            return
        if error is not None:
            message = f"{message} ({type(error).__name__}: {error})"
        record.msg, record.args, record.exc_info, record.exc_text = message, None, None, None


class TokenRedaction:
    """Installed redaction: :meth:`remove` undoes it (tests install and remove)."""

    def __init__(self, token_filter: TokenRedactingFilter, *, compact: bool = False):
        self.filter = token_filter
        self._previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = self._previous(*args, **kwargs)
            if compact:
                compact_library_error(record)
            self.filter.filter(record)
            return record

        self._factory = factory
        logging.setLogRecordFactory(factory)

    def remove(self) -> None:
        if logging.getLogRecordFactory() is self._factory:
            logging.setLogRecordFactory(self._previous)
        else:  # someone wrapped ours: keep the chain, make ours a no-op
            self.filter.secrets = []


def install_token_redaction(token: str, *, quiet: bool = True, compact: bool = False) -> TokenRedaction:
    """Redact ``token`` from every log record made from now on, whatever its
    logger or handler (the filter runs in the record factory, so child
    loggers and handlers added later, like pytest's caplog, are covered);
    with ``quiet``, set the loggers that print request URLs to WARNING; with
    ``compact``, library errors are logged in one line, without traceback."""
    if quiet:
        for name in NOISY_LOGGERS:
            logger = logging.getLogger(name)
            if logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
    return TokenRedaction(TokenRedactingFilter(token), compact=compact)
