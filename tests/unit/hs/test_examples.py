"""Chinese example names per subheading (customs.hs.examples) and their file, rebuilt from the commercial names index."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from customs.hs.examples import DATA_FILE, PER_CODE, chinese_examples, pick_examples

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts"))

import build_zh_examples  # noqa: E402


def test_pick_examples_keeps_the_shortest_distinct_names():
    picked = pick_examples({"610910": ["棉質T恤", "T恤", "T恤", "男用短袖棉質T恤", "短袖上衣", ""], "999999": []})
    assert picked == {"610910": ["T恤", "棉質T恤", "短袖上衣"][:PER_CODE]}


def test_examples_of_a_known_subheading_and_of_an_unknown_one():
    assert "手機" in chinese_examples("851713")
    assert chinese_examples("000000") == []


def test_committed_file_matches_the_commercial_names_index():
    # A changed index needs `.venv/bin/python scripts/build_zh_examples.py`; this fails until it is rerun
    expected = pick_examples(build_zh_examples.names_by_code(REPO / "data" / "commercial_names"))
    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as handle:
        assert json.load(handle) == expected
    assert build_zh_examples.encoded(expected) == DATA_FILE.read_bytes()  # deterministic bytes too


def test_a_heading_gathers_the_first_names_of_its_subheadings():
    heading = chinese_examples("8517")
    assert heading and len(heading) <= PER_CODE
    assert all(any(name in chinese_examples(hs6) for hs6 in ("851711", "851713", "851714", "851718", "851761", "851762", "851769",
                                                            "851771", "851779")) for name in heading)
