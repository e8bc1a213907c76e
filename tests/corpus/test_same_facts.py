"""The same facts however they are written or spoken (issue 17).

A corpus of openers as applicants write them (openers.yml, each read by a
person) must read to the facts written beside it; then Hypothesis varies how
each is written the way voice input and phones do (no punctuation, spaces,
fillers such as 嗯/那个/然后, traditional characters, full-width digits,
clauses in another order, a province in pinyin) and every variant must read
to the same facts. What is read is what the chat reads: the interview
driver's ``read_facts`` (the parser plus the driver's own inferences).
People who already hold a permit are read by ``read_holding`` (their case:
whose card, what happened, where to), with the same variations.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dialogue.eligibility import Interview

TODAY = dt.date(2026, 11, 22)
CORPUS = yaml.safe_load((Path(__file__).parent / "openers.yml").read_text(encoding="utf-8"))
OPENERS, HOLDERS = CORPUS["openers"], CORPUS["holders"]
PINYIN = {"河南": "Henan", "河北": "Hebei", "四川": "Sichuan", "贵州": "Guizhou", "山西": "Shanxi", "湖北": "Hubei",
          "湖南": "Hunan", "安徽": "Anhui", "江苏": "Jiangsu", "江西": "Jiangxi", "甘肃": "Gansu", "广东": "Guangdong",
          "福建": "Fujian", "浙江": "Zhejiang", "辽宁": "Liaoning", "吉林": "Jilin", "陕西": "Shaanxi", "重庆": "Chongqing",
          "天津": "Tianjin", "广西": "Guangxi", "昆明": "Kunming"}
_MARKS = re.compile(r"[，,。、；]")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@lru_cache(maxsize=1)
def _s2t():
    from opencc import OpenCC

    return OpenCC("s2t")


def read(text: str) -> dict:
    return Interview(as_of=TODAY).read_facts(text)


def test_the_corpus_is_large_and_varied():
    texts = [entry["text"] for entry in OPENERS]
    assert len(texts) >= 100 and len(set(texts)) == len(texts) and len(HOLDERS) >= 10
    facts = [entry["facts"] for entry in OPENERS]
    assert {f.get("city") for f in facts} >= {"liaocheng", "qujing"}
    assert {f.get("housing") for f in facts} >= {"owned", "rented", "public_housing", "employer_dorm", "school_dorm",
                                                  "none", "other"}
    assert {f.get("employment") for f in facts} >= {"labor_contract", "business_license", "public_sector", "none"}
    assert sum(1 for f in facts if f.get("by_proxy")) >= 8
    assert {f.get("nationality") for f in facts} >= {"foreign", "hk", "mo", "tw"}
    assert sum(1 for t in texts if re.search("没|不是|不在", t)) >= 15  # negations


@pytest.mark.parametrize("entry", OPENERS, ids=[entry["text"][:24] for entry in OPENERS])
def test_each_opener_reads_to_its_facts(entry):
    assert read(entry["text"]) == entry["facts"]


def _clauses(text: str) -> list[str]:
    return [part for part in _MARKS.split(text) if part]


def holding(text: str) -> dict:
    from dataclasses import asdict

    from bot.parsing.holder import read_holding

    found = read_holding(text)
    return asdict(found) if found else {}


@pytest.mark.parametrize("entry", HOLDERS, ids=[entry["text"][:24] for entry in HOLDERS])
def test_each_holder_reads_to_their_case(entry):
    assert holding(entry["text"]) == entry["holding"]


@st.composite
def written(draw, corpus=OPENERS):
    """(the entry, one way of writing its text)."""
    entry = draw(st.sampled_from(corpus))
    parts = _clauses(entry["text"])
    if not entry.get("keep_order") and draw(st.booleans()):
        parts = draw(st.permutations(parts))
    joints = st.sampled_from(["", " ", "，", "  ", " 嗯 ", "，然后", " 那个 ", "，就是说", "。"])
    text = parts[0]
    for part in parts[1:]:
        text += draw(joints) + part
    if draw(st.booleans()):
        text = draw(st.sampled_from(["嗯 ", "那个，", "嗯嗯，", "就是说 "])) + text
    names = [name for name in PINYIN if name in text]
    if names and draw(st.booleans()):
        name = draw(st.sampled_from(names))
        text = text.replace(name, PINYIN[name], 1)
    if draw(st.booleans()):
        text = _s2t().convert(text)
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return entry, text


@settings(max_examples=600)
@given(written())
def test_the_same_facts_however_written_or_spoken(case):
    entry, text = case
    assert read(text) == entry["facts"], text


@settings(max_examples=200)
@given(written(HOLDERS))
def test_a_holders_case_is_the_same_however_written_or_spoken(case):
    entry, text = case
    assert holding(text) == entry["holding"], text
