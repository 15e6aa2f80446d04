"""The guided dialogue on the real HS 2022 nomenclature (pure logic, no I/O)."""

from __future__ import annotations

import pytest

from customs.hs import get_nomenclature
from functions.tariff_api.chalicelib.dialogue import (
    ATTRIBUTES,
    NOT_SURE,
    DialogueEngine,
    attribute_value,
    expected_gain,
    plain_wording,
)

SHIRTS = [
    {"hs6": "610910", "probability": 0.30},
    {"hs6": "620520", "probability": 0.25},
    {"hs6": "610990", "probability": 0.20},
    {"hs6": "620530", "probability": 0.10},
    {"hs6": "610510", "probability": 0.10},
    {"hs6": "392690", "probability": 0.05},
]


@pytest.fixture(scope="module")
def engine() -> DialogueEngine:
    lines = {"620520": [{"code": "6205200010", "description": "Batik", "self_describing_text": "Batik — under: Shirts"},
                        {"code": "6205200090", "description": "Other", "self_describing_text": "Other (excl. batik) — under: Shirts"}]}
    return DialogueEngine(get_nomenclature(), lambda hs6: lines.get(hs6, []))


def attribute(id_: str):
    return next(a for a in ATTRIBUTES if a.id == id_)


def test_attributes_are_read_from_the_most_specific_wording(engine):
    material = attribute("material")
    assert attribute_value(material, engine.texts_by_level("610910")) == "cotton"
    # "of textile materials (other than cotton)" names cotton only to exclude it
    assert attribute_value(material, engine.texts_by_level("610990")) == "textile_other"
    assert attribute_value(material, engine.texts_by_level("392690")) == "plastics"  # from the chapter
    knitted = attribute("knitted")
    assert attribute_value(knitted, engine.texts_by_level("610910")) == "knitted"
    assert attribute_value(knitted, engine.texts_by_level("620520")) == "not_knitted"


def test_expected_gain_is_highest_for_a_question_that_splits_evenly():
    weights = {"a": 0.5, "b": 0.5}
    # Not a full bit: a mismatching answer keeps a little mass (MISMATCH), so one wrong answer is recoverable
    assert 0.8 < expected_gain(weights, {"a": "x", "b": "y"}, ["x", "y"]) < 1.0
    assert expected_gain(weights, {"a": "x", "b": "x"}, ["x", "y"]) == pytest.approx(0.0, abs=1e-9)
    assert expected_gain(weights, {"a": None, "b": None}, ["x", "y"]) == pytest.approx(0.0, abs=1e-9)


def test_a_session_asks_plain_questions_with_not_sure(engine):
    state = engine.start("men's cotton shirt", SHIRTS)
    view = engine.view(state)
    assert view["status"] == "asking"
    options = view["question"]["options"]
    assert 3 <= len(options) <= 7 and options[-1]["id"] == NOT_SURE


def test_truthful_answers_reach_the_gold_code_and_then_its_national_line(engine):
    state = engine.start("men's cotton shirt", SHIRTS)
    answers = {"material": "cotton", "knitted": "not_knitted", "wearer": "men"}
    while state["status"] == "asking":
        question = state["question"]
        ids = [o["id"] for o in question["options"]]
        choice = answers.get(question["id"]) or next((i for i in ids if "620520".startswith(i)), None) or (ids[-1] if question["kind"] == "national" else NOT_SURE)
        engine.answer(state, question["id"], choice)
    result = engine.view(state)["result"]
    assert result["hs6"] == "620520"
    assert result["national_line"]["code"] == "6205200090"
    assert [h["question_id"] for h in state["history"]][-1].startswith("national:")
    assert result["questions_asked"] <= 6


def test_not_sure_changes_nothing_and_the_next_question_differs(engine):
    state = engine.start("shirt", SHIRTS)
    before = dict(state["weights"])
    first = state["question"]["id"]
    engine.answer(state, first, NOT_SURE)
    assert state["weights"] == before
    assert state["question"] is None or state["question"]["id"] != first


def test_a_confident_prior_asks_no_hs6_question(engine):
    state = engine.start("iphone 15", [{"hs6": "851713", "probability": 0.998}, {"hs6": "851714", "probability": 0.002}])
    assert state["status"] == "done" or state["question"]["kind"] == "national"


def test_at_most_six_questions(engine):
    flat = [{"hs6": code, "probability": 1 / 20} for code in get_nomenclature().codes(6)[:400:20]]
    state = engine.start("something", flat)
    while state["status"] == "asking":
        engine.answer(state, state["question"]["id"], NOT_SURE)
    assert len(state["history"]) <= 6


@pytest.mark.parametrize(
    "question_id, option_id, message",
    [("nope", "cotton", "not the open question"), (None, "plutonium", "not offered")],
)
def test_answers_that_do_not_fit_are_rejected(engine, question_id, option_id, message):
    state = engine.start("shirt", SHIRTS)
    with pytest.raises(ValueError, match=message):
        engine.answer(state, question_id or state["question"]["id"], option_id)


def test_plain_wording_drops_cross_references():
    assert plain_wording("Articles of plastics and articles of other materials of heading no. 3901 to 3914, n.e.c. in chapter 39") == "Articles of plastics and articles of other materials"


def test_candidates_carry_chinese_example_names(engine):
    # The HS wording is English; the zh-TW page shows trade names of each candidate beside it
    view = engine.view(engine.start("男用棉質T恤", SHIRTS, lang="zh-TW"))
    first = view["candidates"][0]
    assert first["hs6"] == "610910" and first["examples_zh"] and all(any("\u4e00" <= ch <= "\u9fff" for ch in n) for n in first["examples_zh"])


def test_options_on_the_chinese_page_add_chinese_trade_names_to_the_english_wording(engine):
    view_zh = engine.view(engine.start("男用棉質T恤", SHIRTS, lang="zh-TW"))
    view_en = engine.view(engine.start("men's cotton t-shirt", SHIRTS, lang="en"))
    labels_zh = [o["label"] for o in view_zh["question"]["options"]]
    labels_en = [o["label"] for o in view_en["question"]["options"]]
    assert any("（例：" in label for label in labels_zh), labels_zh
    assert not any("例：" in label for label in labels_en)  # the English page keeps the plain wording


def test_a_korean_session_asks_in_korean_with_korean_trade_names(engine):
    # Given a Korean importer's session
    view = engine.view(engine.start("남성용 면 티셔츠", SHIRTS, lang="ko"))
    # Then the question and "not sure" are Korean, and each option adds Korean trade names to the English HS wording
    question = view["question"]
    assert view["lang"] == "ko" and any("\uac00" <= ch <= "\ud7af" for ch in question["text"])
    labels = [o["label"] for o in question["options"]]
    assert labels[-1] == "잘 모르겠음"
    assert any("(예: " in label for label in labels[:-1]) or all(any("\uac00" <= ch <= "\ud7af" for ch in label) for label in labels), labels
    first = view["candidates"][0]
    assert first["examples_ko"] and all(any("\uac00" <= ch <= "\ud7af" for ch in n) for n in first["examples_ko"])


def test_every_attribute_speaks_all_three_languages():
    from functions.tariff_api.chalicelib.dialogue import ATTRIBUTES, UI_TEXT

    for attribute in ATTRIBUTES:
        assert attribute.question_en and attribute.question_zh and attribute.question_ko
        assert all(v.label_en and v.label_zh and v.label_ko for v in attribute.values)
    assert all(set(texts) == {"en", "zh-TW", "ko"} for texts in UI_TEXT.values())
