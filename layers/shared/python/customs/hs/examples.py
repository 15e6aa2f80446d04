"""Example trade names per HS 2022 subheading in Chinese and Korean, so people reading in those languages can check a
code whose official wording here is English ("6109.10 T-shirts, singlets ...; of cotton" — e.g. 男用棉質T恤, 면 티셔츠).

The examples are the shortest distinct names of the team's commercial names index, at most ``PER_CODE`` per
subheading: the Traditional Chinese names of ``data/commercial_names/*.csv`` (``data/zh_examples.json.gz``) and the
Korean names of ``data/commercial_names_ko/ko_names.csv`` (``data/ko_examples.json.gz``), written by
``scripts/build_examples.py`` (a unit test checks the files match the index).
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
DATA_FILES = {"zh-TW": DATA_DIR / "zh_examples.json.gz", "ko": DATA_DIR / "ko_examples.json.gz"}
PER_CODE = 3


def pick_examples(names_by_code: dict[str, list[str]], per_code: int = PER_CODE) -> dict[str, list[str]]:
    """The shortest distinct names of each code (ties in the index's order), at most ``per_code``."""
    picked = {}
    for code, names in names_by_code.items():
        distinct = list(dict.fromkeys(n for n in names if n))
        if distinct:
            picked[code] = sorted(distinct, key=len)[:per_code]
    return dict(sorted(picked.items()))


@lru_cache(maxsize=None)
def _examples(lang: str) -> dict[str, list[str]]:
    path = DATA_FILES[lang]
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def examples(code: str, lang: str, limit: int = PER_CODE) -> list[str]:
    """Up to ``limit`` trade names of a subheading in ``lang`` ("zh-TW" or "ko"); for a heading or chapter (4 or 2
    digits), the shortest of the first names of its subheadings. Empty when the index has none."""
    if len(code) == 6:
        return list(_examples(lang).get(code, []))[:limit]
    return _group_examples(lang).get(code, [])[:limit]


def chinese_examples(code: str, limit: int = PER_CODE) -> list[str]:
    return examples(code, "zh-TW", limit)


def korean_examples(code: str, limit: int = PER_CODE) -> list[str]:
    return examples(code, "ko", limit)


@lru_cache(maxsize=None)
def _group_examples(lang: str) -> dict[str, list[str]]:
    """Chapters and headings: the distinct first names of their subheadings, shortest first (built once per language)."""
    firsts: dict[str, list[str]] = {}
    for hs6, names in _examples(lang).items():
        for prefix in (hs6[:2], hs6[:4]):
            firsts.setdefault(prefix, []).append(names[0])
    return {prefix: sorted(dict.fromkeys(names), key=len) for prefix, names in firsts.items()}
