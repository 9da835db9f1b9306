"""Label comparison tolerates how Excel, WPS and typing change punctuation, and nothing else."""

from __future__ import annotations

import pytest

from disclosure.workbook.labels import is_blank, normalize_label, same_label

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("official", "variant"),
    [
        ("一、本年新收政府信息公开申请数量", "一，本年新收政府信息公开申请数量"),
        ("一、本年新收政府信息公开申请数量", "一. 本年新收政府信息公开申请数量"),
        (
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            "(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)",
        ),
        ("1.属于国家秘密", "1、属于国家秘密"),
        ("1.属于国家秘密", "1．属于国家秘密"),
        ("1.属于国家秘密", "１．属于国家秘密"),
        ("1.属于国家秘密", "1. 属于国家秘密"),
        ("3.危及“三安全一稳定”", '3.危及"三安全一稳定"'),
        ("3.危及“三安全一稳定”", "3.危及‘三安全一稳定’"),
        ("本年增/减", "本年增／减"),
        ("采购总金额（万元）", "采购总金额(万元)"),
        ("行政许可", " 行政\n许可 "),
        ("行政许可", "行政\u3000许可"),
        ("第二十条第（一）项", "第二十条第(一)项"),
        (
            "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
            "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)",
        ),
    ],
)
def test_punctuation_variants_are_the_same_label(official, variant):
    assert same_label(official, variant)
    assert normalize_label(official) == normalize_label(variant)


@pytest.mark.parametrize(
    ("official", "changed"),
    [
        ("2.其他法律行政法规禁止公开", "2.其他法律行政止公开"),  # characters dropped
        ("3.危及“三安全一稳定”", "3.危及“三安全一稳”"),  # truncated, as in the seed
        ("规范性文件", "行政规范性文件"),  # 2019 vs 2021 wording
        ("1.属于国家秘密", "2.属于国家秘密"),  # another number
        ("1.属于国家秘密", "属于国家秘密"),  # numbering removed
        ("（一）予以公开", "（二）予以公开"),
        ("结果维持", "结果纠正"),
        ("其他", "3.其他"),
    ],
)
def test_changed_characters_are_a_different_label(official, changed):
    assert not same_label(official, changed)


def test_numbering_levels_stay_apart():
    # "一、" (section) and "1." (item) are different levels even though both are tolerant of their separator
    assert normalize_label("一、其他") != normalize_label("1.其他")
    assert normalize_label("一.其他") == normalize_label("一、其他")


def test_none_and_blank():
    assert normalize_label(None) == ""
    assert is_blank(None) and is_blank("") and is_blank("  \n")
    assert not is_blank(0) and not is_blank("0")
