"""Plausible Chinese names and places for the demo data (fictional, deterministic from a Random)."""
from __future__ import annotations

import random

# Common surnames, most frequent first; weights fall off like the real distribution.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_SURNAME_WEIGHTS = [1 / (i + 8) for i in range(len(SURNAMES))]
BOY = "浩宇轩子涵博文杰俊晨阳明辰睿泽浩然天佑一鸣志强建国家乐思远嘉豪梓豪宇航皓轩承泽铭昊"
GIRL = "欣怡雨涵梓萱诗涵可馨紫涵思琪雨桐佳怡若曦一诺梦瑶静怡芷若婉婷雅琪晓彤心怡语嫣子琪"
PLACES = ("青山", "石门", "柳溪", "桃坪", "杨家湾", "高坎", "白沙", "龙潭", "凤凰", "双河", "黄土岭", "麻阳", "新塘",
          "大坪", "枫木", "茶园", "油溪", "清水", "金竹", "马鞍", "水口", "长冲", "竹林", "梅花", "太平", "永兴",
          "沙坪", "岩口", "花桥", "石桥", "观音阁", "牛角", "团结", "红岩", "三合", "和平", "杉木", "松柏", "樟树",
          "草坪", "坪上", "江口", "桥头", "田坝", "新华", "荷花", "五里", "乌龙", "黄泥", "铁山")


def person_name(rng: random.Random, gender: str) -> str:
    """Return a name of one surname and one or two given-name characters."""
    surname = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    pool = BOY if gender == "男" else GIRL
    length = 2 if rng.random() < 0.8 else 1
    return surname + "".join(rng.choice(pool) for _ in range(length))
