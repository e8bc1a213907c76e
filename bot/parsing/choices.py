"""Answers that name one of a few values: yes/no, housing, job, school,
nationality, disability, mobility, who applies.

Each reader finds its cue words and asks ``negation.polarity`` whether each
one is affirmed, denied or left open. A denied cue never gives its positive
value; what it gives instead is decided per fact below. These readers only
file what was said under CONTRACT §3's values; whether a value qualifies,
and under which article, is each city's data (``bot/rules/cities/*.yml``,
e.g. ``employment.qualifying``) and the engine's:

employment (the kind of work held, by the document that shows it: a
    劳动合同 ``labor_contract``, a 营业执照 ``business_license``, a public
    post ``public_sector``; ``none``: none of these):
    - a job word (上班, 打工, 在厂里干活, 送外卖) with no contract or licence
      mentioned settles nothing: most such work has neither, and the person
      did not say. The value stays None and ``assumed`` says a job was
      mentioned, so the interview asks which kind (issue 17: never a
      contract the person did not name);
    - a job said together with a denied contract ("在厂里上班，没签合同") is
      ``none``: the person said which work and that its document is missing,
      so none of the kinds is held; likewise a trade whose licence is denied
      ("摆摊，没有营业执照");
    - a denied job ("没上班", "不打工了", "没在厂里干") is ``none``;
    - a bare denial of the contract or of the licence ("没有劳动合同",
      "我没有营业执照") says what the person lacks, not what they have: a
      free sentence leaves employment unknown (value None, ``denied`` set) so
      that the interview asks; the answer to the employment question, whose
      choices are exactly those documents, reads it as ``none`` (see
      ``answers``);
    - any affirmed qualifying job (公务员, 个体户 with its licence, a contract)
      wins over a denial of another kind ("没有劳动合同，有营业执照").
housing: a denied kind ("不是租的", "没租房", "不是自己的房子", "没有房子") only
    rules that kind out: there is no negative value, so the value stays
    unknown unless another kind is affirmed ("不是租的，是买的").
    "没有房子" is "not owning one", not "homeless": ``none`` needs words that
    say so (没地方住, 借住, 无固定住所 …).
study: a denied enrolment ("没在上学", "不是学生", "没有学籍", "非全日制") is
    ``none`` (连续就读 needs full-time enrolment with 学籍).
nationality: a denial ("不是外国人") only rules that one out.
disabled, mobility_impaired: a denied impairment ("不残疾", "没有行动不便")
    is False; a denied "fine" ("腿脚不是很好") is left open (None) unless a
    cue of impairment is said itself. "没有残疾证" is left open: lacking the
    card does not say the person is not disabled.
by_proxy: a denied "for someone else" ("不是帮别人办") is False; a denied
    "myself" ("不是我自己办") is left open in a free sentence and True as the
    answer to "本人还是代办".

Two negators, an A-not-A question and a hypothetical clause leave a cue
open: it gives nothing (``negation``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from ._text import normalise
from .vocabulary import KIN
from .negation import AFFIRMED, DENIED, find, negators

_UNSURE = re.compile(r"不知道|不清楚|不确定|不晓得|说不准|说不清|不一定|不好说|忘了|记不清")
_YES_DESPITE_NEGATION = re.compile(r"没错|没问题|不错")
_NO = re.compile(r"不是|没有|没得|木有|不用|不要|不需要|不对|不行|不会|不能|没|否|无|^不|^(?:no|nope|n)\b")
_YES = re.compile(r"是|对|有|嗯|恩|好|可以|行|要|需要|当然|确定|^(?:yes|yeah|yep|y|ok|okay|sure)\b")


_DOUBLE_NEGATION = re.compile(r"不是(?:没|不)|并非(?:没|不)|没有不")


def parse_yes_no(text: str) -> Optional[bool]:
    plain = normalise(text)
    if not plain or _UNSURE.search(plain) or _DOUBLE_NEGATION.search(plain):
        return None  # "不是没有": neither a plain yes nor a plain no
    if _YES_DESPITE_NEGATION.search(plain):
        return True
    if _NO.search(plain):
        return False
    if _YES.search(plain):
        return True
    return None


@dataclass(frozen=True)
class Reading:
    """What a text says about one fact.

    ``value``: the fact value, or None when the text does not settle it.
    ``denied``: values the text rules out ("没有营业执照" -> business_license).
    ``assumed``: for employment, a job was mentioned but not its kind
    (value None: which kind is still to ask).
    """

    value: Optional[object] = None
    denied: tuple = ()
    assumed: bool = False


@dataclass(frozen=True)
class _Hit:
    role: str
    sign: int
    start: int
    end: int


def _hits(cues: tuple[tuple[str, str], ...], text: str) -> list[_Hit]:
    """Every cue match with its polarity; a match inside a longer match (of
    any role) is dropped: 公租房 is not 租, 没有工作 is not 工作."""
    found = []
    for role, pattern in cues:
        for match, sign in find(re.compile(pattern), text):
            found.append(_Hit(role, sign, match.start(), match.end()))
    return [hit for hit in found
            if not any(o is not hit and o.start <= hit.start and hit.end <= o.end
                       and (o.end - o.start) > (hit.end - hit.start) for o in found)]


def _signs(hits: list[_Hit], role: str) -> set[int]:
    return {hit.sign for hit in hits if hit.role == role}


# --- housing ------------------------------------------------------------------

# Edge cases decided here: 借住/住在亲戚或朋友家 is ``none`` (the regulation's
# 合法稳定住所 lists owned, public, rented and dormitory housing only, and a
# borrowed room is none of them); a bare 宿舍 is left unanswered (None) because
# it may be the employer's or the school's.
HOUSING = (
    ("public_housing", r"公租房|廉租房|保障房|保障性住房|人才公寓|经适房|经济适用房"),
    ("school_dorm", r"学校宿舍|学生宿舍|校内宿舍|住校|住学校|学校的宿舍|学校住"),
    ("employer_dorm", r"(?:单位|厂里?|厂头|工厂|公司|员工|职工|集体|工地|企业|店里)的?宿舍"
                      r"|住(?:在)?(?:厂里|厂头|单位|公司|工地|店里)"),
    # 出租车 and 租车 are not housing; a lease ("租房合同") is a document, see _LEASE.
    ("rented", r"(?<!出)租(?!车|房合同|赁合同|的合同)|出租屋|出租房|房租|租金"),
    # A home the article does not list: recorded as said ("other"), never forced into a kind.
    ("other", r"借住|寄住|住(?:在)?(?:我|俺)?(?:的)?(?:朋友|亲戚|别人|同学|老乡|老板|姐姐?|哥哥?|弟弟?|妹妹?|叔叔?|舅舅?|姑姑?|姨|"
              r"阿姨|表哥|表姐|堂哥|大伯|老丈人|岳父|婆家|娘家|儿子|女儿|闺女)家|工棚|板房|活动板房|工地上住|住工地"),
    ("none", r"没有?地方住|没有?住的地方|没有?住处|无固定住所|没有?固定(?:的)?(?:住所|住处|地方|的)|居无定所"
             r"|无处|露宿|流浪|睡大街|无家可归|住桥洞|没有?房子?住"),
    ("owned", r"自己的房|自己家的?房|自家的?房|自己买|买的房|买了房|买房|自有|房产证|产权|自建房|自己盖|商品房"
              r"|住(?:在)?自己家|房子是(?:我|自己)|按揭|贷款买|自己(?:家)?屋|自家屋|房本|不动产证"),
)
_LEASE = re.compile(r"租房合同|租赁合同|租的合同")
# "没有房子", "没房", "无房": not owning a home (see the module's doc).
_NO_HOME_OF_ONES_OWN = re.compile(r"(?:没有|没得|木有|没|无)(?:自己的)?房子?(?!租|产)")
_HOUSING_ORDER = ("public_housing", "school_dorm", "employer_dorm", "rented", "none", "other", "owned")


def read_housing(text: str) -> Reading:
    plain = normalise(text)
    hits = _hits(HOUSING, plain)
    lease = [sign for _, sign in find(_LEASE, plain)]
    denied = [code for code in _HOUSING_ORDER if DENIED in _signs(hits, code) and code not in ("none", "other")]
    if _NO_HOME_OF_ONES_OWN.search(plain) and "owned" not in denied:
        denied.append("owned")
    for code in _HOUSING_ORDER:
        if AFFIRMED in _signs(hits, code) and code not in denied:
            return Reading(code, tuple(denied))
    if AFFIRMED in lease and "rented" not in denied:  # 租房合同签了一年: renting
        return Reading("rented", tuple(denied))
    return Reading(None, tuple(denied))


def parse_housing(text: str) -> Optional[str]:
    return read_housing(text).value


# --- employment ---------------------------------------------------------------

_CONTRACT = (r"劳动合同|劳动和同|劳动合|劳务合同|用工合同|聘用合同|合同工|签(?:了)?(?:个)?(?:合同|和同)"
             r"|(?<!租房)(?<!租赁)(?<!租的)(?<!购房)(?<!买房)(?:合同|和同)")
EMPLOYMENT = (
    ("none", r"没有?工作|无业|待业|失业|退休|没有?上班|不上班|没班上|家庭主妇|全职(?:妈妈|太太)|在?找工作|离职|辞职"
             r"|在家带|没活干|没事做|赋闲|下岗|闲着"),
    ("public_sector", r"公务员|事业单位|事业编|机关|政府部门|在编|编制内|参公|社会团体"
                      r"|公[立办](?:学校|医院|的)?(?:老师|教师|医生|护士)"),
    ("licence", r"营业执照|执照"),
    ("business", r"个体|开(?:了)?(?:个|家|间)?(?:小)?(?:店|公司|厂|饭馆|饭店|超市|餐馆|门面|铺子)|做生意|做买卖|小买卖|摆摊|经商|当老板"
                 r"|自己干|自营|网店"),
    ("contract", _CONTRACT),
    ("job", r"上班|打工|厂里|厂头|工厂|进厂|公司|单位|务工|工作|员工|职员|工人|干活|做工|外卖|快递|保安|保姆"
            r"|服务员|司机|跑车|开车|跑运输|老师|医生|护士|劳务|雇|上工"),
)
_DORM_WORDS = re.compile(r"[\u4e00-\u9fff]{0,2}的?宿舍|住(?:在)?(?:厂里|厂头|单位|公司|工地|店里)")
_LEASE_CLAUSE = re.compile(r"租|房东|购房|买房|房屋")
_WORK_WORDS = re.compile(r"上班|打工|工作|干活|单位|公司|厂|劳动|劳务|用工|聘用|老板|雇")


def read_employment(text: str) -> Reading:
    # "住单位宿舍" says where one sleeps, not that one works there.
    plain = _DORM_WORDS.sub(lambda m: "·" * len(m.group()), normalise(text))
    hits = [hit for hit in _hits(EMPLOYMENT, plain)
            if not _about_a_lease(plain, hit) and not _vocative(plain, hit)]
    signs = {role: _signs(hits, role) for role, _ in EMPLOYMENT}
    contract_denied, licence_denied = DENIED in signs["contract"], DENIED in signs["licence"]
    denied = []
    if DENIED in signs["public_sector"]:
        denied.append("public_sector")
    if licence_denied or (DENIED in signs["business"] and AFFIRMED not in signs["licence"]):
        denied.append("business_license")
    if contract_denied:
        denied.append("labor_contract")
    denied = tuple(denied)
    if AFFIRMED in signs["none"]:
        return Reading("none", denied)
    if AFFIRMED in signs["public_sector"]:
        return Reading("public_sector", denied)
    if AFFIRMED in signs["licence"] or (AFFIRMED in signs["business"] and not licence_denied):
        return Reading("business_license", denied)
    if AFFIRMED in signs["contract"] and not contract_denied:
        return Reading("labor_contract", denied)
    if AFFIRMED in signs["job"] and not contract_denied:
        return Reading(None, denied, assumed=True)  # a job, kind not said
    # No qualifying job affirmed: what the denials say.
    if contract_denied and AFFIRMED in signs["job"]:
        return Reading("none", denied)  # a job, and its contract denied: none of the kinds held
    if licence_denied and AFFIRMED in signs["business"]:
        return Reading("none", denied)  # a trade, and its licence denied
    if DENIED in signs["job"]:
        return Reading("none", denied)  # 没上班, 不打工了
    return Reading(None, denied)


def _vocative(text: str, hit: _Hit) -> bool:
    """"老师，…", "老师您好": addressing the operator, not a job."""
    if text[hit.start:hit.end] != "老师":
        return False
    from .negation import clause_of

    clause = clause_of(text, hit.start)
    return hit.start == clause.start or bool(re.match(r"好|您|你|请|问", text[hit.end:hit.end + 1]))


def _about_a_lease(text: str, hit: _Hit) -> bool:
    """A bare 合同 in a clause about renting is the lease, not a labour contract;
    so is one in a message about renting that names no work at all
    ("租房八个月了，合同在")."""
    if hit.role != "contract" or text[hit.start:hit.end] not in ("合同", "和同", "签合同", "签了合同", "有合同"):
        return False
    from .negation import clause_of

    if _LEASE_CLAUSE.search(clause_of(text, hit.start).text):
        return True
    return bool(_LEASE_CLAUSE.search(text)) and not _WORK_WORDS.search(text)


def parse_employment(text: str) -> Optional[str]:
    return read_employment(text).value


# --- study --------------------------------------------------------------------

# 幼儿园 is not schooling with 学籍 (聊城 第五条: 小学、中学、职业学校、高等学校).
STUDY = (
    ("none", r"不上学|没有?上学|没有?读书|不读书|不读了|毕业|辍学|退学|休学|没在读|不是学生|没有?念书|不念了|幼儿园"),
    ("full_time", r"在读|上学|读书|念书|学生|全日制|住校|学籍|[上读念](?:小学|初中|高中|中学|大学|大专|中专|职高|技校|研)"
                  r"|研究生|本科|大专|中专|职高|技校|[初高][一二三]|[一二三四五六]年级"),
)


def read_study(text: str) -> Reading:
    hits = _hits(STUDY, normalise(text))
    full_time, none = _signs(hits, "full_time"), _signs(hits, "none")
    if AFFIRMED in none or DENIED in full_time:
        # 没在上学, 不是学生, 没有学籍, 非全日制: not in full-time study with 学籍.
        return Reading("none", ("full_time",))
    if AFFIRMED in full_time:
        return Reading("full_time", ("none",) if DENIED in none else ())
    return Reading(None, ("none",) if DENIED in none else ())


def parse_study(text: str) -> Optional[str]:
    return read_study(text).value


# --- nationality ----------------------------------------------------------------

NATIONALITY = (
    ("hk", r"香港|港人"),
    ("mo", r"澳门"),
    ("tw", r"台湾|台胞"),
    ("foreign", r"外国|外籍|老外|(?<![中本我])国(?:人|籍|公民)|无国籍"),
    ("cn", r"中国|大陆|内地|本国"),
)


@lru_cache(maxsize=1)
def _countries() -> str:
    """The world's countries but China, by their usual Chinese names (jionlp's
    world table), as one alternation: "缅甸人", "越南籍", "来自美国" are foreign."""
    from ._text import jionlp

    names = set()
    try:
        for continent in jionlp().world_location_loader().values():
            for name, info in continent.items():
                if name != "中国":
                    names.add(name)
                    if isinstance(info, dict) and info.get("full_name"):
                        names.add(info["full_name"])
    except Exception:  # the table is a convenience: 外国人/外籍 still work
        pass
    names |= {"缅甸", "越南", "老挝", "美国", "英国", "法国", "德国", "日本", "韩国", "俄罗斯", "印度", "泰国"}
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


def _foreign_country(plain: str) -> list[re.Match]:
    pattern = re.compile(rf"(?<!内)(?:{_countries()})(?=人|籍|国籍|公民|护照|的护照|来的|过来的)(?!族)"
                         rf"|(?:来自|国籍是|国籍为|是)(?:{_countries()})(?=$|[,的人])")
    return list(pattern.finditer(plain))


def read_nationality(text: str) -> Reading:
    plain = normalise(text)
    hits = _hits(NATIONALITY, plain)
    for match in _foreign_country(plain):
        sign = AFFIRMED if not negators(plain[max(0, match.start() - 3):match.start()]) else DENIED
        hits.append(_Hit("foreign", sign, match.start(), match.end()))
    denied = tuple(code for code, _ in NATIONALITY if DENIED in _signs(hits, code))
    affirmed = [hit for hit in hits if hit.sign == AFFIRMED and hit.role not in denied]
    if re.search(r"港澳|澳台", plain) and not denied:
        return Reading(None)  # 港澳台: which one?
    for code, _ in NATIONALITY:
        if any(hit.role == code for hit in affirmed):
            return Reading(code, denied)
    return Reading(None, denied)


def parse_nationality(text: str) -> Optional[str]:
    return read_nationality(text).value


# --- yes/no facts -----------------------------------------------------------------

def _boolean(text: str, yes: str, no: str, answer: bool, question_flips_no: bool = False,
             yes_wins: bool = False) -> Reading:
    """A yes/no fact from its cues: an affirmed ``yes`` cue is True, an affirmed
    ``no`` cue or a denied ``yes`` cue is False; a denied ``no`` cue is left
    open (True only as the answer to a two-way question, ``question_flips_no``).
    Cues saying both leave it open, unless ``yes_wins``. Without any cue, an
    answer (``answer``) falls back on a plain yes/no."""
    plain = normalise(text)
    hits = _hits((("yes", yes), ("no", no)), plain)
    said_yes, said_no = _signs(hits, "yes"), _signs(hits, "no")
    says_yes = AFFIRMED in said_yes
    says_no = AFFIRMED in said_no or DENIED in said_yes
    if says_yes and (yes_wins or not says_no):
        return Reading(True, (False,) if DENIED in said_no else ())
    if says_no and not says_yes:
        return Reading(False, (True,))
    if DENIED in said_no and not says_no and question_flips_no and answer:
        return Reading(True, (False,))
    if hits or not answer:
        return Reading(None)
    return Reading(parse_yes_no(plain))


_DISABLED_YES = r"残疾|残障|伤残|残联|肢残|截肢|聋哑|聋人|耳聋|哑巴|盲人|失明|智障|智力障碍|精神障碍|脑瘫"
# Said in answer to "是残疾人吗"; in a free sentence health says nothing about it.
_DISABLED_NO = r"健康|身体(?:很|挺|还|都)?好|正常人|没毛病|好好的"
_NEVER = r"(?!)"
_CARD = re.compile(r"残疾证|残疾人证")


def read_disabled(text: str, answer: bool = False) -> Reading:
    """``answer``: the text answers "是残疾人吗" (then a bare 是/不是 counts)."""
    plain = normalise(text)
    cards = [sign for _, sign in find(_CARD, plain)]
    if DENIED in cards and AFFIRMED not in cards:
        # "没有残疾证": the card is missing, the disability is not denied.
        without_card = _CARD.sub(lambda m: "·" * len(m.group()), plain)
        reading = _boolean(without_card, _DISABLED_YES, _DISABLED_NO if answer else _NEVER, answer=False)
        return reading if reading.value is False else Reading(None)
    return _boolean(plain, _DISABLED_YES, _DISABLED_NO if answer else _NEVER, answer)


_LEGS = r"(?:行动|腿脚|腿|脚|走路|行走|下地|出门)"
_MOBILITY_YES = (
    rf"{_LEGS}(?:不太|不怎么|不大|不)(?:方便|便|好|利索|灵便|灵活|行|得劲)|{_LEGS}(?:困难|有毛病|有问题|受限)"
    r"|走不了路?|走不动|不能走|不会走|走不远|瘫痪|偏瘫|瘫了|卧床|躺床上|坐轮椅|轮椅|拄拐|拄着拐|拐杖|下不了床|出不了门"
    r"|腿瘸|瘸腿|腿脚有病")
_MOBILITY_NO = (rf"{_LEGS}(?:还|挺|都|很|也)?(?:方便|好|利索|灵便|灵活|没问题|还行|可以|硬朗|没事)"
                r"|能走|走得动|能自己走|自己能走|能跑能跳|身体硬朗|能自理|自己能去|能自己去")


def read_mobility_impaired(text: str, answer: bool = False) -> Reading:
    return _boolean(text, _MOBILITY_YES, _MOBILITY_NO, answer)


# by_proxy: "帮我孩子办", "替老人申请", "代办".
_PROXY = (r"(?:帮|替|给|代)(?:我的?|家里的?|俺的?|我家的?|俺家的?)?(?:孩子|小孩|儿子|女儿|父母|爸|妈|老人|家人|老公|老婆|爱人"
          r"|老大|老二|老三|老幺"
          r"|丈夫|妻子|亲戚|朋友|他|她|别人|家里人|爷爷|奶奶|外公|外婆|姥姥|姥爷|闺女|娃|老伴|婆婆|公公|娘|爹|老娘"
          r"|老爹|母亲|父亲)"
          r"|(?:让|叫|请|托)(?:我的?|俺的?)?(?:孩子|儿子|女儿|闺女|家人|家里人|亲戚|老伴|老公|老婆|爱人)"
          r"(?:帮|替|给|代)|代办|代为|代领|代理|委托"
          # "本人来不了", "自己去不成", "本人没法到场": the applicant cannot come, someone else applies.
          r"|(?:自己|本人|亲自)(?:来|去|过来|过去|到场)(?:不了|不成)"
          r"|(?:自己|本人|亲自)(?:不能|没法|没办法|无法)(?:来|去|到场|过来|过去)")
# In a free sentence 自己 needs its verb (自己的房子 is not "I apply myself"), and not "来不了".
_SELF = r"(?:我)?(?:自己|本人|亲自)(?:办|来|申请|去|过来)(?!不了|不成)|给自己|帮自己"
_SELF_ANSWER = r"自己|本人|亲自"


def read_by_proxy(text: str, answer: bool = False) -> Reading:
    """Someone else's application ("帮孩子办") wins over 自己 in the same
    sentence ("孩子自己来不了，我帮他办")."""
    return _boolean(text, _PROXY, _SELF_ANSWER if answer else _SELF, answer, question_flips_no=True,
                    yes_wins=True)


# The speaker's family, as people name them (one list for every reader that needs it).
# Who applies for someone else: 聊城 第六条 and 曲靖 第十二条 allow only 监护人、近亲属.
_KIN = (rf"(?:帮|替|给|代)(?:我的?|俺的?|咱)?{KIN}"
        rf"|我(?:是|系)(?:他|她)的?(?:{KIN}|监护人|家属)"
        rf"|我家{KIN}|(?:我|俺){KIN}")
_NOT_KIN = (r"(?:帮|替|给|代)(?:我们)?(?:邻居|朋友|同事|老乡|房东|租客|工友|员工|居民|群众|一位|一个|位|个)"
            r"|邻居|网格员|志愿者|社工|社区工作人员|居委会|村委会|中介|我是(?:他|她)的?(?:朋友|同事|老板|房东)")


def read_agent(text: str) -> Reading:
    """Who applies for the person: "relative" (kin named: 帮我妈办), "other" (邻居、
    网格员、志愿者…), or None when the words do not say."""
    plain = normalise(text)
    if re.search(_NOT_KIN, plain):
        return Reading("other")
    if re.search(_KIN, plain):
        return Reading("relative")
    return Reading(None)


def has_denial(text: str) -> bool:
    """Whether ``text`` denies anything at all (a bare 没有, 不是 …)."""
    return bool(negators(normalise(text)))
