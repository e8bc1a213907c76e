"""Word lists the readers share: provinces, peoples of autonomous prefectures, kin words.

A leaf: it imports nothing of the project, so any reader can use it.
"""
from __future__ import annotations

import re

# The one list of the 34 provincial-level units.
PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市",
    "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省", "安徽省",
    "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省",
    "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
    "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区",
)

# 凉山彝族自治州 is said 凉山: the people's name before 自治州/县/旗.
PEOPLES = re.compile(r"(?:(?:朝鲜|土家|苗|羌|藏|彝|侗|布依|哈尼|壮|傣|白|景颇|傈僳|回|蒙古|柯尔克孜|哈萨克|满|瑶"
                     r"|黎|畲|水|仡佬|拉祜|佤|纳西|普米|独龙|怒|傈僳|阿昌|德昂|基诺|哈尼|撒拉|东乡|保安|土|裕固"
                     r"|锡伯|达斡尔|鄂温克|鄂伦春|各|毛南|仫佬|京|维吾尔|塔吉克)族?)+(?=自治(?:州|县|旗))")

# Relatives, as people name them ("我老公是四川的…", "帮我妈办").
KIN = (r"(?:孩子|小孩|儿子|女儿|闺女|娃|父母|老爸|老妈|爸|妈|老人家?|老公|老婆|爱人|媳妇|丈夫|妻子|老伴|爷爷|奶奶|外公|外婆"
       r"|姥姥|姥爷|婆婆|公公|老娘|老爹|娘|爹|母亲|父亲|哥|姐|弟|妹|孙子|孙女|外孙|老大|老二|老三|老幺)")
