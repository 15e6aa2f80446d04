"""The torch-free half of the training code (scripts/training_data.py): declaration-style text synthesis and
the held-out split by index entry."""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

import training_data as td  # noqa: E402


@pytest.mark.parametrize(
    ("term", "head", "qualifier"),
    [("oil seal", "seal", "oil"), ("valve spring", "spring", "valve"), ("front door panel", "panel", "front door"),
     ("brake pad for trucks", "pad", "brake trucks")],
)
def test_catalog_name_puts_the_head_noun_first(term, head, qualifier):
    # Given a trade name in natural order, for many seeds (the separator, case and ASSY suffix vary)
    for seed in range(20):
        # When it is rewritten catalogue-style
        text = td.catalog_name(term, random.Random(seed)).lower()
        # Then the head noun leads and the qualifier follows it
        assert text.startswith(head)
        assert text.endswith(qualifier)


@pytest.mark.parametrize("term", ["bicycle", "screws, of steel", "hose of vulcanised rubber", "M8 bolt", "pumps and compressors", ""])
def test_catalog_name_leaves_names_without_that_shape(term):
    assert td.catalog_name(term, random.Random(0)) == ""


def test_part_numbers_have_catalogue_shapes():
    rng = random.Random(3)
    shapes = re.compile(r"^(\d{5}-[0-9A-Z]{5}|[0-9A-Z]{3}-\d{3}-\d{3}|(P/N |PART NO\. )?[0-9A-Z]{6,10})$")
    for _ in range(200):
        assert shapes.match(td.part_number(rng))


def test_entry_key_joins_the_texts_of_one_index_entry():
    assert td.entry_key("Brake pad") == td.entry_key("brake pad, for trucks") == td.entry_key("brake pad (for trucks)")
    assert td.entry_key("Prunes — under: Fruit, dried > Other") == "prunes"
    assert td.entry_key("oil seal") != td.entry_key("oil filter")


def _rows() -> list[dict]:
    rows = []
    for label in ("111111", "222222", "333333"):
        rows.append({"text": f"subheading text {label}", "hs6": label, "source": "hs2022"})
        for k in range(30):
            rows.append({"text": f"term{label}x{k}", "hs6": label, "source": "commercial-names"})
            rows.append({"text": f"term{label}x{k}, condition", "hs6": label, "source": "commercial-names"})
    return rows


def test_split_heldout_keeps_each_entry_on_one_side():
    # Given index entries that each give two texts
    rows = _rows()
    # When 30 % of the entries are held out
    held, train = td.split_heldout(rows, 0.3, random.Random(5))
    # Then no entry has texts on both sides, subheading texts stay in training, and every label keeps training rows
    held_keys = {td.entry_key(r["text"]) for r in held}
    train_keys = {td.entry_key(r["text"]) for r in train}
    assert held and not held_keys & train_keys
    assert all(r["source"] != "hs2022" for r in held)
    assert len(held) + len(train) == len(rows)
    assert min(Counter(r["hs6"] for r in train).values()) >= 2


def test_split_heldout_never_takes_a_label_below_two_training_rows():
    rows = [{"text": "alpha", "hs6": "111111", "source": "commercial-names"},
            {"text": "beta", "hs6": "111111", "source": "commercial-names"}]
    held, train = td.split_heldout(rows, 1.0, random.Random(0))
    assert held == [] and len(train) == 2


def test_composer_builds_declarations_from_one_label():
    # Given tariff wording and trade names of two labels
    rows = [{"text": "Frozen shrimps and prawns", "hs6": "030617", "source": "kr_hsk"},
            {"text": "tiger prawn", "hs6": "030617", "source": "commercial-names"},
            {"text": "Mountain bicycles", "hs6": "871200", "source": "kr_hsk"},
            {"text": "mountain bike", "hs6": "871200", "source": "commercial-names"}]
    composer = td.DeclarationComposer(rows, seed=1)
    for _ in range(50):
        # When a declaration is composed for the shrimp label
        text = composer.compose("030617", "fallback").lower()
        fields = [f.strip() for f in text.replace(";;", ";").split(";")]
        # Then it leads with that label's own wording, never the other label's
        assert "bicycle" not in text and "bike" not in text
        assert any(word in fields[0] for word in ("shrimp", "prawn"))


def test_augment_keeps_the_text():
    rng = random.Random(2)
    for _ in range(50):
        assert "frozen tuna" in td.augment("frozen tuna", rng)


def test_pinned_split_reproduces_a_run_and_survives_new_data(tmp_path):
    # Given a run's split, written as entry keys
    rows = _rows()
    held, _ = td.split_heldout(rows, 0.3, random.Random(5))
    td.write_heldout_keys(tmp_path / "keys.txt.gz", held)
    keys = td.read_heldout_keys(tmp_path / "keys.txt.gz")
    # When the split is pinned to those keys, on the same rows and on rows with new entries added
    same, _ = td.split_heldout(rows, 0.3, random.Random(99), keys)
    grown = rows + [{"text": f"new entry {k}", "hs6": "111111", "source": "commercial-names"} for k in range(10)]
    held_grown, train_grown = td.split_heldout(grown, 0.3, random.Random(1), keys)
    # Then the held-out rows are exactly the run's, and every new entry goes to training
    assert same == held
    assert held_grown == held
    assert all(any(r is g for g in train_grown) for r in grown[len(rows):])


