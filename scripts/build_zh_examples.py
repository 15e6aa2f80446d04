"""Write the Chinese example names per subheading (layers/shared/python/customs/hs/data/zh_examples.json.gz) from the
commercial names index, for the zh-TW page and API responses (customs.hs.examples).

    .venv/bin/python scripts/build_zh_examples.py [--names data/commercial_names]

Deterministic (gzip without a timestamp), so a rebuild of an unchanged index gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "layers" / "shared" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from customs.hs.examples import DATA_FILE, pick_examples  # noqa: E402
from training_data import chinese_index_entries  # noqa: E402  (scripts/ is on the path when run as a script)


def names_by_code(folder: Path) -> dict[str, list[str]]:
    names: dict[str, list[str]] = defaultdict(list)
    for code, zh_name, _ in chinese_index_entries(folder):
        name = " ".join(zh_name.split())
        if len(code) == 6 and name:
            names[code].append(name)
    return names


def encoded(examples: dict[str, list[str]]) -> bytes:
    return gzip.compress(json.dumps(examples, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--names", default=str(REPO / "data" / "commercial_names"))
    args = ap.parse_args(argv)
    examples = pick_examples(names_by_code(Path(args.names)))
    DATA_FILE.write_bytes(encoded(examples))
    print(json.dumps({"codes": len(examples), "names": sum(map(len, examples.values())), "bytes": DATA_FILE.stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
