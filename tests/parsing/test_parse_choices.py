import pytest

from bot.parsing import parse_employment, parse_housing, parse_nationality, parse_study, parse_yes_no, read_employment


@pytest.mark.parametrize("text", ["是", "对", "有", "嗯", "好", "可以", "yes", "是的", "Yes", "OK", "好的", "没错", "没问题"])
def test_yes(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", ["不是", "没有", "不", "否", "no", "不用", "No", "不需要", "没"])
def test_no(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["", "不知道", "不清楚", "随便说说", "聊城"])
def test_neither(text):
    assert parse_yes_no(text) is None


@pytest.mark.parametrize("text, code", [
    ("租房", "rented"), ("租的", "rented"), ("交房租", "rented"), ("和人合租", "rented"),
    ("自己的房子", "owned"), ("买的房", "owned"), ("自有住房", "owned"), ("有房产证", "owned"),
    ("公租房", "public_housing"), ("廉租房", "public_housing"), ("保障房", "public_housing"),
    ("单位宿舍", "employer_dorm"), ("厂里宿舍", "employer_dorm"), ("公司宿舍", "employer_dorm"),
    ("员工宿舍", "employer_dorm"),
    ("学校宿舍", "school_dorm"), ("住校", "school_dorm"),
    ("没地方住", "none"), ("借住朋友家", "other"), ("借住亲戚家", "other"), ("住亲戚家", "other"), ("住我姐家", "other"),
    ("不是租的，是自己买的", "owned"),
])
def test_housing(text, code):
    assert parse_housing(text) == code


@pytest.mark.parametrize("text", ["宿舍", "不知道", "", "不是租的"])
def test_housing_unknown(text):
    assert parse_housing(text) is None


@pytest.mark.parametrize("text, code", [
    ("签了劳动合同", "labor_contract"),
    ("个体户", "business_license"), ("有营业执照", "business_license"), ("开店", "business_license"),
    ("做生意", "business_license"), ("开了个公司", "business_license"),
    ("公务员", "public_sector"), ("事业单位", "public_sector"), ("在机关上班", "public_sector"),
    ("公立学校老师", "public_sector"),
    ("没工作", "none"), ("无业", "none"), ("待业", "none"), ("退休了", "none"), ("没上班", "none"),
])
def test_employment(text, code):
    assert parse_employment(text) == code


@pytest.mark.parametrize("text", ["上班", "打工", "在厂里", "在公司上班", "不是个体户，是打工的", "在饭店打工", "工地干活",
                                  "送外卖", "厂里上班", "跑车的", "派出所周末上班吗"])
def test_a_job_without_its_kind_is_no_contract(text):
    """Issue 17 (4): work words never become a labour contract the person did not name."""
    reading = read_employment(text)
    assert reading.value is None and reading.value != "labor_contract"


@pytest.mark.parametrize("text, code", [("租房八个月了，合同在", None), ("租房八个月了 合同在", None),
                                        ("在厂里上班，合同签了", "labor_contract"), ("沒有工作", "none"),
                                        ("我沒有勞動合同", None)])
def test_a_lease_is_no_labour_contract_and_traditional_negations_hold(text, code):
    assert parse_employment(text) == code


def test_employment_ignores_where_one_sleeps():
    assert parse_employment("住单位宿舍") is None
    assert parse_employment("") is None


@pytest.mark.parametrize("text, code", [
    ("在读", "full_time"), ("上学", "full_time"), ("读书", "full_time"), ("学生", "full_time"),
    ("全日制", "full_time"), ("住校读书", "full_time"), ("上初中", "full_time"), ("读高二", "full_time"),
    ("不上学", "none"), ("毕业了", "none"), ("没读书", "none"), ("大学毕业", "none"), ("上幼儿园", "none"),
])
def test_study(text, code):
    assert parse_study(text) == code


def test_study_unknown():
    assert parse_study("在厂里上班") is None


@pytest.mark.parametrize("text, code", [
    ("外国人", "foreign"), ("外籍", "foreign"), ("老外", "foreign"), ("美国人", "foreign"),
    ("香港", "hk"), ("中国香港", "hk"), ("澳门", "mo"), ("台湾", "tw"),
    ("中国人", "cn"), ("大陆的", "cn"), ("中国籍", "cn"), ("不是外国人，是中国人", "cn"),
])
def test_nationality(text, code):
    assert parse_nationality(text) == code


@pytest.mark.parametrize("text", ["港澳台", "不知道", ""])
def test_nationality_unknown(text):
    assert parse_nationality(text) is None
