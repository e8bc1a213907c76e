"""People who already hold a permit (CONTRACT §2): what happened to them.

"我有聊城的居住证，上个月从东昌府区搬到了开发区" is no application: the person
holds a card and moved inside the city. ``read_holding`` says whether a
message comes from a holder, whose card it is (the city named with the
card), what happened (a move, inside the city or to the other one; a lost or
damaged card; a missed 签注) and where to. The law for each case is the
renderer's (``bot.rules.render.render_holding``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ._text import normalise
from .negation import DENIED, find
from .places import find_known_city

# 暂住证 is what many call the 暂住登记 slip: not a residence permit.
_CARD = r"居住证"
# Holding a card: 有/拿到/办了/持有 … 居住证, 我的居住证, a card that was lost or is due.
_HOLDS = re.compile(
    rf"(?:有|拿到|领到|领了|办了|办好了?|办过|持有|已有|已经有|手上有|手里有)(?:了|过)?(?:一张|个)?"
    rf"(?:[\u4e00-\u9fff]{{0,4}}?(?:市|省)?的)?{_CARD}"
    rf"|(?:我的|俺的|我那个|原来的|以前的|之前的|老的){_CARD}"
    rf"|{_CARD}(?:已经)?(?:办了|办下来|办好|拿到|领到)(?:了)?")
_LOST = re.compile(rf"{_CARD}.{{0,6}}(?:丢|掉了|找不到|弄没了|被偷|遗失|不见)|(?:丢|掉|弄丢|遗失)了.{{0,4}}{_CARD}")
_DAMAGED = re.compile(rf"{_CARD}.{{0,6}}(?:坏|破|损|看不清|模糊|洗了|断|烂)|(?:弄坏|弄破|损坏)了?.{{0,4}}{_CARD}")
_ENDORSEMENT = re.compile(r"签注.{0,6}(?:过期|没签|没办|忘|逾期|超期|错过|过了|晚了|漏|到期|没去)"
                          r"|(?:忘了|忘记|没去|没有|没|错过|漏)(?:去)?(?:办)?签注")
_MOVE = re.compile(r"搬|住址变|地址变|换了?住处|换了?地方|换了?房子|调到|调去|去了|到了|来了|迁到|现在住|现在在|现在去|现在到")
_TO = re.compile(r"(?:搬到|搬去|搬来|调到|调去|去了?|到了?|来了?|迁到|现在住在?|现在在|现在去|现在到)(?:了)?")


@dataclass(frozen=True)
class Holding:
    """A holder's case. ``event``: "move", "lost", "damaged", "endorsement" or None (only
    holding); ``card_city``/``to_city``: served city ids when named; ``to_elsewhere``: the
    move is to a place none of the served cities (or their counties) is."""

    card_city: Optional[str] = None
    event: Optional[str] = None
    to_city: Optional[str] = None
    to_elsewhere: bool = False


def read_holding(text: str) -> Optional[Holding]:
    """The holder's case in ``text``; None when the text is not from someone holding a permit."""
    plain = normalise(text)
    holds = [match for match, sign in find(_HOLDS, plain) if sign != DENIED]
    lost = bool(_LOST.search(plain))
    damaged = bool(_DAMAGED.search(plain))
    endorsement = bool(_ENDORSEMENT.search(plain))
    if not holds and not (lost or damaged or endorsement):
        return None
    if not holds and (lost or damaged) and not re.search(r"我|俺|本人", plain):
        return None  # "居住证丢了怎么办" is a question about the rule: the topic answers it
    card_at = holds[0].start() if holds else max(plain.find("居住证"), 0)
    card_end = holds[0].end() if holds else card_at + 3
    # Whose card: the city named with it ("聊城的居住证", "在聊城办了居住证").
    card = next((found for back in range(0, 7)  # the nearest city before the card wins
                 for found in (find_known_city(plain[max(0, card_at - back):card_end]),) if found), None)
    event = "lost" if lost else "damaged" if damaged else "endorsement" if endorsement else None
    to_city, elsewhere = None, False
    # The move is said after the card ("我有聊城的居住证，搬到曲靖了") or before it.
    moved = next((words for words in ((plain[card_end:], plain[:card_at]) if holds else (plain,))
                  if _MOVE.search(words)), None)
    if event is None and moved is not None:
        event = "move"
        after = moved
        target = _TO.search(after)
        if target:
            words = re.split(r"[,。;!?！？]|我|俺", after[target.end():])[0]  # the place moved to, not the card's
            named = find_known_city(words)
            to_city = named[0].id if named else None
            if to_city is None:
                from .places import find_known_county, parse_place

                county = find_known_county(words)
                if county:
                    to_city = county[0].id
                elif parse_place(words[:10]).get("city") or parse_place(words[:10]).get("province"):
                    elsewhere = True
    if card is None and event != "move":  # "我的居住证丢了，是曲靖的": the city said after the card
        card = find_known_city(plain)
    return Holding(card_city=card[0].id if card else None, event=event, to_city=to_city, to_elsewhere=elsewhere)
