"""HS 2022 nomenclature lookups, hierarchy and search."""

import time

import pytest
from customs.hs import InvalidHsCode, Nomenclature, UnknownHsCode, get_nomenclature


@pytest.fixture(scope="module")
def hs() -> Nomenclature:
    return get_nomenclature()


def test_loaded_once_with_hs2022_counts(hs: Nomenclature) -> None:
    assert get_nomenclature() is hs
    assert (len(hs.codes(2)), len(hs.codes(4)), len(hs.codes(6))) == (97, 1229, 5613)
    assert len(hs.sections) == 21
    assert "99" in hs.codes(2) and "77" not in hs.codes(2)


@pytest.mark.parametrize(
    ("code", "level", "valid"),
    [
        ("85", 2, True),
        ("8517", 4, True),
        ("8517.13", 6, True),
        ("851714", 6, True),
        ("851712", 6, False),  # HS 2017 code, split into 8517.13 / 8517.14 by HS 2022
        ("77", 2, False),  # reserved chapter
        ("8599", 4, False),
        ("8517", 6, False),  # exists, but not at that level
        ("85171", None, False),  # malformed: never raises from is_valid
        ("", None, False),
    ],
)
def test_is_valid(hs: Nomenclature, code: str, level: int | None, valid: bool) -> None:
    assert hs.is_valid(code, level) is valid


def test_description_and_entry(hs: Nomenclature) -> None:
    assert "smartphones" in hs.description("8517.13").lower()
    entry = hs.entry("8517 13")
    assert (entry.code, entry.level, entry.parent, entry.section) == ("851713", 6, "8517", "XVI")
    with pytest.raises(UnknownHsCode, match="851712"):
        hs.description("851712")
    with pytest.raises(InvalidHsCode):
        hs.description("abcd")


def test_path(hs: Nomenclature) -> None:
    path = hs.path("851713")
    assert path.codes == ("XVI", "85", "8517", "851713")
    assert path.entries[-1] == ("851713", hs.description("851713"))
    assert path.text.startswith("Machinery and mechanical appliances")
    assert path.text.count(" > ") == 3 and path.text.endswith(hs.description("851713"))
    assert hs.path("99").codes == ("99",)  # chapter 99 belongs to no section


def test_children_and_parent(hs: Nomenclature) -> None:
    assert hs.children("8517") == ["851711", "851713", "851714", "851718", "851761", "851762", "851769", "851771", "851779"]
    assert "8517" in hs.children("85")
    assert hs.children("851713") == []
    assert hs.parent("851713") == "8517"
    assert hs.parent("8517") == "85"
    assert hs.parent("85") is None
    assert hs.section("01").name.lower().startswith("live animals")


def test_codes_rejects_bad_level(hs: Nomenclature) -> None:
    with pytest.raises(ValueError):
        hs.codes(8)


def test_search_smartphone(hs: Nomenclature) -> None:
    hits = hs.search("smartphone", limit=5)
    assert hits[0].code == "851713"


def test_search_bicycle_and_level_filter(hs: Nomenclature) -> None:
    assert any(hit.code.startswith("8712") for hit in hs.search("bicycle", limit=3))
    hits = hs.search("bicycles", limit=5, level=4)
    assert hits and all(hit.level == 4 for hit in hits) and hits[0].code == "8712"


def test_search_code_query_and_no_match(hs: Nomenclature) -> None:
    assert hs.search("8517.13", limit=3)[0].code == "851713"
    assert hs.search("zzzqqq", limit=3) == []
    assert hs.search("smartphone", limit=0) == []


def test_search_is_fast(hs: Nomenclature) -> None:
    hs.search("warm up")
    queries = ["lithium-ion battery", "men's cotton t-shirt knitted", "frozen shrimp", "wooden furniture", "bicycle"]
    started = time.perf_counter()
    for _ in range(20):
        for query in queries:
            hs.search(query, limit=10)
    per_query_ms = (time.perf_counter() - started) * 1000 / (20 * len(queries))
    assert per_query_ms < 20, per_query_ms
