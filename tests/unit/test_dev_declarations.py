"""The written development sets ``data/dev/written_declarations.jsonl`` and ``marketplace_titles.jsonl`` (see their
README): valid HS 2022 codes, no repeated text, and no text that is also a training text (a verbatim term of the commercial names index)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from customs.hs import get_nomenclature

DATA = Path(__file__).resolve().parents[2] / "data"
STYLES = {"declaration", "catalog", "trade_name", "title"}


def _rows() -> list[dict]:
    with open(DATA / "dev" / "written_declarations.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _index_terms() -> set[str]:
    """The English terms of the commercial names index (training texts), case-folded."""
    terms = set()
    for path in sorted((DATA / "commercial_names").glob("ch*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            terms.update(row["term_en"].strip().casefold() for row in csv.DictReader(fh))
    return terms


def test_rows_are_well_formed_with_valid_codes():
    hs = get_nomenclature()
    rows = _rows()
    assert len(rows) >= 3000
    bad = [r["id"] for r in rows if not (r["text"].strip() and r["style"] in STYLES and hs.is_valid(r["hs6"], 6))]
    assert not bad
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"].casefold() for r in rows}) == len(rows)


def test_no_text_is_a_training_term():
    terms = _index_terms()
    assert not [r["text"] for r in _rows() if r["text"].strip().casefold() in terms]


def test_marketplace_titles_are_well_formed_and_unseen():
    # Given the marketplace listing titles (data/dev/README.md, "Marketplace titles")
    hs = get_nomenclature()
    with open(DATA / "dev" / "marketplace_titles.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    terms = _index_terms()
    written = {r["text"].casefold() for r in _rows()}
    # Then every row has a text, a reason and a valid HS 2022 subheading, ids and texts are unique,
    # and no text is a training term or a written declaration
    assert len(rows) >= 500
    assert not [r["id"] for r in rows if not (r["text"].strip() and r["reason"].strip() and hs.is_valid(r["hs6"], 6))]
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"].casefold() for r in rows}) == len(rows)
    assert not [r["text"] for r in rows if r["text"].strip().casefold() in terms | written]
