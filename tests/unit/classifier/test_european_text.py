"""French, German, Spanish and Dutch descriptions: the tariff word lexicon (functions/classifier/translate.py), its
training (scripts/build_translation_lexicon.py) and the committed model reading such text."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from functions.classifier.engine import DEFAULT_MODEL_DIR, ClassifierEngine
from functions.classifier.translate import LEXICON_FILE, TariffLexicon

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

import build_translation_lexicon  # noqa: E402

ENGLISH = {"frozen", "shrimp", "cotton", "robot", "laptop", "steel", "bolt", "brand", "vin", "t", "shirt"}
LEXICON = TariffLexicon(
    {"es": {"sus": "thereof", "o": "or", "y": "and"},
     "fr": {"crevettes": "shrimps", "congelées": "frozen", "aspirateurs": "cleaners", "vin": "wine", "rouge": "red", "de": "of"},
     "de": {"garnelen": "shrimps", "gefroren": "frozen", "brems": "brake", "beläge": "linings", "aus": "of", "stahl": "steel"}},
    ENGLISH,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Crevettes congelées", "fr"),
        ("Garnelen aus Stahl", "de"),
        ("Crevettes congelées", "fr"),
        ("Aspirateurs", "fr"),  # one sign against none
        ("Aspirateur robot", None),  # one French sign (its plural is in the lexicon) against one English word: English wins ties of one
        ("Frozen shrimp; BRAND CREVETTES", None),  # an English declaration with a foreign brand stays English
        ("SUS PIPE", None),  # Spanish "sus", but English declaration shorthand first
        ("W/O BATTERY", None),  # one-letter words count for no language
        ("y o à", None),
        ("steel bolt", None),
        ("12345", None),
    ],
)
def test_detect_tells_the_language_from_function_words_and_lexicon_words(text, expected):
    assert LEXICON.detect(text) == expected


def test_to_english_translates_words_inflections_and_compounds_and_keeps_the_rest():
    assert LEXICON.to_english("Crevettes congelées; ACME 12") == ("shrimps frozen; ACME 12", "fr")
    assert LEXICON.to_english("Vin rouge de France") == ("Vin red of France", "fr")  # "vin" is an English word too: kept
    assert LEXICON.to_english("Bremsbeläge aus Stahl") == ("brake linings of steel", "de")  # a compound of two words
    assert LEXICON.to_english("Garnelen, gefrorene") == ("shrimps, frozen", "de")  # an inflected form
    assert LEXICON.to_english("frozen shrimp") == ("frozen shrimp", None)


def test_a_language_hint_overrides_detection():
    # "frozen shrimp crevettes" reads as English (two English words, one French), unless the caller says it is French
    assert LEXICON.to_english("frozen shrimp crevettes") == ("frozen shrimp crevettes", None)
    assert LEXICON.to_english("frozen shrimp crevettes", lang="fr") == ("frozen shrimp shrimps", "fr")
    assert LEXICON.to_english("Crevettes congelées", lang="xx") == ("shrimps frozen", "fr")  # unknown hint: detected


def test_ibm_model_1_learns_word_translations_from_line_pairs():
    # Given a few translated tariff lines
    pairs = [(["crevettes", "congelées"], ["frozen", "shrimps"]), (["crevettes", "fraîches"], ["fresh", "shrimps"]),
             (["thon", "congelé"], ["frozen", "tuna"]), (["thon", "frais"], ["fresh", "tuna"]),
             (["poisson", "congelé"], ["frozen", "fish"])]
    # When EM runs over them
    best = build_translation_lexicon.ibm_model_1(pairs)
    # Then each foreign word ends on the English word it co-occurs with, not on the words every line shares
    assert best["crevettes"][0] == "shrimps" and best["thon"][0] == "tuna" and best["congelé"][0] == "frozen"


def test_held_out_codes_are_a_stable_twentieth():
    codes = [f"{i:06d}" for i in range(0, 999999, 97)]
    share = sum(map(build_translation_lexicon.held_out, codes)) / len(codes)
    assert 0.03 < share < 0.07
    # fixed by the hash, so the measured split never moves between runs
    assert [build_translation_lexicon.held_out(code) for code in ("010239", "020110", "030617", "610910")] == [True, True, False, False]


@pytest.fixture(scope="module")
def engine() -> ClassifierEngine:
    return ClassifierEngine(DEFAULT_MODEL_DIR)


def test_the_committed_lexicon_covers_the_four_languages():
    with gzip.open(Path(DEFAULT_MODEL_DIR) / LEXICON_FILE, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    assert set(data["lexicons"]) == {"fr", "de", "es", "nl"} and all(len(words) > 3000 for words in data["lexicons"].values())


@pytest.mark.parametrize(
    ("text", "hs6"),
    [
        ("Crevettes congelées décortiquées", "030617"),
        ("Schrauben aus Stahl mit Sechskantkopf", "731815"),
        ("Camarones congelados pelados", "030617"),
        ("Garnalen, bevroren", "030617"),
        ("Huile d'olive vierge extra", "150920"),
    ],
)
def test_committed_model_reads_obvious_european_descriptions(engine, text, hs6):
    assert engine.labels[int(np.argmax(engine.scores(text).scores))] == hs6


def test_english_declarations_are_not_translated(engine):
    for text in ("Frozen shrimp peeled; BRAND X; VIETNAM", "BRACKET ASSY-FR BUMPER LH", "Men's cotton T-shirt, knitted",
                 "Stainless steel hex bolt M8", "Laptop computer 14 inch", "SUS PIPE", "SUS SHEET", "W/O BATTERY",
                 "O-RING W/ GSKT", "Y-STRAINER", "TORO mower", "CASA brand sofa", "Los Angeles souvenir mug"):
        assert engine.to_english.detect(text) is None, text
