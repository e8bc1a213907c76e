"""Chinese words for the codes of the facts and decisions (one place)."""

NATIONALITY = {"cn": "中国内地居民", "foreign": "外国人", "hk": "香港居民", "mo": "澳门居民", "tw": "台湾居民"}
EMPLOYMENT = {
    "labor_contract": "签了劳动合同上班",
    "business_license": "持营业执照经营",
    "public_sector": "在机关、事业单位工作",
    "none": "没有符合条件的工作",
}
HOUSING = {
    "owned": "住自己的房子",
    "rented": "租房住",
    "public_housing": "住保障性住房",
    "employer_dorm": "住单位宿舍",
    "school_dorm": "住学校宿舍",
    "none": "没有固定住所",
    "other": "住在亲戚朋友家等（办法未列明的住处）",
}
STUDY = {"full_time": "全日制在读（有学籍）", "none": "不在读"}
BASIS_LABELS = {"housing": HOUSING, "employment": EMPLOYMENT, "study": STUDY}
VERDICT = {
    "eligible": "可以申领居住证",
    "eligible_after_review": "可以补充登记，经县级公安机关审核后申领居住证",
    "not_yet_eligible": "暂时还不能申领居住证",
    "not_eligible": "目前不符合申领居住证的条件",
    "not_required": "不需要办理居住证",
    "not_covered": "不适用本地居住证办法",
    "undetermined": "还需要了解一些情况才能判断",
}
# The question to ask for each fact the engine may report missing.
QUESTION = {
    "hukou.city": "您的户口（常住户口）在哪个省、哪个市？",
    "hukou.county": "您的户口在{city}哪个县（市、区）？",
    "hukou.township": "您的户口在哪个乡镇或街道？",
    "residence.county": "您现在住在{city}哪个县（市、区）？",
    "residence.township": "您现在住在哪个乡镇或街道？",
    "lived_months": "您在现在的住处住了多久？",
    "registered_months": "您在现住地办理{registration}多久了？（没办过请说“没办”）",
    "supplementary_proof_months": "您能提供多少个月的营业执照、个税或“五险”缴纳单据、学籍登记、租房等证明？",
    "housing": "您现在住的是什么房子？",
    "employment": "您现在的工作是什么情况？",
    "study": "您是全日制在读学生吗（有学籍）？",
    "age": "办证的人多大年龄？",
    "disabled": "办证的人是残疾人吗？",
    "mobility_impaired": "办证的人行动不便吗？",
}
# Closed answers the dialogue offers as buttons: (code, label).
CHOICES = {
    "housing": [(code, label) for code, label in HOUSING.items() if code != "other"],
    "employment": [(code, label) for code, label in EMPLOYMENT.items()],
    "study": [("full_time", "是，全日制在读"), ("none", "不是")],
    "disabled": [(True, "是"), (False, "不是")],
    "mobility_impaired": [(True, "是"), (False, "不是")],
}
