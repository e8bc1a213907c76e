"""Booking codes that are being guessed: locked after too many failed look-ups."""
from __future__ import annotations

from typing import Optional


from bot.platform.ratelimit import RateLimiter, default_limiter




CODE_LOCKED_TEXT = ("这个预约码查询失败的次数太多，为保护预约人的信息，已暂时锁定，请一小时后再试。"
                    "如果这是您本人的预约，可以拨打办理地点的电话或热线，由工作人员核实后帮您查询、取消或改约。")


class CodeGuesses:
    """Failed look-ups per booking code, whoever tries (``lookup_failures`` in bot/platform/ratelimit.py,
    5 an hour): over the limit the code is locked until the window has passed, so a code
    seen on a shared screen cannot be paired with its phone by trying 10⁴ masked numbers."""

    def __init__(self, limiter: Optional[RateLimiter] = None):
        self._limiter = limiter

    def limiter(self) -> RateLimiter:
        return self._limiter or default_limiter()

    def locked(self, code: str) -> int:
        """Seconds until ``code`` may be tried again; 0 when it may now."""
        decision = self.limiter().peek("lookup_failures", code)
        return 0 if decision.allowed else decision.retry_after_s

    def failed(self, code: str) -> None:
        self.limiter().hit("lookup_failures", code)


