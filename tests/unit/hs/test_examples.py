"""Chinese and Korean example names per subheading (customs.hs.examples) and their files, rebuilt from the commercial
names index."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from customs.hs.examples import DATA_FILES, PER_CODE, chinese_examples, korean_examples, pick_examples

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts"))

import build_examples  # noqa: E402


def test_pick_examples_keeps_the_shortest_distinct_names():
    picked = pick_examples({"610910": ["棉質T恤", "T恤", "T恤", "男用短袖棉質T恤", "短袖上衣", ""], "999999": []})
    assert picked == {"610910": ["T恤", "棉質T恤", "短袖上衣"][:PER_CODE]}


def test_examples_of_a_known_subheading_and_of_an_unknown_one():
    assert "手機" in chinese_examples("851713")
    assert "스마트폰" in korean_examples("851713")
    assert chinese_examples("000000") == [] and korean_examples("000000") == []


def test_korean_examples_show_the_first_name_of_each_entry(tmp_path):
    path = tmp_path / "ko_names.csv"
    path.write_text("hs6,term_en,term_ko\n030342,frozen yellowfin tuna,냉동 황다랑어 | 냉동 참치\n", encoding="utf-8")
    assert build_examples.korean_names_by_code(path) == {"030342": ["냉동 황다랑어"]}  # synonyms are for matching


@pytest.mark.parametrize(("lang", "names_by_code"), [
    ("zh-TW", lambda: build_examples.chinese_names_by_code(REPO / "data" / "commercial_names")),
    ("ko", lambda: build_examples.korean_names_by_code(REPO / "data" / "commercial_names_ko" / "ko_names.csv")),
])
def test_committed_files_match_the_commercial_names_index(lang, names_by_code):
    # A changed index needs `.venv/bin/python scripts/build_examples.py`; this fails until it is rerun
    expected = pick_examples(names_by_code())
    with gzip.open(DATA_FILES[lang], "rt", encoding="utf-8") as handle:
        assert json.load(handle) == expected
    assert build_examples.encoded(expected) == DATA_FILES[lang].read_bytes()  # deterministic bytes too


def test_a_heading_gathers_the_first_names_of_its_subheadings():
    heading = chinese_examples("8517")
    assert heading and len(heading) <= PER_CODE
    assert all(any(name in chinese_examples(hs6) for hs6 in ("851711", "851713", "851714", "851718", "851761", "851762", "851769",
                                                            "851771", "851779")) for name in heading)
