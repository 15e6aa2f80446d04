"""The scoring parts around the encoder: the lexical index, the first declaration field, the score combination
and the int8 label vectors. Small synthetic data, so each property is checked on its own."""

from __future__ import annotations

import numpy as np
import pytest

from functions.classifier.encoder import (
    Scorer,
    load_heading_vectors,
    load_prototypes,
    quantize_rows,
    save_heading_vectors,
    save_prototypes,
)
from functions.classifier.lexical import LexicalIndex, terms
from functions.classifier.engine import DEFAULT_MODEL_DIR, ClassifierEngine
from functions.classifier.textprep import RunOnWords, expand_abbreviations, first_segment

TEXTS = [
    "frozen yellowfin tuna", "yellowfin tuna frozen whole", "frozen skipjack tuna",
    "brake pads for passenger cars", "disc brake pad set",
    "cotton t-shirt knitted", "men's knitted cotton t-shirt",
]
LABELS = [0, 0, 1, 2, 2, 3, 3]


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(TEXTS, LABELS, n_labels=5, min_df=1)


def test_terms_are_words_and_word_pairs():
    assert terms("Frozen Tuna, whole") == ["frozen", "tuna", "whole", "frozen tuna", "tuna whole"]


def test_lexical_scores_rank_the_label_sharing_rare_words(index):
    # Given a query that shares "yellowfin" only with label 0
    scores = index.scores("YELLOWFIN TUNA; BRAND X; VIETNAM")
    # Then label 0 ranks first, the other tuna label second, unrelated labels score nothing
    assert scores.argmax() == 0
    assert scores[1] > 0 and scores[2] == 0 and scores[4] == 0
    assert 0 < scores.max() <= 1.0 + 1e-6


def test_lexical_scores_zero_without_known_terms(index):
    assert not index.scores("zzqx 12345-AB").any()


def test_lexical_round_trip(index, tmp_path):
    index.save(tmp_path / "lexical.npz")
    loaded = LexicalIndex.load(tmp_path / "lexical.npz")
    for query in ("disc brake pad", "knitted t-shirt", "tuna"):
        # weights are stored as 8-bit codes (step 1/255): scores move by a few thousandths, the ranking does not
        np.testing.assert_allclose(loaded.scores(query), index.scores(query), atol=5e-3)
        assert loaded.scores(query).argmax() == index.scores(query).argmax()
    assert loaded.terms == index.terms


def test_lexical_loads_the_older_float16_format(index, tmp_path):
    # Given an index saved the way artifacts were before round 4 (unicode vocabulary, float16 weights)
    np.savez_compressed(
        tmp_path / "old.npz", vocab=np.array("\n".join(index.terms)), idf=index.idf.astype(np.float16),
        indptr=index.indptr.astype(np.uint32), labels=index.labels.astype(np.uint16), weights=index.weights.astype(np.float16),
        n_labels=np.array(index.n_labels), row_indptr=index.row_indptr.astype(np.uint32), row_ids=index.row_ids.astype(np.uint32),
        row_weights=index.row_weights.astype(np.float16), row_labels=index.row_labels.astype(np.uint16),
    )
    # When it is loaded, Then it scores as the index it came from
    loaded = LexicalIndex.load(tmp_path / "old.npz")
    np.testing.assert_allclose(loaded.scores("disc brake pad"), index.scores("disc brake pad"), atol=2e-3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Frozen tuna; BRAND; VIETNAM", "Frozen tuna"),
        ("Other footwear ; MS620BL", "Other footwear"),
        ("Projector | XJF210WN", "Projector"),
        ("portable monitor", None),  # a single field
        ("12345; frozen tuna", None),  # first field without a letter
        ("; ;", None),
    ],
)
def test_first_segment(text, expected):
    assert first_segment(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BRKT ASSY-FR BUMPER LH", "bracket assembly-front BUMPER left"),
        ("W/STRIP-RR DOOR RH; 83220-XXXXX", "weatherstrip-rear DOOR right; 83220-XXXXX"),
        ("ASS'Y, HSG", "assembly, housing"),
        ("FR-4 laminate sheet", "FR-4 laminate sheet"),  # a grade, not "front"
        ("Assyrian rug; lhasa apso figurine", "Assyrian rug; lhasa apso figurine"),  # only whole words
        ("SUS PIPE W/ FLANGE; GALV WIRE W/O COATING", "stainless steel PIPE with FLANGE; galvanized WIRE without COATING"),
        ("SUS304 SHEET; SUSPENSION ARM; W/STRIP", "SUS304 SHEET; SUSPENSION ARM; weatherstrip"),  # grades and longer words stay
        ("M/C TYRE", "M/C TYRE"),  # machine or motorcycle: left as written
    ],
)
def test_expand_abbreviations_writes_out_catalogue_forms(text, expected):
    assert expand_abbreviations(text) == expected


