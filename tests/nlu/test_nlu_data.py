"""The NLU training data (data/nlu/) and Jieba dictionary (data/jieba/).

No model needed: these read the files the way Rasa does
(rasa.shared.nlu.training_data.loading and the RegexEntityExtractor's own
pattern builder) and check that

* every intent of CONTRACT.md section 2 is there, with enough examples, and
  besides them only the conversation-repair intents; no text is an example
  of two intents;
* the city/county lookups agree with bot/rules/cities/*.yml;
* every entity annotation is exactly what RegexEntityExtractor will find in
  that text (so cross-validation entity scores mean something and the model
  sees what it will see at run time), and every span is whole Jieba tokens;
* every lookup word maps to a value the rules engine accepts;
* no example is a mechanical variant of another (a polite prefix, a
  particle, a place or punctuation added, or >= 80 % similar once those are
  taken away: scripts/nlu_variants.py), and no held-out message
  (heldout.yml) is that close to a training example.

When an annotation check fails, the message shows the line as it should be.
"""
from __future__ import annotations

import glob
import importlib.util
import logging
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"
JIEBA_DIR = ROOT / "data" / "jieba"
CITIES_DIR = ROOT / "bot" / "rules" / "cities"
HELDOUT = Path(__file__).with_name("heldout.yml")
MIN_HELDOUT_PER_INTENT = 5


def _load_variants_module():
    spec = importlib.util.spec_from_file_location("nlu_variants", ROOT / "scripts" / "nlu_variants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


nlu_variants = _load_variants_module()

# CONTRACT.md section 2: exactly these (domain.yml lists the same).
CONTRACT_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "request_human",
    "out_of_scope", "ask_eligibility", "ask_materials", "ask_processing_time", "ask_fee",
    "ask_where", "ask_proxy", "ask_endorsement", "ask_replacement", "ask_address_change",
    "ask_benefits", "ask_hukou", "ask_registration", "book_appointment",
    "cancel_appointment", "check_appointment", "inform",
}
# Conversation repair (bot/dialogue/repair.py): start over, stop, repeat, skip a question.
REPAIR_INTENTS = {"start_over", "stop", "repeat", "skip"}
# Ratings after a conversation (issue 11, data/nlu/feedback.yml).
FEEDBACK_INTENTS = {"rate", "feedback_comment"}
# Issue 12: rescheduling, the 签注 due date and its Telegram reminder.
FAMILY_INTENTS = {"reschedule_appointment", "endorsement_due", "remind_endorsement", "stop_reminder"}
# Intents easily confused with one another get more examples.
CONFUSABLE = {
    "ask_fee", "ask_materials", "ask_endorsement", "ask_replacement", "ask_benefits",
    "out_of_scope", "ask_hukou", "ask_registration", "ask_eligibility",
    "cancel_appointment", "check_appointment",
}
MIN_EXAMPLES, MIN_CONFUSABLE, MIN_INFORM = 25, 40, 120

ENTITIES = {
    "city", "county", "township", "province", "duration", "age", "housing", "employment",
    "study", "nationality", "proxy_for", "phone", "booking_code",
}
# Values an extracted (and synonym-mapped) entity may take, CONTRACT.md §3.
VALUES = {
    "housing": {"owned", "rented", "public_housing", "employer_dorm", "school_dorm", "none"},
    "employment": {"labor_contract", "business_license", "public_sector", "none"},
    "study": {"full_time", "none"},
    "nationality": {"foreign", "hk", "mo", "tw", "cn"},
    "proxy_for": {"child", "elderly", "disabled"},
    "city": {"liaocheng", "qujing"},
}


# --------------------------------------------------------------------- loading

@pytest.fixture(scope="module")
def td():
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(NLU_DIR))


@pytest.fixture(scope="module")
def by_intent(td):
    out = defaultdict(list)
    for m in td.intent_examples:
        out[m.get("intent")].append(m)
    return out


@pytest.fixture(scope="module")
def patterns(td):
    """The patterns RegexEntityExtractor builds from this data (config.yml)."""
    from rasa.nlu.utils.pattern_utils import extract_patterns

    return extract_patterns(td, use_lookup_tables=True, use_regexes=True,
                            use_only_entities=True, use_word_boundaries=False)


