"""Write the Chinese and Korean example names per subheading (layers/shared/python/customs/hs/data/zh_examples.json.gz
and ko_examples.json.gz) from the commercial names index, for the zh-TW and Korean pages and API responses
(customs.hs.examples).

    .venv/bin/python scripts/build_examples.py [--names data/commercial_names] [--korean-names data/commercial_names_ko/ko_names.csv]

Deterministic (gzip without a timestamp), so a rebuild of an unchanged index gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "layers" / "shared" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from customs.hs.examples import DATA_FILES, pick_examples  # noqa: E402
from training_data import chinese_index_entries  # noqa: E402  (scripts/ is on the path when run as a script)


def chinese_names_by_code(folder: Path) -> dict[str, list[str]]:
    names: dict[str, list[str]] = defaultdict(list)
    for code, zh_name, _ in chinese_index_entries(folder):
        name = " ".join(zh_name.split())
        if len(code) == 6 and name:
            names[code].append(name)
    return names


def korean_names_by_code(path: Path) -> dict[str, list[str]]:
    """The first Korean name of each entry (its synonyms after " | " are for matching, not for showing)."""
    names: dict[str, list[str]] = defaultdict(list)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for rec in csv.DictReader(handle):
            name = " ".join((rec.get("term_ko") or "").split("|")[0].split())
            if len(rec.get("hs6") or "") == 6 and name:
                names[rec["hs6"]].append(name)
    return names


def encoded(examples: dict[str, list[str]]) -> bytes:
    return gzip.compress(json.dumps(examples, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--names", default=str(REPO / "data" / "commercial_names"))
    ap.add_argument("--korean-names", default=str(REPO / "data" / "commercial_names_ko" / "ko_names.csv"))
    args = ap.parse_args(argv)
    report = {}
    for lang, names in (("zh-TW", chinese_names_by_code(Path(args.names))), ("ko", korean_names_by_code(Path(args.korean_names)))):
        examples = pick_examples(names)
        DATA_FILES[lang].write_bytes(encoded(examples))
        report[lang] = {"codes": len(examples), "names": sum(map(len, examples.values())), "bytes": DATA_FILES[lang].stat().st_size}
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