def test_prefetcher_keeps_the_order_and_stops_when_closed():
    made = []

    def numbers():
        for n in range(1000):
            made.append(n)
            yield n

    batches = td.Prefetcher(numbers(), depth=3)
    # Given a consumer that takes five items, the items come in the generator's order
    assert [next(batches) for _ in range(5)] == [0, 1, 2, 3, 4]
    # When it is closed, the thread ends having made at most the waiting items and one more
    batches.close()
    assert not batches._thread.is_alive() and len(made) <= 5 + 3 + 1


def test_prefetcher_hands_an_error_of_the_generator_to_the_consumer():
    def failing():
        yield 1
        raise ValueError("bad row")

    batches = td.Prefetcher(failing())
    assert next(batches) == 1
    with pytest.raises(ValueError, match="bad row"):
        next(batches)


def test_prefetcher_ends_with_a_finite_generator():
    assert list(td.Prefetcher(iter(range(7)), depth=2)) == list(range(7))


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (a swap of neighbours counts once)."""
    d = [[max(i, j) if min(i, j) == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_misspell_makes_one_slip_in_one_long_word_and_keeps_its_first_letter():
    text = "Frozen boneless pork loin; USA"
    slipped = Counter()
    for seed in range(300):
        out = td.misspell(text, random.Random(seed))
        # Then exactly one word changed, by one edit, and it was a word of 5+ letters whose first letter stays
        changed = [(a, b) for a, b in zip(text.split(), out.split()) if a != b]
        assert len(out.split()) == len(text.split()) and len(changed) <= 1
        if changed:
            before, after = changed[0]
            assert len(before.strip(";")) >= 5 and after[0] == before[0]
            assert _edit_distance(before, after) == 1
            slipped[before] += 1
    # and the slips spread over the long words, never the short ones
    assert set(slipped) == {"Frozen", "boneless"} and min(slipped.values()) > 50


def test_misspell_leaves_text_without_a_long_word_alone():
    assert td.misspell("pork loin; USA 12 kg", random.Random(1)) == "pork loin; USA 12 kg"


def test_glue_words_runs_two_neighbouring_words_together_and_loses_no_letter():
    text = "Pork meat frozen; 20 kg; USA"
    glued = Counter()
    for seed in range(200):
        out = td.glue_words(text, random.Random(seed))
        # Then exactly one space between two words of 3+ letters is gone and nothing else changed
        assert out.replace(" ", "") == text.replace(" ", "") and out.count(" ") == text.count(" ") - 1
        glued[next(w for w in out.replace(";", " ").split() if w not in text.replace(";", " ").split())] += 1
    # and both pairs of the goods field are chosen; "20 kg" and "kg; USA" never are
    assert set(glued) == {"Porkmeat", "meatfrozen"}


def test_glue_words_leaves_text_without_two_long_neighbours_alone():
    assert td.glue_words("TV; 4K; LG", random.Random(3)) == "TV; 4K; LG"


def test_training_split_keeps_pinned_entries_out_and_is_reproducible(tmp_path):
    # Given a corpus of tariff texts and an index of trade names for two subheadings
    h6 = {"851712": "Telephones for cellular networks", "090121": "Coffee, roasted, not decaffeinated"}
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(
        f'{{"text": "{text}", "hs6": "{code}", "lang": "en", "source": "hs2022"}}\n'
        for code, text in h6.items()) + '{"text": "Handy", "hs6": "851712", "lang": "de", "source": "eu"}\n', encoding="utf-8")
    names = tmp_path / "names"
    names.mkdir()
    (names / "ch85.csv").write_text("term_en,term_zh_tw,hs6,condition,note\nsmartphone,智慧型手機,851712,,\n"
                                    "mobile phone,手機,851712,,\nfeature phone,功能手機,851712,,\n", encoding="utf-8")
    (names / "ch09.csv").write_text("term_en,term_zh_tw,hs6,condition,note\nroasted coffee beans,烘焙咖啡豆,090121,,\n"
                                    "espresso beans,義式咖啡豆,090121,,\n", encoding="utf-8")
    keys = tmp_path / "keys.txt.gz"
    td.write_heldout_keys(keys, [{"text": "mobile phone"}])
    # When the rows are split with those entries pinned
    split = td.training_split(tmp_path, corpus, names, h6, {}, seed=13, holdout=0.04, heldout_keys=keys)
    again = td.training_split(tmp_path, corpus, names, h6, {}, seed=13, holdout=0.04, heldout_keys=keys)
    # Then the pinned entry is held out and nowhere in training, German rows are not read, and a second call agrees
    assert [r["text"] for r in split.held] == ["mobile phone"]
    assert "mobile phone" not in {r["text"] for r in split.train}
    assert {r["text"] for r in split.train} == {"Telephones for cellular networks", "Coffee, roasted, not decaffeinated",
                                                 "smartphone", "feature phone", "roasted coffee beans", "espresso beans"}
    assert [r["text"] for r in again.train] == [r["text"] for r in split.train]
    assert len(split.names) == 5 and split.source.startswith("corpus ")
    assert sorted(r["text"] for r in split.rows) == sorted(r["text"] for r in split.held + split.train)
