"""The bag-of-words classifier beside the encoder (functions/classifier/ngram.py) and how the engine adds it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from functions.classifier.engine import DEFAULT_MODEL_DIR, ClassifierEngine
from functions.classifier.encoder import quantize_rows as quantize
from functions.classifier.ngram import FILE_NAME, NgramClassifier, feature_rows, features, pack4, quantize4, unpack4, words


def test_words_are_lower_cased_with_abbreviations_written_out_and_long_numbers_dropped():
    # Given a catalogue-style declaration with a part number
    found = words("BRKT ASSY-FR BUMPER 86513-2S000 12V")
    # Then the words read as the engine reads them, and the part number's five digits are gone
    assert "bracket" in found and "assembly" in found and "bumper" in found
    assert "86513" not in found and "12v" in found


def test_features_are_words_and_word_pairs_and_only_known_ones_have_rows():
    assert features("Frozen  Yellowfin TUNA") == ["w:frozen", "w:yellowfin", "w:tuna", "b:frozen yellowfin", "b:yellowfin tuna"]
    vocab = {"w:tuna": 0, "b:yellowfin tuna": 1}
    assert feature_rows("frozen yellowfin tuna", vocab) == [0, 1]
    assert feature_rows("%%% ---", vocab) == []


@pytest.fixture
def tiny_model() -> NgramClassifier:
    # Given a model whose vector for "tuna" points at label 0 and for "bolt" at label 1 (4 labels, 2 dimensions)
    table = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    weights = np.array([[4.0, 0.0], [0.0, 4.0], [0.0, 0.0], [-1.0, -1.0]], dtype=np.float32)
    return NgramClassifier.from_float(["w:tuna", "w:bolt"], table, weights, np.array([0.0, 0.0, 0.5, 0.0], dtype=np.float32))


def test_log_probabilities_follow_the_words(tiny_model):
    tuna, bolt = tiny_model.log_probs("tuna"), tiny_model.log_probs("bolt")
    assert np.isclose(np.exp(tuna).sum(), 1.0, atol=1e-5)
    assert int(np.argmax(tuna)) == 0 and int(np.argmax(bolt)) == 1


def test_a_text_with_no_known_word_gets_the_prior(tiny_model):
    # the bias alone: label 2 has the largest
    assert int(np.argmax(tiny_model.log_probs("unheard-of gizmo"))) == 2


def test_round_trip_keeps_the_log_probabilities(tiny_model, tmp_path):
    path = tiny_model.save(tmp_path)
    assert path.name == FILE_NAME
    again = NgramClassifier.load(path)
    assert np.allclose(again.log_probs("tuna bolt"), tiny_model.log_probs("tuna bolt"), atol=1e-3)


def test_int8_rows_keep_their_direction():
    matrix = np.random.default_rng(0).normal(size=(50, 32)).astype(np.float32)
    q, scales = quantize(matrix)
    back = q.astype(np.float32) * scales.astype(np.float32)[:, None]
    cosines = (back * matrix).sum(1) / np.linalg.norm(back, axis=1) / np.linalg.norm(matrix, axis=1)
    assert cosines.min() > 0.999


@pytest.fixture(scope="module")
def engine_with_ngram(tmp_path_factory):
    """The served model's files, with a small bag-of-words model and its weight in the config."""
    folder = tmp_path_factory.mktemp("model_with_ngram")
    for path in DEFAULT_MODEL_DIR.iterdir():
        if path.is_file() and path.name not in ("config.json", FILE_NAME):
            (folder / path.name).symlink_to(path)
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    (folder / "config.json").write_text(json.dumps({**config, "ngram_weight": 0.02}), encoding="utf-8")
    labels = json.loads((DEFAULT_MODEL_DIR / "labels.json").read_text(encoding="utf-8"))["hs6"]
    weights = np.zeros((len(labels), 2), dtype=np.float32)
    weights[labels.index("030487"), 0] = 5.0  # "tuna" points at 0304.87 (frozen tuna fillets)
    NgramClassifier.from_float(["w:tuna", "w:loins"], np.eye(2, dtype=np.float32), weights, np.zeros(len(labels), np.float32)).save(folder)
    return ClassifierEngine(folder)


def test_the_engine_adds_the_weighted_log_probabilities_on_the_english_path_only(engine_with_ngram):
    engine = engine_with_ngram
    text = "Frozen yellowfin tuna loins, vacuum packed"
    with_ngram = engine.scores(text).scores
    korean_with = engine.scores("냉동 황다랑어").scores
    # When the same engine scores without it
    ngram, engine.ngram = engine.ngram, None
    try:
        without = engine.scores(text).scores
        korean_without = engine.scores("냉동 황다랑어").scores
    finally:
        engine.ngram = ngram
    # Then the difference is exactly the weight times the model's log-probabilities of the text as read
    assert engine.ngram_weight == 0.02
    assert np.allclose(with_ngram - without, 0.02 * ngram.log_probs(text), atol=1e-4)
    # and Korean text keeps the scores fitted for it without the model
    assert np.allclose(korean_with, korean_without)


def test_the_served_engine_has_no_bag_of_words_model_unless_its_config_weighs_it():
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    assert (ClassifierEngine().ngram is not None) == bool(config.get("ngram_weight"))


def test_the_weight_fit_picks_a_weight_only_when_the_model_adds_something():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))
    from train_ngram import WEIGHT_GRID, fit_weight

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 20, size=400)
    # Given encoder scores that are right half of the time, and a bag-of-words model that knows the gold label
    scores = rng.normal(0, 0.05, size=(400, 20))
    scores[np.arange(200), gold[:200]] += 0.3
    informative = np.log(np.full((400, 20), 0.01))
    informative[np.arange(400), gold] = np.log(0.81)
    weight, temperature, nll, by_weight = fit_weight(scores, informative, gold)
    assert weight > 0 and nll < by_weight["0"] and temperature > 0
    # and a model that knows nothing gets the weight 0
    noise = np.log(rng.dirichlet(np.ones(20), size=400))
    assert fit_weight(scores, noise, gold)[0] == 0.0
    assert len(by_weight) == len(WEIGHT_GRID)


def test_four_bit_rows_pack_two_to_a_byte_and_come_back():
    values = np.random.default_rng(1).integers(-7, 8, size=(30, 48)).astype(np.int8)
    packed = pack4(values)
    assert packed.shape == (30, 24) and packed.dtype == np.uint8
    assert np.array_equal(unpack4(packed), values)
    # and a mean of 4-bit rows stays close to the mean of the rows
    matrix = np.random.default_rng(2).normal(size=(200, 48)).astype(np.float32)
    q, scales = quantize4(matrix)
    back = (q.astype(np.float32) * scales.astype(np.float32)[:, None]).mean(0)
    assert np.corrcoef(back, matrix.mean(0))[0, 1] > 0.98
