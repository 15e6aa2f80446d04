"""The written development set ``data/dev/written_declarations.jsonl`` (see its README): valid HS 2022 codes, no
repeated text, and no text that is also a training text (a verbatim term of the commercial names index)."""

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


def test_rows_are_well_formed_with_valid_codes():
    hs = get_nomenclature()
    rows = _rows()
    assert len(rows) >= 3000
    bad = [r["id"] for r in rows if not (r["text"].strip() and r["style"] in STYLES and hs.is_valid(r["hs6"], 6))]
    assert not bad
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"].casefold() for r in rows}) == len(rows)


def test_no_text_is_a_training_term():
    terms = set()
    for path in sorted((DATA / "commercial_names").glob("ch*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            terms.update(row["term_en"].strip().casefold() for row in csv.DictReader(fh))
    assert not [r["text"] for r in _rows() if r["text"].strip().casefold() in terms]
