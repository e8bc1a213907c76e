"""Found typing as a user (issue 18's last check): the same sentence with and without punctuation,
as voice input gives it, must give the same facts."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.parsing import extract_facts

TODAY = dt.date(2026, 12, 6)


@pytest.mark.parametrize("typed", [
    "你好我户口是四川的，在曲靖沾益区打工住厂里宿舍，合同没签，住了八个月了，暂住登记也没办过，这种能办吗",
])
def test_voice_input_without_punctuation_reads_the_same_facts(typed):
    spoken = typed.replace("，", "")
    facts = extract_facts(typed, None, TODAY)
    assert facts["employment"] == "none" and facts["lived_months"] == 8 and facts["registered_months"] is None
    assert extract_facts(spoken, None, TODAY) == facts  # not a contract the person denied, nor a lost duration
