"""What every test starts from."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The process's rate limiter (bot.platform.ratelimit) counts from zero in each test: the counts of
    one test (a code's failed look-ups, a sender's bookings) are no other test's business."""
    import bot.platform.ratelimit as ratelimit

    ratelimit._default = None
    yield
    ratelimit._default = None