def test_combine_averages_the_first_field_and_adds_the_lexical_score():
    scorer = Scorer(np.eye(3, dtype=np.float32), None, None, segment_weight=1.0, lexical_weight=0.5)
    full, segment, lexical = np.array([0.2, 0.6, 0.1]), np.array([0.8, 0.2, 0.1]), np.array([0.0, 0.0, 0.4])
    np.testing.assert_allclose(scorer.combine(full, segment, lexical), [0.5, 0.4, 0.3])
    # A single-field text has no segment score: the full-text scores stay on their own scale
    np.testing.assert_allclose(scorer.combine(full, None, None), full)
    # The first field's word match is averaged in as its embedding's is: (0.4 + 0.0) / 2 x 0.5 on the third label
    np.testing.assert_allclose(scorer.combine(full, segment, lexical, np.zeros(3)), [0.5, 0.4, 0.2])
    # ... and only where the text has a first field of its own
    np.testing.assert_allclose(scorer.combine(full, None, lexical, np.zeros(3)), [0.2, 0.6, 0.3])


def test_the_engine_reads_the_first_fields_words_when_its_config_says_so():
    from functions.classifier.engine import DEFAULT_MODEL_DIR, ClassifierEngine

    engine = ClassifierEngine(DEFAULT_MODEL_DIR)
    assert engine.lexical_first_field  # the committed model (-r9-mixed) does
    declaration = "Frozen shrimp; TOYOTA BRAKE; CHINA"
    with_first_field = engine.scores(declaration).scores
    engine.lexical_first_field = False
    # Then without it the brand and origin words weigh as much as the goods in the word match, and the scores differ
    assert not np.allclose(engine.scores(declaration).scores, with_first_field)
    assert np.allclose(engine.scores("frozen shrimp").scores, ClassifierEngine(DEFAULT_MODEL_DIR).scores("frozen shrimp").scores)


def test_combine_with_zero_weights_is_the_plain_score():
    scorer = Scorer(np.eye(3, dtype=np.float32), None, None)
    full = np.array([0.2, 0.6, 0.1])
    np.testing.assert_allclose(scorer.combine(full, np.ones(3), np.ones(3)), full)


def test_heading_vector_adds_its_cosine_to_every_subheading_of_the_heading():
    # Given two headings of two subheadings each, and a query between subheadings 0 and 2
    prototypes = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]], dtype=np.float32)
    headings = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    query = np.array([0.62, 0.0, 0.6], dtype=np.float32)
    plain = Scorer(prototypes, None, None)
    with_heading = Scorer(prototypes, None, None, headings=headings, heading_of=np.array([0, 0, 1, 1]), heading_weight=0.5)
    # When scored without and with the heading term
    # Then the plain scores prefer subheading 0, and the heading term adds 0.5 x its heading's cosine to both siblings
    assert plain.fused(query)[0].argmax() == 0
    np.testing.assert_allclose(with_heading.fused(query)[0] - plain.fused(query)[0], [0.31, 0.31, 0.3, 0.3], atol=1e-6)
    # A scorer given no heading vectors (older model folders) ignores the weight
    assert Scorer(prototypes, None, None, heading_weight=0.5).heading_weight == 0.0


