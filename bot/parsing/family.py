"""Who comes along to the visit: "我和两个孩子一起去", "带我妈一起" -> family members.

    read_party("我和两个孩子一起去，一个8岁一个12岁，都在上学")
    -> [{"relation": "child", "age": 8, "study": True}, {"relation": "child", "age": 12, "study": True}]

Each member is a dict: ``relation`` (spouse, child, parent, other), and when
the text says so ``age``, ``study`` (在上学) and ``mobility_impaired``
(行动不便, 腿脚不好). The booker is not in the list. None when the text names
nobody; an empty list for "就我自己" / "一个人去".
"""
from __future__ import annotations

import re
from typing import Any, Optional

from ._text import normalise, to_int

MAX_MEMBERS = 4
_N = "[0-9一二两三四五六七八九十]"
_ALONE = re.compile(r"就?(?:我|俺)?(?:自己|一个人|独自|本人)(?:去|来|办)?|没有?(?:别人|家人)(?:一起|同行)?|只有我")
_COUNTED_CHILDREN = re.compile(rf"({_N})个(?:孩子|小孩|娃|子女|儿子|女儿|闺女)")
_CHILD_WORDS = re.compile(r"儿子|女儿|闺女|孩子|小孩|娃")
_SPOUSE = re.compile(r"老婆|老公|爱人|妻子|丈夫|媳妇|对象|配偶")
_BOTH_PARENTS = re.compile(r"爸妈|父母|爸爸妈妈|我爸和我妈|我妈和我爸")
_ONE_PARENT = re.compile(r"我?(?:妈|爸|母亲|父亲|老妈|老爸|婆婆|公公|岳母|岳父|丈母娘|老丈人)")
_FAMILY_OF = re.compile(rf"一家({_N})口|全家({_N})口|({_N})个人一起|我们({_N})个")
_AGE = re.compile(rf"({_N}{{1,3}})岁")
_STUDY = re.compile(r"上学|读书|在读|上小学|上初中|上中学|上高中|念书|学生|读小学|读初中")
_IMPAIRED = re.compile(r"行动不便|腿脚不(?:好|便|利索)|走路不便|坐轮椅|走不动|瘫痪|残疾")


def _count(text: str) -> Optional[int]:
    return int(text) if text.isdigit() else to_int(text)


def read_party(text: str) -> Optional[list[dict[str, Any]]]:
    """The family members named in ``text`` (see the module's docstring)."""
    plain = normalise(text or "")
    if not plain:
        return None
    members: list[dict[str, Any]] = []
    counted = _COUNTED_CHILDREN.search(plain)
    if counted:
        members += [{"relation": "child"} for _ in range(min(_count(counted.group(1)) or 1, MAX_MEMBERS))]
    else:
        kids = re.findall(r"儿子|女儿|闺女", plain)
        if kids:
            members += [{"relation": "child"} for _ in kids[:MAX_MEMBERS]]
        elif _CHILD_WORDS.search(plain):
            members.append({"relation": "child"})
    if _SPOUSE.search(plain):
        members.append({"relation": "spouse"})
    if _BOTH_PARENTS.search(plain):
        members += [{"relation": "parent"}, {"relation": "parent"}]
    elif _ONE_PARENT.search(re.sub(r"妈妈?们|爸爸?们", "", plain)):
        members.append({"relation": "parent"})
    family = _FAMILY_OF.search(plain)
    if family and not members:
        size = _count(next(group for group in family.groups() if group)) or 1
        members = [{"relation": "other"} for _ in range(max(0, min(size - 1, MAX_MEMBERS)))]
    if not members:
        return [] if _ALONE.search(plain) else None
    members = members[:MAX_MEMBERS]
    ages = [_count(age) for age in _AGE.findall(plain)]
    ages = [age for age in ages if age is not None and 0 <= age <= 120]
    # Ages in the order said go to the children first (the usual "孩子8岁和12岁"), then to a parent.
    order = [m for m in members if m["relation"] == "child"] + [m for m in members if m["relation"] == "parent"]
    for member, age in zip(order, ages):
        member["age"] = age
    if _STUDY.search(plain):
        for member in members:
            if member["relation"] == "child" and (member.get("age") is None or member["age"] >= 6):
                member["study"] = True
    if _IMPAIRED.search(plain):
        for member in members:
            if member["relation"] == "parent":
                member["mobility_impaired"] = True
    return members