def extract(patterns, text):
    """What RegexEntityExtractor finds: (start, end, type), case-insensitive."""
    found = []
    for p in patterns:
        for m in re.finditer(p["pattern"], text, flags=re.IGNORECASE):
            found.append((m.start(), m.end(), p["name"]))
    return sorted(found)


def lookup(td, name):
    return [t for t in td.lookup_tables if t["name"] == name]


def lookup_words(td, name):
    words = []
    for t in lookup(td, name):
        words.extend(t["elements"])
    return words


def load_cities():
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(CITIES_DIR.glob("*.yml"))]


def jieba_tokenizers():
    """Jieba with the user dictionaries loaded in both orders (Rasa loads the
    files in directory order, which is not defined)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    files = sorted(glob.glob(str(JIEBA_DIR / "*")))
    toks = []
    for order in (files, list(reversed(files))):
        t = jieba.Tokenizer()
        for f in order:
            t.load_userdict(f)
        toks.append(t)
    return toks


# --------------------------------------------------------------------- intents

def test_exactly_the_contract_and_repair_intents(by_intent):
    assert set(by_intent) == CONTRACT_INTENTS | REPAIR_INTENTS | FEEDBACK_INTENTS | FAMILY_INTENTS


@pytest.mark.parametrize("intent", sorted(FEEDBACK_INTENTS | FAMILY_INTENTS))
def test_feedback_intents_have_examples_people_type(by_intent, intent):
    texts = {m.get("text") for m in by_intent[intent]}
    assert len(texts) >= 10


@pytest.mark.parametrize("intent", sorted(CONTRACT_INTENTS))
def test_enough_distinct_examples(by_intent, intent):
    texts = {m.get("text") for m in by_intent[intent]}
    wanted = MIN_INFORM if intent == "inform" else MIN_CONFUSABLE if intent in CONFUSABLE else MIN_EXAMPLES
    assert len(texts) >= wanted, f"{intent}: {len(texts)} distinct examples, want {wanted}"


def test_no_example_twice(td):
    seen = defaultdict(list)
    for m in td.intent_examples:
        seen[m.get("text").strip()].append(m.get("intent"))
    dups = {t: i for t, i in seen.items() if len(i) > 1}
    assert not dups, f"examples listed more than once: {dups}"


def test_bare_yes_and_no(by_intent):
    affirm = {m.get("text") for m in by_intent["affirm"]}
    deny = {m.get("text") for m in by_intent["deny"]}
    assert {"是", "对", "好的"} <= affirm
    assert {"不是", "没有"} <= deny


def test_heldout_covers_every_contract_intent():
    data = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    counts = Counter()
    for e in data["nlu"]:
        counts[e["intent"]] += len([l for l in e["examples"].splitlines() if l.strip()])
    assert set(counts) == CONTRACT_INTENTS
    few = {i: n for i, n in counts.items() if n < MIN_HELDOUT_PER_INTENT}
    assert not few, f"held-out intents with fewer than {MIN_HELDOUT_PER_INTENT} messages: {few}"


@pytest.fixture(scope="module")
def normaliser():
    return nlu_variants.Normaliser()


def test_heldout_shares_no_near_duplicate_with_training(normaliser):
    # Held-out accuracy only means something on messages unlike any the
    # model was trained on: not the same, not a polite/particle variant,
    # not >= 80 % similar (whatever the intent).
    held = nlu_variants.load_examples([HELDOUT])
    training = nlu_variants.load_examples(nlu_variants.training_files(NLU_DIR))
    pairs = nlu_variants.close_pairs(held, training, normaliser)
    assert not pairs, "held-out messages too close to training:\n" + "\n".join(
        f"  {nlu_variants.plain(a.text)}  ~  {b.path.name}:{b.line} {nlu_variants.plain(b.text)} ({r:.0%})"
        for a, b, r in pairs[:30])


def test_no_mechanical_variants_in_training(normaliser):
    # A variant adds nothing the model can learn and, in cross-validation,
    # lets a fold be tested on copies of its training examples.
    examples = nlu_variants.load_examples(nlu_variants.training_files(NLU_DIR))
    variants = nlu_variants.find_variants(examples, normaliser)
    assert not variants, f"{len(variants)} mechanical variants (remove with scripts/nlu_variants.py --remove):\n" + "\n".join(
        f"  {v.path.name}:{v.line} {v.intent}: {nlu_variants.plain(v.text)}  <-  {nlu_variants.plain(o.text)}"
        for v, o in variants[:30])


@pytest.mark.parametrize("variant,original", [
    ("老师，请问办居住证要钱吗？谢谢", "办居住证要钱吗"),
    ("我在临清，居住证办理费用是多少", "居住证办理费用是多少"),
    ("咱曲靖办居住证要花多少呀", "办居住证要花多少"),
    ("打扰一下，派出所办居住证收钱不，急", "派出所办居住证收钱不"),
    ("嗯，住了一年多了", "住了一年多"),
    ("办居住证收不收钱", "办居住证收不收费"),  # >= 80 % similar
])
def test_variants_are_recognised(normaliser, variant, original):
    assert nlu_variants.too_similar(normaliser(variant), normaliser(original))


@pytest.mark.parametrize("a,b", [
    ("办居住证要钱吗", "居住证去哪里办"),
    ("居住证丢了怎么补办", "居住证到期了怎么续"),
    ("聊城", "曲靖"),  # bare place answers stay apart
    ("是", "不是"),
    ("非常满意", "非常不满意"),  # a negation makes the opposite rating
    ("满意", "很满意"),  # one word, two levels
    ("我有劳动合同在厂里上班", "我没有劳动合同在厂里上班"),
])
def test_different_sentences_are_not_variants(normaliser, a, b):
    assert not nlu_variants.too_similar(normaliser(a), normaliser(b))


# ------------------------------------------------------- lookups vs. the cities

def test_generated_lookups_are_up_to_date():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_lookups.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_county_lookup_agrees_with_city_data(td):
    cities = load_cities()
    synonyms = td.entity_synonyms
    county_words = set(lookup_words(td, "county"))
    city_words = set(lookup_words(td, "city"))

    names, aliases = set(), set()
    for c in cities:
        for county in c["counties"]:
            names.add(county["name"])
            aliases.update(county.get("aliases", []))
    yaml_words = names | aliases

    # Every name and alias of the YAML is found: either as a county word, or
    # as a city word followed by a county word (聊城 + 经开区).
    def covered(w):
        if w in county_words:
            return True
        return any(w.startswith(cw) and w[len(cw):] in county_words for cw in city_words)

    assert not [w for w in yaml_words if not covered(w)]
    # Every county word comes from the YAML (whole, or the part after the city).
    def from_yaml(w):
        return w in yaml_words or any(y.endswith(w) and y[: -len(w)] in city_words for y in yaml_words)

    assert not [w for w in county_words if not from_yaml(w)]
    # Every county word maps to the full name of a county of the YAML.
    assert not {w: synonyms.get(w, w) for w in county_words if synonyms.get(w, w) not in names}
    # ... and to the right one.
    for c in cities:
        for county in c["counties"]:
            for a in county.get("aliases", []):
                if a in county_words:
                    assert synonyms.get(a, a) == county["name"], a


def test_city_lookup_agrees_with_city_data(td):
    want = {}
    for c in load_cities():
        for n in [c["name"], *c.get("aliases", [])]:
            want[n] = c["id"]
    words = lookup_words(td, "city")
    assert set(words) == set(want)
    assert {w: td.entity_synonyms.get(w, w) for w in words} == want


def test_provinces_of_the_cities_are_known(td):
    provinces = set(lookup_words(td, "province"))
    for c in load_cities():
        assert {c["province"], *c.get("province_aliases", [])} <= provinces


def test_place_words_are_jieba_words():
    words = {line.split()[0] for f in JIEBA_DIR.glob("*") for line in f.read_text(encoding="utf-8").splitlines() if line.strip()}
    for c in load_cities():
        for county in c["counties"]:
            assert county["name"] in words or any(county["name"].startswith(x) for x in [c["name"], *c.get("aliases", [])])


# ------------------------------------------------------------ lookups, values

def test_every_entity_type_is_annotated(td):
    # RegexEntityExtractor only uses lookups/regexes named like an entity
    # that occurs in the training data.
    assert td.entities == ENTITIES


def test_every_lookup_and_regex_names_an_entity(td):
    names = {t["name"] for t in td.lookup_tables} | {r["name"] for r in td.regex_features}
    assert names == ENTITIES


@pytest.mark.parametrize("entity", sorted(VALUES))
def test_lookup_words_map_to_contract_values(td, entity):
    bad = {w: td.entity_synonyms.get(w, w) for w in lookup_words(td, entity)
           if td.entity_synonyms.get(w, w) not in VALUES[entity]}
    assert not bad, f"{entity}: words without a valid value: {bad}"


def test_no_lookup_word_hides_a_longer_one(td):
    # The extractor joins a table into one alternation, first match wins.
    for t in td.lookup_tables:
        words = t["elements"]
        for i, w in enumerate(words):
            later = [x for x in words[i + 1:] if x.startswith(w) and x != w]
            assert not later, f"lookup {t['name']}: '{w}' comes before {later}"


def test_no_synonym_maps_one_word_two_ways():
    seen = {}
    for f in NLU_DIR.glob("*.yml"):
        for e in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("nlu", []) or []:
            if "synonym" in e:
                for line in e["examples"].strip().splitlines():
                    w = line.strip()[2:]
                    assert seen.setdefault(w, e["synonym"]) == e["synonym"], w


def test_jieba_dictionary_format():
    for f in JIEBA_DIR.glob("*"):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            assert re.fullmatch(r"\S+( \d+)?( [a-z]+)?", line), f"{f.name}:{n}: {line!r}"


# ------------------------------------------------ annotations = what is found

def test_annotations_are_what_the_extractor_finds(td, patterns):
    problems = []
    for m in td.intent_examples:
        text = m.get("text")
        found = extract(patterns, text)
        for a, b in zip(found, found[1:]):
            if b[0] < a[1]:
                problems.append(f"overlapping matches in {text!r}: {a} {b}")
        annotated = sorted((e["start"], e["end"], e["entity"]) for e in m.get("entities") or [])
        if annotated != found:
            shown, pos = "", 0
            for s, e, name in found:
                if s >= pos:
                    shown += text[pos:s] + f"[{text[s:e]}]({name})"
                    pos = e
            problems.append(f"{m.get('intent')}: should read  - {shown + text[pos:]}")
    assert not problems, "\n".join(problems[:50])


def test_entity_spans_are_whole_jieba_tokens(td):
    problems = []
    for tok in jieba_tokenizers():
        for m in td.intent_examples:
            ents = m.get("entities") or []
            if not ents:
                continue
            text = m.get("text")
            spans = list(tok.tokenize(text))
            starts, ends = {s for _, s, _ in spans}, {e for _, _, e in spans}
            for e in ents:
                if e["start"] not in starts or e["end"] not in ends:
                    problems.append(f"{text!r}: [{e['value']}]({e['entity']}) vs {'/'.join(w for w, _, _ in spans)}")
    assert not problems, "\n".join(sorted(set(problems))[:50])


# ------------------------------------------------------------ the regexes

REGEX_CASES = [
    ("住了八个月", "duration", "八个月"),
    ("8个月", "duration", "8个月"),
    ("半年", "duration", "半年"),
    ("一年多", "duration", "一年多"),
    ("两年半", "duration", "两年半"),
    ("去年三月来的", "duration", "去年三月"),
    ("2023年3月来的", "duration", "2023年3月"),
    ("一年零三个月", "duration", "一年零三个月"),
    ("两个多月", "duration", "两个多月"),
    ("来了大半年", "duration", "大半年"),
    ("去年上半年来的", "duration", "去年上半年"),
    ("35岁", "age", "35岁"),
    ("老人七十多岁", "age", "七十多岁"),
    ("满16周岁", "age", "16周岁"),
    ("电话13812345678", "phone", "13812345678"),
    ("138 1234 5678", "phone", "138 1234 5678"),
    ("预约码K7M3QX", "booking_code", "K7M3QX"),
]
NO_MATCH = [
    ("2022年", "duration"), ("三月份", "duration"), ("几个月", "duration"), ("十几年", "duration"),
    ("几岁", "age"), ("12345", "phone"), ("138123456789", "phone"),
    ("13812345678", "booking_code"), ("k7m3qx", "booking_code"), ("K7M3QX9", "booking_code"),
]


@pytest.mark.parametrize("text,entity,value", REGEX_CASES)
def test_regex_finds(patterns, text, entity, value):
    found = [text[s:e] for s, e, n in extract(patterns, text) if n == entity]
    assert found == [value]


@pytest.mark.parametrize("text,entity", NO_MATCH)
def test_regex_does_not_find(patterns, text, entity):
    assert not [x for x in extract(patterns, text) if x[2] == entity]
