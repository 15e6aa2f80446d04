"""Merge staging CSVs of new commercial names into the index ``data/commercial_names/chNN.csv``.

    PYTHONPATH=layers/shared/python .venv/bin/python scripts/merge_commercial_names.py build/names_staging/*.csv

Each staging file has the index header (term_en, term_zh_tw, hs6, condition, note). A row goes to the file of
its code's chapter. Rows are skipped, and counted, when the code is not an HS 2022 subheading, a field is
missing, or the (term_en, condition) pair is already in the index (whatever its code: the index never holds one
term with two codes unless a condition separates them, see tests/unit/test_commercial_index.py).
The last stdout line is one JSON object with the counts.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

from customs.hs import get_nomenclature

REPO = Path(__file__).resolve().parents[1]
INDEX_DIR = REPO / "data" / "commercial_names"
HEADER = ["term_en", "term_zh_tw", "hs6", "condition", "note"]


def _key(row: dict[str, str]) -> tuple[str, str]:
    return row["term_en"].casefold(), row["condition"].casefold()


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [{k: (row.get(k) or "").strip() for k in HEADER} for row in csv.DictReader(handle)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("staging", nargs="+", type=Path)
    ap.add_argument("--index-dir", type=Path, default=INDEX_DIR)
    args = ap.parse_args(argv)

    hs = get_nomenclature()
    seen = {_key(row) for path in sorted(args.index_dir.glob("ch*.csv")) for row in _read(path)}
    additions: dict[str, list[dict[str, str]]] = defaultdict(list)
    skipped: Counter[str] = Counter()
    for path in args.staging:
        for row in _read(path):
            if not row["term_en"] or not row["term_zh_tw"]:
                skipped["missing_field"] += 1
            elif not (len(row["hs6"]) == 6 and row["hs6"].isdigit() and hs.is_valid(row["hs6"], 6)):
                skipped["invalid_code"] += 1
            elif _key(row) in seen:
                skipped["already_indexed"] += 1
            else:
                seen.add(_key(row))
                additions[row["hs6"][:2]].append(row)
    for chapter, rows in sorted(additions.items()):
        target = args.index_dir / f"ch{chapter}.csv"
        new_file = not target.exists()
        with open(target, "a", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=HEADER)
            if new_file:
                writer.writeheader()
            writer.writerows(rows)
    added = sum(len(rows) for rows in additions.values())
    print(json.dumps({"added": added, "chapters": len(additions), "skipped": dict(skipped)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
