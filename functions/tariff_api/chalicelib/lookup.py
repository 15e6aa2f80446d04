"""HS lookups for the API: one code, text search, national lines under an HS6."""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from urllib.parse import unquote
from typing import Any

from customs.errors import ApiError, not_found, validation_error
from customs.hs import InvalidHsCode, get_nomenclature, normalize_code
from customs.hs.national import NationalLine, get_bundled_schedule

LEVEL_NAMES = {2: "chapter", 4: "heading", 6: "subheading"}


def _code(raw: str, field: str = "code") -> str:
    try:
        return normalize_code(unquote(raw))  # path parameters may arrive percent-encoded ("8517%2013")
    except InvalidHsCode as exc:
        raise validation_error(field, str(exc)) from exc


def lookup(raw_code: str) -> dict[str, Any]:
    hs = get_nomenclature()
    code = _code(raw_code)
    if code not in hs:
        raise not_found(f"HS code {code}", "code")
    path = [{"level": LEVEL_NAMES[n], "code": code[:n], "description": hs.description(code[:n])} for n in (2, 4, 6) if n <= len(code)]
    section = hs.section(code)
    return {
        "code": code,
        "level": len(code),
        "description": hs.description(code),
        "section": {"id": section.roman, "description": section.name} if section else None,
        "path": path,
        "path_text": " > ".join(step["description"] for step in path),
        "children": [{"code": c, "description": hs.description(c)} for c in hs.children(code)],
    }


def search(query: str, limit: int, level: int | None) -> dict[str, Any]:
    if not query.strip():
        raise validation_error("q", "q must not be empty")
    if not 1 <= limit <= 50:
        raise validation_error("limit", "limit must be between 1 and 50")
    if level not in (None, 2, 4, 6):
        raise validation_error("level", "level must be 2, 4 or 6")
    hits = get_nomenclature().search(query, limit=limit, level=level)
    return {"query": query, "results": [{"code": h.code, "level": len(h.code), "description": h.description, "score": round(float(h.score), 4)} for h in hits]}


@lru_cache(maxsize=1)
def schedule():
    return get_bundled_schedule()


def line_dict(line: NationalLine) -> dict[str, Any]:
    return asdict(line)


def national_lines(raw_hs6: str) -> dict[str, Any]:
    code = _code(raw_hs6, "hs6")
    if len(code) != 6:
        raise validation_error("hs6", "national lines are listed under a 6-digit subheading")
    if code not in get_nomenclature():
        raise not_found(f"HS code {code}", "hs6")
    table = schedule()
    return {"schedule": table.name, "version": table.version, "hs6": code, "lines": [line_dict(l) for l in table.lines_under(code)]}


def guard_int(raw: str | None, field: str, default: int | None) -> int | None:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, "validation_error", f"{field} must be an integer", field=field) from exc
