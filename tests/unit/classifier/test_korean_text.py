"""Korean text: how the engine tells it from Chinese (textprep.written_in_hangul), the Korean names and tariff rows of
scripts/build_korean_index.py, the Korean -> English word lexicon (translate.KoreanLexicon), and the committed model on
a few obvious Korean descriptions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from functions.classifier.engine import DEFAULT_MODEL_DIR, ClassifierEngine
from functions.classifier.lexical import LexicalIndex, _pack, _unpack
from functions.classifier.textprep import written_in_cjk, written_in_hangul
from functions.classifier.translate import KOREAN_LEXICON_FILE, KoreanLexicon, hangul_words

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

import build_cjk_index  # noqa: E402
import build_korean_index  # noqa: E402


@pytest.mark.parametrize(("text", "expected"), [
    ("냉동 새우", True), ("남성용 면 티셔츠; NIKE; VIETNAM", True),
    ("육우(肉牛) 냉동 쇠고기", True),  # Korean with Hanja in brackets is still Korean
    ("冷凍蝦", False), ("智慧型手機; SAMSUNG", False),  # Chinese
    ("frozen shrimp; 새우깡", False),  # English goods, a Korean brand field
])
def test_written_in_hangul_tells_korean_from_chinese_and_english(text, expected):
    assert written_in_hangul(text) is expected
    if expected:
        assert written_in_cjk(text)  # Korean is a kind of text the English encoder cannot read


def test_korean_names_split_synonyms_and_keep_their_entry(tmp_path):
    path = tmp_path / "ko_names.csv"
    path.write_text("hs6,term_en,term_ko\n030342,frozen yellowfin tuna,냉동 황다랑어 | 냉동 참치\n851713,smartphone,smartphone\n",
                    encoding="utf-8")
    rows = build_korean_index.korean_names(path)
    # Then each Korean synonym is a row of the same entry, and a name without Hangul is left out
    assert [r["name"] for r in rows] == ["냉동 황다랑어", "냉동 참치"]
    assert {r["key"] for r in rows} == {"030342|frozen yellowfin tuna"}
    # and the held-out split keeps the synonyms of one entry on one side
    indexed, parts = build_cjk_index.split_names(rows * 1)
    sides = {("in" if r in indexed else "fit" if r in parts["fit"] else "report") for r in rows}
    assert len(sides) == 1


def test_tariff_rows_are_the_korean_hsk_lines(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": "김치", "hs6": "200599", "lang": "ko", "source": "kr_hsk"},
        {"text": "Kimchi", "hs6": "200599", "lang": "en", "source": "kr_hsk"},
        {"text": "冷凍蝦", "hs6": "030617", "lang": "zh-TW", "source": "commercial_index"},
    ]) + "\n", encoding="utf-8")
    assert build_korean_index.tariff_rows(corpus) == [{"name": "", "text": "김치", "hs6": "200599"}]


def test_tariff_lines_under_a_heading_path_are_not_short_rows():
    index = build_korean_index.build_index(
        [{"text": "김치", "hs6": "200599"}, {"text": "배추김치", "hs6": "200599"},
         {"text": "젖소 — 기타(번식용 제외)", "hs6": "010290"}, {"text": "젖소 — 번식용", "hs6": "010290"}], {"010290": 0, "200599": 1})
    assert set(index.row_labels.tolist()) == {1}  # only the line without a path can match a short query exactly
    assert index.scores("김치")[1] == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("values", [[0, 1, 255, 256, 70_000, 2**31], [], [7]])
def test_byte_planes_round_trip(values):
    assert _unpack(_pack(np.array(values, dtype=np.int64))).tolist() == values


def test_packed_index_round_trips_exactly(tmp_path):
    index = LexicalIndex.build(["frozen shrimp", "frozen shrimp peeled", "bicycle", "bicycle saddle", "shrimp chips"], [0, 0, 1, 2, 3],
                               n_labels=4, min_df=1)
    index.save(tmp_path / "lexical.npz")
    loaded = LexicalIndex.load(tmp_path / "lexical.npz")
    for name in ("indptr", "labels", "row_indptr", "row_ids", "row_labels"):
        assert np.array_equal(getattr(loaded, name), getattr(index, name)), name
    assert np.allclose(loaded.scores("frozen shrimp"), index.scores("frozen shrimp"), atol=1 / 255)


@pytest.mark.parametrize("analyzer", ["words", "cjk"])
def test_short_row_weights_come_back_from_row_norms_and_counts(tmp_path, analyzer):
    # Given an index built here, with a word repeated in a row ("shrimp shrimp") and rare words outside the vocabulary
    texts = ["frozen shrimp shrimp", "frozen shrimp peeled", "bicycle", "bicycle saddle", "냉동 새우 새우", "냉동 새우", "배추김치"]
    index = LexicalIndex.build(texts, [0, 0, 1, 2, 3, 3, 4], n_labels=5, min_df=2, analyzer=analyzer)
    # When it is saved (norms and counts, no weights) and loaded
    index.save(tmp_path / "lexical.npz")
    with np.load(tmp_path / "lexical.npz") as stored:
        assert "row_norms" in stored.files and "row_weights" not in stored.files
    loaded = LexicalIndex.load(tmp_path / "lexical.npz")
    # Then the weights are computed again to float16 precision, far closer than 8-bit codes (1/255)
    np.testing.assert_allclose(loaded.row_weights, index.row_weights, rtol=2e-3)
    assert np.array_equal(loaded.row_counts, index.row_counts) and index.row_counts.max() == 2
    for query in ("frozen shrimp", "bicycle", "냉동 새우"):
        np.testing.assert_allclose(loaded.scores(query), index.scores(query), atol=2e-3)
    # and saved again, it stays in that form
    loaded.save(tmp_path / "again.npz")
    np.testing.assert_allclose(LexicalIndex.load(tmp_path / "again.npz").row_weights, index.row_weights, rtol=2e-3)


def test_an_index_with_no_vocabulary_saves_and_loads(tmp_path):
    # Given texts whose words are all too rare for the vocabulary (min_df 2)
    index = LexicalIndex.build(["aa bb", "cc dd"], [0, 0], n_labels=2, min_df=2)
    index.save(tmp_path / "empty.npz")
    # Then it loads and scores zeros
    assert not LexicalIndex.load(tmp_path / "empty.npz").scores("aa").any()


def test_an_index_without_norms_keeps_its_weight_codes(tmp_path):
    # Given an index as older files hold it (weights only, no norms)
    built = LexicalIndex.build(["frozen shrimp", "frozen shrimp peeled", "bicycle"], [0, 0, 1], n_labels=2, min_df=1)
    built.row_norms = built.row_counts = None
    built.save(tmp_path / "codes.npz")
    # Then it is saved and loaded with 8-bit weight codes, as before
    with np.load(tmp_path / "codes.npz") as stored:
        assert "row_weights" in stored.files and "row_norms" not in stored.files
    np.testing.assert_allclose(LexicalIndex.load(tmp_path / "codes.npz").row_weights, built.row_weights, atol=1 / 255)


@pytest.fixture(scope="module")
def engine() -> ClassifierEngine:
    return ClassifierEngine(DEFAULT_MODEL_DIR)


@pytest.mark.parametrize(("text", "accepted"), [
    ("냉동 새우", "030617"), ("노트북 컴퓨터", "847130"), ("스마트폰", "851713"), ("남성용 면 티셔츠", "610910"),
    ("자동차용 브레이크 패드", "870830"), ("김치", "200599"),
])
def test_committed_model_reads_obvious_korean_descriptions(engine, text, accepted):
    result = engine.classify([text], top_k=5)["results"][0]
    assert accepted in [c["hs6"] for c in result["candidates"]][:3], [c["hs6"] for c in result["candidates"]]
    # the evidence is what the English translation is closest to, so it is English training text
    assert all(not hangul_words(item["text"]) for item in result["evidence"])


def test_korean_is_scored_through_its_english_translation(engine):
    # Given the committed lexicon, a Korean description is put into English before the English path reads it
    assert (engine.folder / KOREAN_LEXICON_FILE).exists()
    assert engine.from_korean.to_english("냉동 새우") == "frozen shrimp"
    # Then the English evidence of the translation comes back, where the Korean text alone had none
    assert engine.classify(["냉동 새우"])["results"][0]["evidence"]


LEXICON = KoreanLexicon({"냉동": "frozen", "참치": "tuna", "뼈": "boneless", "없는": "boneless", "자동차": "car", "용": "for"})


@pytest.mark.parametrize(("text", "english"), [
    ("냉동 참치", "frozen tuna"),
    ("냉동참치", "frozen tuna"),  # a compound written without a space is cut into the words the lexicon has
    ("뼈 없는 냉동 참치", "boneless frozen tuna"),  # the same English word twice in a row is said once
    ("자동차용 LED 12V", "car for LED 12V"),  # Latin words and numbers stay; a one-syllable ending only as the remainder
    ("냉동 참치; 베트남", "frozen tuna;"),  # an unknown word is dropped (the character index still reads it)
    ("베트남", ""),  # nothing known: "" so that the caller keeps the text
    ("냉동참치즈", "frozen tuna"),  # one syllable left unexplained: the pieces stay
    ("브라냉동트부", ""),  # more than one: a loanword the lexicon lacks, dropped whole rather than read as "frozen"
])
def test_korean_lexicon_puts_words_into_english(text, english):
    assert LEXICON.to_english(text) == english


def test_a_single_syllable_never_matches_inside_a_word():
    # "용" (for) is known, but only a whole remainder after a longer piece may use it, never the start of an unknown word
    assert LEXICON.translate_run("용접") == ""


def test_lexicon_is_learned_from_names_and_their_english_entries():
    # Given Korean names beside the English term of their entry (key = "hs6|term")
    names = [{"name": name, "key": f"030000|{term}"} for name, term in [
        ("냉동 참치", "frozen tuna"), ("냉동 새우", "frozen shrimp"), ("냉장 참치", "chilled tuna"),
        ("냉장 새우", "chilled shrimp"), ("냉동 연어", "frozen salmon"), ("냉장 연어", "chilled salmon")]]
    # When IBM Model 1 aligns them
    lexicon = build_korean_index.learn_lexicon(names)
    # Then each Korean word keeps its English word
    assert lexicon == {"냉동": "frozen", "냉장": "chilled", "참치": "tuna", "새우": "shrimp", "연어": "salmon"}


def test_korean_text_gets_the_korean_temperature_and_chinese_the_chinese_one(engine):
    assert engine.scores("냉동 새우").temperature == pytest.approx(engine.config["korean_temperature"])
    assert engine.scores("冷凍蝦").temperature == pytest.approx(engine.config["cjk_temperature"])


def test_a_compound_keeps_two_english_words_in_their_english_order():
    # Given a Korean word that always stands for two English words, and one written in singular and plural
    names = [{"name": name, "key": f"090000|{term}"} for name, term in [
        ("녹차", "green tea"), ("녹차", "green tea"), ("녹차 가루", "green tea powder"), ("커피 가루", "coffee powder"),
        ("커피", "coffee"), ("가루", "powder"), ("패드", "pad"), ("패드", "pads")]]
    lexicon = build_korean_index.learn_lexicon(names)
    # Then the compound keeps both, as English writes them, and an inflection is not a second word
    assert lexicon["녹차"] == "green tea"
    assert lexicon["패드"] == "pad"


def test_text_the_lexicon_cannot_translate_keeps_the_character_index_weights(engine, monkeypatch):
    # Given a Korean text of which the lexicon knows no word
    monkeypatch.setattr(engine, "from_korean", KoreanLexicon({}))
    scored = engine.scores("냉동 새우")
    # Then the character index carries it at the weight and temperature fitted for untranslated text, without evidence
    assert scored.temperature == pytest.approx(engine.config["korean_temperature_untranslated"])
    assert engine.config["korean_weight_untranslated"] > engine.config["korean_weight"]
    assert len(scored.evidence_rows) == 0
    assert engine.labels[int(np.argmax(scored.scores))] == "030617"


@pytest.mark.parametrize(("text", "accepted"), [
    ("Frozen 참치 loin; VIETNAM", "030487"),  # more Latin letters than Hangul: English, with the Korean word read
    ("Samsung 노트북 15.6 inch", "847130"),
])
def test_korean_words_inside_english_text_are_read_too(engine, text, accepted):
    # Given English goods with a Korean word among them, the word is put into English and the text stays English
    assert not written_in_hangul(text)
    assert engine.scores(text).temperature == engine.scorer.temperature
    result = engine.classify([text], top_k=1)["results"][0]
    # Then the Korean word decides (alone, "Samsung 15.6 inch" and "Frozen loin" say little) and the text comes back as written
    assert result["candidates"][0]["hs6"] == accepted
    assert result["text"] == text
    # And the response says how it was read, the Korean word in English
    assert result["read_as"] and not hangul_words(result["read_as"])


def test_read_as_is_the_english_the_model_scored_or_none(engine):
    results = engine.classify(["냉동 새우", "frozen shrimp", "BRKT ASSY-FR BUMPER"], top_k=1)["results"]
    assert [r["read_as"] for r in results] == ["frozen shrimp", None, "bracket assembly-front BUMPER"]


def test_a_french_description_with_a_korean_word_is_read_as_french_once_the_word_is_in_english(engine):
    result = engine.classify(["Crevettes 새우 congelées"], top_k=1)["results"][0]
    assert set(result["read_as"].split()) >= {"shrimps", "frozen"}  # the French words and the Korean one, all in English
    assert result["candidates"][0]["hs6"] == "030617"