def test_heading_vectors_round_trip_as_int8(tmp_path):
    assert load_heading_vectors(tmp_path) is None  # a model folder without the head
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(12, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    restored = save_heading_vectors(tmp_path, vectors)
    np.testing.assert_array_equal(load_heading_vectors(tmp_path), restored)
    assert np.abs(restored - vectors).max() < 0.01


def test_int8_label_vectors_keep_cosines(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    restored = save_prototypes(tmp_path, vectors)
    np.testing.assert_array_equal(load_prototypes(tmp_path), restored)
    assert np.load(tmp_path / "labels_hs6.npy").dtype == np.int8
    query = vectors[7]
    assert np.abs(restored @ query - vectors @ query).max() < 0.01
    q, scales = quantize_rows(vectors)
    assert q.dtype == np.int8 and scales.shape == (50,)


def test_a_word_on_its_own_beats_a_label_that_repeats_it_as_context():
    # Given one label holding "bicycle" itself and another whose texts all say "bicycle <part>"
    texts = ["bicycle", "mountain bike", "road bike with 21 gears", "bicycle saddle", "bicycle chain", "bicycle pedal",
             "bicycle brake lever", "bicycle frame"]
    index = LexicalIndex.build(texts, [0, 0, 0, 1, 1, 1, 1, 1], n_labels=2, min_df=1)
    # The centroid alone prefers the parts label (every one of its texts repeats the word) ...
    centroid_only = LexicalIndex(index.terms, index.idf, index.indptr, index.labels, index.weights, 2)
    assert centroid_only.scores("bicycle").argmax() == 1
    # ... the short-row match puts the bicycle itself first, while a part name still goes to the parts label
    assert index.scores("bicycle").argmax() == 0
    assert index.scores("bicycle saddle with springs").argmax() == 1


def test_rare_words_left_out_of_the_vocabulary_still_count_in_a_row_length():
    # "mudguards" appears once (below min_df): the row must not turn into a plain "bicycle"
    texts = ["bicycle", "bicycle", "bicycle mudguards", "bicycle saddle", "bicycle saddle"]
    index = LexicalIndex.build(texts, [0, 0, 1, 1, 1], n_labels=2, min_df=2)
    assert "mudguards" not in index.vocab
    assert index.scores("bicycle").argmax() == 0


# ---------------------------------------------------------------- words run together
RUN_ON_COMMON = {"meat": 5.0, "frozen": 4.0, "self": 6.0, "adhesive": 6.5, "germ": 9.0, "any": 6.0, "ball": 7.0,
                 "balls": 8.0, "screw": 6.0, "crew": 9.5, "water": 5.0, "salt": 6.0, "dextrose": 8.0, "on": 3.0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pork meatfrozen", "Pork meat frozen"),
        ("SELFADHESIVE TAPE", "SELF ADHESIVE TAPE"),  # the word's own letters, case kept
        ("Beef added watersaltdextrose", "Beef added water salt dextrose"),  # three pieces
        ("BALLSCREW", "BALL SCREW"),  # among two-piece splits the more common pieces win, not "balls crew"
        ("made in germany", "made in germany"),  # a known word is left whole although "germ any" spells it
        ("meatsauce", "meatsauce"),  # no split into common words: left as written
        ("frozenon", "frozenon"),  # pieces shorter than three letters do not count
        ("beef frozen", "beef frozen"),  # short words are never split
    ],
)
def test_run_on_words_are_split_into_common_words_only_where_no_vocabulary_knows_them(text, expected):
    # Given a vocabulary that knows "germany" and the index's frequent words with their idf
    splitter = RunOnWords(frozenset({"germany", "made", "in", "tape", "pork", "beef", "added"}), RUN_ON_COMMON)
    # When a text is split, Then only unknown run-on words change
    assert splitter.split(text) == expected


def test_the_served_engine_reads_run_on_words_apart_and_says_so():
    engine = ClassifierEngine(DEFAULT_MODEL_DIR)
    result = engine.classify(["Pork meatfrozen; BONELESS LOIN; USA"], top_k=1)["results"][0]
    assert result["read_as"] == "Pork meat frozen; BONELESS LOIN; USA"
    assert result["candidates"][0]["hs6"][:4] == "0203"  # meat of swine, frozen
    # a word of its own is never cut, even where two frequent words spell it
    assert engine.classify(["Frozen pork; GERMANY"], top_k=1)["results"][0]["read_as"] is None
