"""Validation of the Korean trade names ``data/commercial_names_ko/ko_names.csv``.

Each row names an entry of the English commercial names index in Korean; the classifier's Korean index is built
from them (``scripts/build_korean_index.py``). A row whose entry does not exist, or whose Korean is not Korean,
would put words on a code that nobody checked.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NAMES = REPO / "data" / "commercial_names_ko" / "ko_names.csv"
HANGUL = re.compile("[\uac00-\ud7af]")
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with open(NAMES, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["hs6", "term_en", "term_ko"]
        return list(reader)


def test_every_row_names_an_entry_of_the_english_index(rows):
    entries = set()
    for path in (REPO / "data" / "commercial_names").glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as handle:
            entries |= {(row["hs6"], row["term_en"]) for row in csv.DictReader(handle)}
    missing = [(r["hs6"], r["term_en"]) for r in rows if (r["hs6"], r["term_en"]) not in entries]
    assert not missing, f"{len(missing)} rows name no index entry, e.g. {missing[:5]}"


def test_one_row_per_entry(rows):
    keys = [(r["hs6"], r["term_en"]) for r in rows]
    assert len(keys) == len(set(keys))


def test_names_are_korean_without_han_characters(rows):
    # A synonym may be a Latin abbreviation that Korean trade keeps ("WPC 80" beside "유청단백농축물 80"), but every row
    # has a Hangul name, and none has Han characters: the names were written in Hangul only, and Hanja in a name would
    # make its character pairs match Chinese-style queries that the Korean index is not fitted for.
    bad = []
    for r in rows:
        names = r["term_ko"].split(" | ")
        if (any(not name.strip() or name != name.strip() or HAN.search(name) for name in names)
                or not any(HANGUL.search(name) for name in names)):
            bad.append((r["hs6"], r["term_en"], r["term_ko"]))
    assert not bad, f"{len(bad)} rows, e.g. {bad[:5]}"


def test_rows_are_grouped_by_subheading(rows):
    # build_korean_index.py and build_examples.py read the file in order; sorted rows keep diffs of new waves small
    codes = [r["hs6"] for r in rows]
    assert codes == sorted(codes)
