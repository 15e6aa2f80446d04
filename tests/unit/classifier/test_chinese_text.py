"""Chinese (and Korean) text: the character-pair lexical index (lexical.py, analyzer ``cjk``), how the engine tells
such text apart (textprep.written_in_cjk), the held-out split of scripts/build_cjk_index.py, the Chinese -> English
lexicon (translate.ChineseLexicon), and the committed model on a few obvious Chinese descriptions."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from functions.classifier.chinese import TraditionalChinese, read_mainland_words
from functions.classifier.engine import DEFAULT_MODEL_DIR, ClassifierEngine
from functions.classifier.lexical import LexicalIndex, _delta_decode, _delta_encode, terms
from functions.classifier.textprep import written_in_cjk
from functions.classifier.translate import CHINESE_LEXICON_FILE, ChineseLexicon, han_tokens

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

import build_cjk_index  # noqa: E402

NAMES = ["冷凍蝦", "冷凍蝦仁", "冷凍鮪魚", "腳踏車", "登山腳踏車", "腳踏車坐墊", "智慧型手機", "手機用外殼"]
LABELS = [0, 0, 1, 2, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def cjk_index() -> LexicalIndex:
    return LexicalIndex.build(NAMES, LABELS, n_labels=6, min_df=1, analyzer="cjk")


def test_cjk_terms_are_characters_and_character_pairs_and_latin_words():
    assert terms("冷凍蝦 12V", "cjk") == ["冷", "凍", "蝦", "冷凍", "凍蝦", "12v"]
    assert terms("冷凍蝦") == []  # the English analyzer ignores Han characters, so English scoring is unchanged


@pytest.mark.parametrize(("text", "expected"), [
    ("冷凍蝦", True), ("12V 40A汽車繼電器", True), ("전자석 커플링", True),
    ("智慧型手機; SAMSUNG; SM-S921; KOREA", True),  # Chinese goods, English brand/model/origin fields
    ("frozen shrimp", False), ("LED TV 液晶", False), ("12345", False),
    ("Green tea; 天福; 600 g", False),  # English goods, a Chinese brand field
])
def test_written_in_cjk_reads_the_goods_field(text, expected):
    assert written_in_cjk(text) is expected


def test_cjk_index_ranks_the_name_sharing_character_pairs(cjk_index):
    # Given a name not in the index that shares "腳踏車" with label 2 (and with the saddle, label 3)
    scores = cjk_index.scores("兒童腳踏車")
    # Then the bicycle ranks before its saddle and unrelated labels score nothing
    assert int(np.argmax(scores)) == 2 and scores[2] > scores[3] > 0
    assert scores[0] == scores[1] == scores[4] == 0


def test_single_characters_count_in_centroids_but_not_in_short_row_matches(cjk_index):
    # "車" alone is in the centroid of labels 2 and 3, but matches no short row on its own
    row_terms = {cjk_index.terms[t] for t in range(len(cjk_index.terms)) if cjk_index.row_indptr[t + 1] > cjk_index.row_indptr[t]}
    assert "腳踏" in row_terms and "車" not in row_terms
    assert cjk_index.scores("車")[2] > 0


def test_an_identical_short_name_scores_one(cjk_index):
    assert cjk_index.scores("腳踏車坐墊")[3] == pytest.approx(1.0, abs=0.01)


def test_a_row_kept_out_of_short_rows_still_counts_in_its_centroid():
    index = LexicalIndex.build(["腳踏車", "腳踏車 (not motorised)"], [0, 1], n_labels=2, min_df=1, analyzer="cjk", short_rows=[True, False])
    assert set(index.row_labels.tolist()) == {0}  # only the bare name can match as a short row
    assert index.scores("腳踏車")[1] > 0  # the other row still speaks through label 1's centroid


def test_cjk_index_round_trip_keeps_scores(cjk_index, tmp_path):
    cjk_index.save(tmp_path / "cjk.npz")
    loaded = LexicalIndex.load(tmp_path / "cjk.npz")
    assert loaded.analyzer == "cjk"
    assert np.array_equal(loaded.row_ids, cjk_index.row_ids)
    for query in ("冷凍蝦", "智慧型手機殼", "腳踏車"):
        assert np.allclose(loaded.scores(query), cjk_index.scores(query), atol=1 / 255)


@pytest.mark.parametrize("lists", [[[0, 3, 9], [], [1, 2], [], [7]], [[], [], [5]], [[4]], []])
def test_delta_coding_of_posting_lists_round_trips(lists):
    ids = np.array([i for lst in lists for i in lst], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum([len(lst) for lst in lists])]).astype(np.int64)
    assert np.array_equal(_delta_decode(_delta_encode(ids, indptr), indptr), ids)


def test_unknown_analyzer_is_refused():
    with pytest.raises(ValueError):
        LexicalIndex.build(NAMES, LABELS, n_labels=6, analyzer="klingon")


def test_held_out_names_split_by_name_into_fit_and_report():
    parts = [build_cjk_index.held_out_part(f"名稱{i}") for i in range(4000)]
    held = [p for p in parts if p]
    assert 0.03 < len(held) / len(parts) < 0.07  # about 1 in 20
    assert {"fit", "report"} == set(held)
    assert build_cjk_index.held_out_part("冷凍蝦") == build_cjk_index.held_out_part("冷凍蝦")


def test_chinese_names_read_with_their_condition(tmp_path):
    (tmp_path / "ch03.csv").write_text(
        "term_en,term_zh_tw,hs6,condition,note\nfrozen shrimp,冷凍蝦,030617,frozen,\ntuna,,030342,,\nsmartphone,smartphone,851713,,\n",
        encoding="utf-8")
    # Then the bare name (what users type) and the name with its condition are both rows of the entry
    assert build_cjk_index.chinese_names(tmp_path) == [{"name": "冷凍蝦", "text": "冷凍蝦", "hs6": "030617"},
                                                       {"name": "冷凍蝦", "text": "冷凍蝦 (frozen)", "hs6": "030617"}]


@pytest.fixture
def opencc_dictionary(tmp_path) -> Path:
    # A few lines in OpenCC's format: key, tab, readings (the first is the usual one)
    (tmp_path / "STCharacters.txt").write_text("车\t車\n虾\t蝦\n冻\t凍\n为\t爲 為\n面\t面 麵\n", encoding="utf-8")
    (tmp_path / "TWVariants.txt").write_text("爲\t為\n", encoding="utf-8")
    (tmp_path / "TWPhrases.txt").write_text("自行車\t腳踏車\n", encoding="utf-8")
    return tmp_path


def test_simplified_text_becomes_taiwan_traditional(opencc_dictionary, tmp_path):
    table = TraditionalChinese.from_opencc(opencc_dictionary)
    assert table.convert("冷冻虾") == "冷凍蝦"
    assert table.convert("自行车") == "腳踏車"  # characters first, then the Taiwan phrase
    assert table.convert("为") == "為"  # in its Taiwan variant
    # Traditional text passes unchanged: 面 is Traditional too (its readings include itself), so it is not mapped
    assert table.convert("面膜") == "面膜"
    table.save(tmp_path / "zh_s2t.json")
    assert TraditionalChinese.load(tmp_path / "zh_s2t.json").convert("自行车") == "腳踏車"


def test_an_ambiguous_character_takes_the_reading_whose_pairs_the_index_knows(opencc_dictionary, tmp_path):
    (opencc_dictionary / "STCharacters.txt").write_text("干\t干 幹 乾\n发\t發 髮\n头\t頭\n", encoding="utf-8")
    table = TraditionalChinese.from_opencc(opencc_dictionary)
    assert table.alternatives == {"干": "干幹乾", "发": "發髮"}  # the usual reading first
    known = {"乾燥", "頭髮", "發電"}.__contains__
    # Given the pairs of the index, 干 before 燥 is 乾 (dried) and 发 after 头 is 髮 (hair)
    assert table.convert("干燥剂", known=known) == "乾燥剂"
    assert table.convert("假发", known=known) == "假發"  # no known pair: the usual reading
    assert table.convert("头发", known=known) == "頭髮"
    assert table.convert("发", known=known) == "發"  # no neighbours
    # Without the index's pairs, the character table alone (Traditional text passes unchanged)
    assert table.convert("头发") == "頭發"
    table.save(tmp_path / "zh_s2t.json")
    assert TraditionalChinese.load(tmp_path / "zh_s2t.json").convert("头发", known=known) == "頭髮"


def test_a_mainland_word_becomes_the_taiwan_word_the_names_use(opencc_dictionary, tmp_path):
    words = tmp_path / "words.csv"
    words.write_text("mainland,taiwan,english\n方便面,泡麵,instant noodles\n充电宝,行動電源,power bank\n", encoding="utf-8")
    # Given names that say 泡麵 and never 行動電源
    table = TraditionalChinese.from_opencc(opencc_dictionary, names=["泡麵", "冷凍蝦"], mainland=read_mainland_words(words))
    assert table.mainland == {"方便面": "泡麵"}
    # Then the mainland word is replaced first, as written, and the characters after it
    assert table.convert("方便面; 冷冻虾") == "泡麵; 冷凍蝦"
    table.save(tmp_path / "zh_s2t.json")
    assert TraditionalChinese.load(tmp_path / "zh_s2t.json").convert("方便面") == "泡麵"


def test_a_taiwan_phrase_is_kept_only_where_the_names_use_one_of_its_forms(opencc_dictionary):
    (opencc_dictionary / "TWPhrases.txt").write_text("自行車\t腳踏車\n筆記本電腦\t膝上型電腦\n", encoding="utf-8")
    # Given names that say 自行車 (converted on both sides alike) and 筆記型電腦, never 筆記本電腦 or 膝上型電腦
    table = TraditionalChinese.from_opencc(opencc_dictionary, names=["自行車坐墊", "筆記型電腦"])
    assert table.phrases == {"自行車": "腳踏車"}
    assert table.convert("筆記本電腦") == "筆記本電腦"  # keeps the pairs 筆記 and 電腦 that the names share


@pytest.fixture(scope="module")
def engine() -> ClassifierEngine:
    return ClassifierEngine(DEFAULT_MODEL_DIR)


@pytest.mark.parametrize(("text", "accepted"), [
    ("智慧型手機", "851713"), ("腳踏車", "871200"), ("冷凍蝦", "030617"), ("筆記型電腦", "847130"),
    ("智能手机", "851713"), ("自行车", "871200"),  # Simplified characters, mainland words
    ("笔记本电脑", "847130"), ("干香菇", "071234"), ("石英手表", "910211"),  # 干 read as 乾 (dried), 表 as 錶 (watch)
    ("方便面", "190230"), ("Type-C数据线", "854442"),  # mainland words for 泡麵 and 傳輸線
])
def test_committed_model_reads_obvious_chinese_descriptions(engine, text, accepted):
    result = engine.classify([text], top_k=5)["results"][0]
    assert accepted in [c["hs6"] for c in result["candidates"]][:3], [c["hs6"] for c in result["candidates"]]
    # the evidence is what the English translation is closest to, so it is English training text
    assert all(not written_in_cjk(item["text"]) for item in result["evidence"])


def test_chinese_is_scored_through_its_english_translation(engine):
    # Given the committed lexicon, a Chinese description is put into English before the English path reads it
    assert (engine.folder / CHINESE_LEXICON_FILE).exists()
    assert "shrimp" in engine.from_chinese.to_english("冷凍蝦仁")
    # Then the English evidence of the translation comes back
    assert engine.classify(["冷凍蝦仁"])["results"][0]["evidence"]


def test_han_tokens_are_the_overlapping_character_pairs_of_each_run():
    assert han_tokens("冷凍蝦仁") == ["冷凍", "凍蝦", "蝦仁"]
    assert han_tokens("鞋; NIKE 運動鞋") == ["鞋", "運動", "動鞋"]  # a one-character run stays itself


ZH = ChineseLexicon({"冷凍": "frozen", "蝦仁": "shrimp", "不鏽": "stainless", "鏽鋼": "stainless steel", "螺栓": "bolt",
                     "電磁": "solenoid", "磁爐": "induction", "電磁爐": "induction cooker", "爐架": "rack",
                     "塑膠": "plastic", "凳": "stool", "福": "fortune"})


@pytest.mark.parametrize(("text", "english"), [
    ("冷凍蝦仁", "frozen shrimp"),  # "凍蝦", across the word boundary, is not in the lexicon
    ("不鏽鋼螺栓 M8", "stainless steel bolt M8"),  # overlapping pairs, the repeated word said once; Latin and numbers stay
    ("冷凍蝦仁; 越南", "frozen shrimp;"),  # an unknown run is dropped (the character index still reads it)
    ("越南", ""),  # nothing known: "" so that the caller keeps the text
    ("電磁爐", "induction cooker"),  # a word of three characters the lexicon knows is read whole, not as its two pairs
    ("電磁爐架", "induction cooker rack"),  # ... and the pair that starts at its last character follows
    ("電磁", "solenoid"),
    ("塑膠矮凳", "plastic stool"),  # the last pair (矮凳) is unknown: the head noun, the last character, is read alone
    ("天福", ""),  # ... but not in a run of two, as often a name or a brand as a word
])
def test_chinese_lexicon_puts_pairs_into_english(text, english):
    assert ZH.to_english(text) == english


def test_chinese_lexicon_is_learned_from_names_and_their_english_entries():
    names = [("冷凍蝦仁", "frozen shrimp"), ("冷凍鮪魚", "frozen tuna"), ("冷藏鮪魚", "chilled tuna"), ("冷藏蝦仁", "chilled shrimp"),
             ("冷凍鮭魚", "frozen salmon"), ("冷藏鮭魚", "chilled salmon")]
    lexicon = build_cjk_index.learn_lexicon(names, TraditionalChinese({}, {}))
    assert {k: lexicon[k] for k in ("冷凍", "冷藏", "蝦仁")} == {"冷凍": "frozen", "冷藏": "chilled", "蝦仁": "shrimp"}
    assert not any(len(k) == 3 for k in lexicon)  # no run of three characters is held by enough names


def test_a_word_of_three_characters_joins_the_lexicon_when_enough_names_hold_it():
    names = [("電磁爐", "induction cooker"), ("家用電磁爐", "household induction cooker"), ("商用電磁爐", "commercial induction cooker"),
             ("嵌入式電磁爐", "built-in induction cooker"), ("電磁閥", "solenoid valve"), ("氣動電磁閥", "pneumatic solenoid valve"),
             ("家用電鍋", "household rice cooker"), ("商用冰箱", "commercial refrigerator")]
    lexicon = build_cjk_index.learn_lexicon(names, TraditionalChinese({}, {}))
    assert build_cjk_index.TRIGRAM_MIN_NAMES == 4
    assert "cooker" in lexicon["電磁爐"].split() and "電磁閥" not in lexicon  # four names hold 電磁爐, two 電磁閥
    # and the last character of each name is learned alone, as the head noun the name ends with
    assert "cooker" in lexicon["爐"].split() and "valve" in lexicon["閥"].split()


def test_a_chinese_declaration_with_english_fields_is_read_in_chinese(engine):
    result = engine.classify(["筆記型電腦; ACER; SWIFT 3 SF314; TAIWAN"], top_k=3)["results"][0]
    assert "847130" in [c["hs6"] for c in result["candidates"]]


def test_english_text_keeps_the_english_path(engine):
    scored = engine.scores("frozen shrimp; 冷凍蝦")  # more Latin letters than Han characters
    assert scored.temperature == engine.scorer.temperature


@pytest.mark.parametrize(("text", "accepted"), [
    ("联想 ThinkPad X1 Carbon 笔记本电脑", "847130"),  # more Latin letters than Han characters: English, with the Chinese word read
    ("Logitech 无线鼠标 wireless mouse", "847160"),
])
def test_chinese_words_inside_english_text_are_read_too(engine, text, accepted):
    assert engine.cjk_words_in_english(text)
    assert engine.scores(text).temperature == engine.scorer.temperature  # still the English path
    assert engine.classify([text], top_k=1)["results"][0]["candidates"][0]["hs6"] == accepted


def test_english_text_with_a_chinese_word_no_lexicon_knows_is_read_as_written(engine):
    assert engine.cjk_words_in_english("Green tea; 天福") == ""
    assert engine.classify(["Green tea; 天福"], top_k=1)["results"][0]["candidates"][0]["hs6"] == "090210"
