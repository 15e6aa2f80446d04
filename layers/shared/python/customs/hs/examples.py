"""Chinese example names per HS 2022 subheading, so people reading in Chinese can check a code whose official wording
is English ("6109.10 T-shirts, singlets ...; of cotton" — e.g. 男用棉質T恤).

The examples are the shortest distinct Traditional Chinese names of the team's commercial names index
(``data/commercial_names/*.csv``), at most ``PER_CODE`` per subheading, written to ``data/zh_examples.json.gz`` by
``scripts/build_zh_examples.py`` (a unit test checks the file matches the index).
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "zh_examples.json.gz"
PER_CODE = 3


def pick_examples(names_by_code: dict[str, list[str]], per_code: int = PER_CODE) -> dict[str, list[str]]:
    """The shortest distinct names of each code (ties in the index's order), at most ``per_code``."""
    picked = {}
    for code, names in names_by_code.items():
        distinct = list(dict.fromkeys(n for n in names if n))
        if distinct:
            picked[code] = sorted(distinct, key=len)[:per_code]
    return dict(sorted(picked.items()))


@lru_cache(maxsize=1)
def _examples() -> dict[str, list[str]]:
    if not DATA_FILE.exists():
        return {}
    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def chinese_examples(code: str, limit: int = PER_CODE) -> list[str]:
    """Up to ``limit`` Chinese trade names of a subheading; for a heading or chapter (4 or 2 digits), the shortest of
    the first names of its subheadings. Empty when the index has none."""
    if len(code) == 6:
        return list(_examples().get(code, []))[:limit]
    return _group_examples().get(code, [])[:limit]


@lru_cache(maxsize=1)
def _group_examples() -> dict[str, list[str]]:
    """Chapters and headings: the distinct first names of their subheadings, shortest first (built once)."""
    firsts: dict[str, list[str]] = {}
    for hs6, names in _examples().items():
        for prefix in (hs6[:2], hs6[:4]):
            firsts.setdefault(prefix, []).append(names[0])
    return {prefix: sorted(dict.fromkeys(names), key=len) for prefix, names in firsts.items()}
