"""Numbers bound to what they measure, clause by clause.

A message is cut into clauses at punctuation (``negation.clauses``). Each
duration is bound to the cue nearest to it inside its own clause, looking
no further than the neighbouring durations ("住了两年登记了一年"): the
nearest cue before it, else the nearest after it ("去年三月来的"):

=============================  =============================================
``registered_months``          (居住/暂住)登记, 暂住证
``supplementary_proof_months`` 社保, 五险, 医保, 个税, 纳税, 营业执照, 学籍,
                               房租, 租赁, 证明 (聊城 第五条第二款)
``lived_months``               住, 来, 到, 待/呆, 搬, 生活, 在这, 租 (the
                               place one rents is where one lives)
nothing (unbound)              上班, 工作, 打工, 干, 读书, 合同 …: a duration
                               of something that is not a fact, unless an
                               arrival comes first ("来麒麟区上班半年了")
=============================  =============================================

A clause with a duration and no cue continues the clause before it when
that clause has an affirmed cue and no duration of its own ("办了登记，
八个月" -> registered 8). A message with no cue at all ("八个月", "不对，是九
个月") keeps the old default, ``lived_months``: callers file a bare duration
under the question they asked. Any other duration is **unbound**: returned
as such, never guessed.

A duration right after a denial ("不是八个月") is dropped. A denied
registration ("居住登记一直没办") means never registered. A denied proof
("社保没交") gives nothing. Several proof durations give the longest: one
proof covering six months is what 第五条 asks.

Ages are bound by 岁, 今年, 年龄/年纪/岁数, or a person followed by "N了"
("我妈68了"). A bare "68了" is unbound in a free sentence (it answers the
age question only; see ``parse_age``).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Optional

from ._text import NUM, digits, normalise, to_int
from .durations import MAX_AGE, find_durations
from .negation import AFFIRMED, DENIED, clauses, polarity

REGISTERED, PROOF, LIVED = "registered_months", "supplementary_proof_months", "lived_months"
_CUES = (
    (REGISTERED, r"(?:居住|暂住)登记|登记|暂住证|报(?:了)?暂住"),
    (PROOF, r"社保|五险|医保|养老保险|个税|个人所得税|所得税|纳税|交税|缴税|营业执照|执照|学籍|房租|租金|租赁|证明"),
    # Renting the place one lives in is living there: 房子租了两年.
    (LIVED, r"住|(?<![本原后起出看将未从])来|·|(?<!出)租(?!房合同|赁合同|的合同|车)|(?<![不没快找收想做得办拿直等迟遇见达报])到|待|呆|搬|生活|在这"),
    (None, r"上班|工作|干活|干了|打工|做工|读书|上学|念书|毕业|结婚|出生|合同|退休|开店|当兵|服役|干|做|学"),
)
_CUE = re.compile("|".join(f"(?P<c{index}>{pattern})" for index, (_, pattern) in enumerate(_CUES)))
_ARRIVAL = re.compile(r"(?<![本原后起出看将未从])来|·|(?<![不没快找收想做得办拿直等迟遇见达报])到|搬")
_DENIED_NUMBER = re.compile(r"(?:不是|并非|并不是)(?:说)?(?:住了|待了|登记了|交了|有|是)?$")


@dataclass(frozen=True)
class Unbound:
    """A number the parser could not tie to a fact.

    ``text``: the clause it was said in; ``months`` for a duration,
    ``number`` for a bare number ("68了").
    """

    text: str
    months: Optional[int] = None
    number: Optional[int] = None

    def as_dict(self) -> dict:
        found = {"text": self.text}
        if self.months is not None:
            found["months"] = self.months
        if self.number is not None:
            found["number"] = self.number
        return found


@dataclass(frozen=True)
class Duration:
    """One duration of a message and what it was bound to.

    ``how``: "cue" (a cue in its clause), "continued" (the clause before),
    "default" (no cue anywhere: lived_months as before), "other" (a cue of
    something that is not a fact: 上班两年), "denied" (its cue is denied),
    "none" (no cue in its clause, other cues elsewhere).
    """

    fact: Optional[str]
    months: int
    approximate: bool
    how: str
    clause: str


@dataclass
class Bound:
    """What the numbers of one message say."""

    facts: dict = field(default_factory=dict)      # lived_months, registered_months (None: never), proof
    approximate: dict = field(default_factory=dict)  # fact -> the clause its value came from
    unbound: list = field(default_factory=list)    # Unbound
    durations: list = field(default_factory=list)  # Duration, in order


def _cue_kind(match: re.Match) -> Optional[str]:
    index = int(match.lastgroup[1:])
    return _CUES[index][0]


def _is_fact_cue(match: re.Match) -> bool:
    return _cue_kind(match) is not None


def bind_durations(text: str, today: Optional[dt.date] = None) -> Bound:
    """Durations of ``text`` bound to facts (see the module's doc)."""
    plain = normalise(text)
    found = find_durations(plain, today)
    said, bound = found.text, Bound()
    parts = clauses(said)
    originals = clauses(plain)
    cues = list(_CUE.finditer(said))
    any_cue = bool(cues)

    def original_clause(at: int) -> str:
        for index, part in enumerate(parts):
            if part.start <= at < part.end:
                return originals[index].text if index < len(originals) else part.text
        return plain

    spans_by_clause: dict[int, list] = {}
    for span in found.spans:
        index = next((i for i, part in enumerate(parts) if part.start <= span.start < part.end), -1)
        spans_by_clause.setdefault(index, []).append(span)

    for index, span in enumerate(found.spans):
        part = next((p for p in parts if p.start <= span.start < p.end), None)
        left = max([part.start if part else 0] + [s.end for s in found.spans[:index]])
        right = min([part.end if part else len(said)] + [s.start for s in found.spans[index + 1:]])
        if _DENIED_NUMBER.search(said[left:span.start]):
            continue  # "不是八个月": what it is, the message says elsewhere or not at all
        before = [cue for cue in cues if left <= cue.start() and cue.end() <= span.start]
        after = [cue for cue in cues if span.end <= cue.start() and cue.end() <= right]
        cue = before[-1] if before else after[0] if after else None
        fact, how = None, "none"
        if cue is not None:
            kind = _cue_kind(cue)
            arrival = [a for a in _ARRIVAL.finditer(said, left, cue.start())
                       if polarity(said, a.start(), a.end()) == AFFIRMED]
            if kind is None and before and arrival:
                # "来麒麟区上班半年了": came, then the work; the time is since coming.
                fact, how = LIVED, "cue"
            elif kind is None:
                how = "other"
            elif polarity(said, cue.start(), cue.end()) == DENIED:
                how = "denied"
            else:
                fact, how = kind, "cue"
        else:
            fact = _continued(said, parts, part, cues, spans_by_clause)
            if fact is not None:
                how = "continued"
            elif not any_cue and found.just_arrived is None:
                fact, how = LIVED, "default"
        clause_text = original_clause(span.start)
        bound.durations.append(Duration(fact, span.months, span.approximate, how, clause_text))
        if fact is None:
            bound.unbound.append(Unbound(clause_text, months=span.months))
            continue
        if fact == PROOF:
            if span.months >= bound.facts.get(PROOF, -1):
                bound.facts[PROOF] = span.months
                _mark(bound, PROOF, span.approximate, clause_text)
        elif fact not in bound.facts:
            bound.facts[fact] = span.months
            _mark(bound, fact, span.approximate, clause_text)
    if LIVED not in bound.facts and found.just_arrived is not None and not found.spans:
        bound.facts[LIVED] = 0
    if REGISTERED not in bound.facts and any(
            _cue_kind(cue) == REGISTERED and polarity(said, cue.start(), cue.end()) == DENIED for cue in cues):
        bound.facts[REGISTERED] = None  # never registered
    return bound


def _mark(bound: Bound, fact: str, approximate: bool, clause_text: str) -> None:
    if approximate:
        bound.approximate[fact] = clause_text
    else:
        bound.approximate.pop(fact, None)


def _continued(said: str, parts: list, part, cues: list, spans_by_clause: dict) -> Optional[str]:
    """The fact of the clause before ``part`` when this clause continues it."""
    if part is None:
        return None
    index = parts.index(part)
    if index == 0 or spans_by_clause.get(index - 1):
        return None
    previous = parts[index - 1]
    own = [cue for cue in cues if previous.start <= cue.start() < previous.end]
    if not own:
        return None
    cue = own[-1]
    kind = _cue_kind(cue)
    if kind is None or polarity(said, cue.start(), cue.end()) != AFFIRMED:
        return None
    return kind


# --- ages ---------------------------------------------------------------------

_PERSON = (r"我|俺|额|咱|他|她|本人|老人|老人家|我妈|我爸|俺娘|俺爹|俺妈|俺爸|母亲|父亲|妈妈|爸爸|老妈|老爸|孩子|小孩"
           r"|儿子|女儿|闺女|老伴|爷爷|奶奶|姥姥|姥爷|外公|外婆|老公|老婆|爱人|申请人|娃")
_UNIT_AFTER = rf"(?!{NUM}|个|年|月|号|日|天|周|星期|点|块|元|楼|层|室|栋|单元|路|次|人|平|米|斤|万|千|%)"
_AGE_PATTERNS = (
    re.compile(rf"(?P<less>不到|没到|未满|不满|没满|快|快到|将近|快要)?(?<!老)(?P<n>{NUM}+)(?P<vague>多|来|几)?(?:周|虚)?岁"),
    re.compile(rf"今年(?:都|已经|也)?(?P<less>快|不到|没到)?(?<!老)(?P<n>{NUM}+)(?P<vague>多|来|几)?{_UNIT_AFTER}"),
    re.compile(rf"(?:年龄|年纪|岁数)(?:是|有|都)?(?P<less>快|不到)?(?<!老)(?P<n>{NUM}+)(?P<vague>多|来|几)?{_UNIT_AFTER}"),
    re.compile(rf"(?:{_PERSON})(?:今年|已经|都|也|现在)*(?P<less>快|不到)?(?<!老)(?P<n>{NUM}+)(?P<vague>多|来|几)?(?:了|啦)"),
)
_APPROXIMATE_AGE = re.compile(r"大概|大约|差不多|左右|估计|可能|好像|上下")


@dataclass(frozen=True)
class Age:
    years: int
    approximate: bool
    clause: str


def find_age(text: str) -> Optional[Age]:
    """An age said with its cue (35岁, 今年七十, 年纪六十, 我妈68了); None otherwise."""
    plain = normalise(text)
    for part in clauses(plain):
        for pattern in _AGE_PATTERNS:
            for match in pattern.finditer(part.text):
                start = part.start + match.start()
                if _DENIED_NUMBER.search(plain[part.start:start]) or _negated_age(plain, part, start):
                    continue
                years = to_int(match.group("n"))
                if years is None or not 0 <= years <= MAX_AGE:
                    continue
                less = match.group("less")
                if less and years > 0:
                    years -= 1  # 不满16岁 -> 15, 快七十 -> 69
                approximate = bool(less or match.group("vague") or _APPROXIMATE_AGE.search(part.text))
                return Age(years, approximate, part.text)
    return None


def _negated_age(plain: str, part, start: int) -> bool:
    before = plain[max(part.start, start - 3):start]
    return bool(re.search(r"不是|并非", before))


_BARE = re.compile(rf"(?<![\d.])(?P<n>\d{{1,3}})(?:多|来)?(?:了|啦)?{_UNIT_AFTER}(?=$|了|啦|吧|呢|啊)")


def bare_numbers(text: str, taken: tuple[str, ...] = ()) -> list[Unbound]:
    """Numbers said alone at the end of a clause ("68了", "就35"), except in
    the clauses ``taken`` (where a bound number was read)."""
    plain = normalise(text)
    found = []
    for part in clauses(plain):
        if part.text in taken:
            continue
        written = digits(part.text)
        for match in _BARE.finditer(written):
            value = int(match.group("n"))
            found.append(Unbound(part.text, number=value))
    return found


# --- the answer to the age question ------------------------------------------------

_AGE_YEARS = re.compile(rf"({NUM}+)(?:多|来|几)?(?:周|虚)?岁")
_AGE_BARE = re.compile(rf"({NUM}+)(?:多|来|几)?(?:了|啦)?")
_AGE_FILLER = re.compile(r"^(?:我|俺|额|他|她|孩子|小孩|儿子|女儿|老人|今年|现在|已经|都|有|是|就|才|也)*")
_AGE_MONTHS = re.compile(rf"({NUM}+)个多?月")
_AGE_NEWBORN = re.compile(r"刚出生|没满(?:一|1)?周?岁|不到(?:一|1)岁")


def parse_age(text: str) -> Optional[int]:
    """"35", "三十五岁", "孩子8岁", "七十多了", "68了，腿脚不方便", "快七十了"
    (69) -> the age, as the answer to the age question; None if none or absurd."""
    plain = normalise(text)
    if _AGE_NEWBORN.search(plain):
        return 0
    found = find_age(plain)
    if found is not None:
        return found.years
    for part in re.split(r"[,;。；!！?？、]", plain):  # "68了，腿脚不方便"
        bare = _AGE_FILLER.sub("", part)
        almost = bare.startswith("快")
        match = _AGE_BARE.fullmatch(bare[1:] if almost else bare)
        if match:
            age = to_int(match.group(1))
            if age is not None and almost and age > 0:
                age -= 1
            return age if age is not None and 0 <= age <= MAX_AGE else None
    match = _AGE_YEARS.search(plain)
    if match:
        age = to_int(match.group(1))
        return age if age is not None and 0 <= age <= MAX_AGE else None
    # A baby's age is said in months: 八个月大 -> 0 years, 十八个月 -> 1.
    match = _AGE_MONTHS.search(plain)
    months = to_int(match.group(1)) if match else None
    if months is not None:
        return months // 12 if months // 12 <= MAX_AGE else None
    return None
