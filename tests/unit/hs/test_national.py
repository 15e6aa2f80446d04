"""National schedules below HS6: the bundled EU TARIC tree and the generic file format."""

from pathlib import Path

import pytest
from customs.hs import InvalidHsCode, get_nomenclature
from customs.hs.national import (
    BUNDLED_SCHEDULES,
    DATA_DIR,
    NationalLine,
    NationalSchedule,
    get_bundled_schedule,
    load_schedule,
    write_schedule,
)

TARIC_EN = Path(__file__).resolve().parents[4] / "shared/data/nomenclature/eu-cn2023-taric2025/taric_2025-05-01_en.xlsx"


@pytest.fixture(scope="module")
def taric() -> NationalSchedule:
    return get_bundled_schedule("eu-taric-en")


def test_bundled_file_is_small() -> None:
    for name in BUNDLED_SCHEDULES.values():
        assert (DATA_DIR / name).stat().st_size < 2_000_000


def test_bundled_schedule_metadata(taric: NationalSchedule) -> None:
    assert get_bundled_schedule() is taric
    assert taric.name == "EU TARIC (EN)" and taric.version == "2025-05-01"
    assert len(taric) > 15_000


def test_every_line_maps_to_a_valid_hs6(taric: NationalSchedule) -> None:
    hs = get_nomenclature()
    bad = [line.code for line in taric if not hs.is_valid(line.hs6, 6) or not line.code.startswith(line.hs6)]
    assert bad == []
    assert len(taric.hs6_codes) == 5612  # every HS 2022 subheading except 99.99.99
    assert set(hs.codes(6)) - set(taric.hs6_codes) == {"999999"}


def test_other_lines_are_self_describing(taric: NationalSchedule) -> None:
    others = [line for line in taric if line.description.lower().rstrip(":") == "other"]
    assert len(others) > 1000
    for line in others:
        assert line.self_describing_text.startswith("Other (excl. ") or " — under: " in line.self_describing_text
        assert line.self_describing_text != line.description
    line = taric.get("0101299000")
    assert line is not None
    assert line.self_describing_text == (
        "Other (excl. For slaughter) — under: Live horses, asses, mules and hinnies > Horses"
        " > Other (excl. Pure-bred breeding animals)"
    )


def test_lookups(taric: NationalSchedule) -> None:
    smartphones = taric.lines_under("8517.13")
    assert [line.code for line in smartphones] == ["8517130000"]
    assert taric.get("8517.13.00.00") == smartphones[0]
    assert taric.get("0000000000") is None
    heading = taric.lines_under("8517")
    assert {line.hs6 for line in heading} >= {"851713", "851714", "851762"}
    assert all(line.hs6.startswith("8517") for line in heading)
    assert len(taric.lines_under("85")) > len(heading)
    assert taric.lines_under("851712") == []
    with pytest.raises(InvalidHsCode):
        taric.lines_under("85171")


@pytest.mark.skipif(not TARIC_EN.is_file(), reason="shared TARIC export not available")
def test_bundled_file_is_reproducible(tmp_path: Path) -> None:
    from scripts.build_national_schedule import main

    out = tmp_path / "schedule.csv.gz"
    assert main(["--input", str(TARIC_EN), "--output", str(out)]) == 0
    assert out.read_bytes() == (DATA_DIR / BUNDLED_SCHEDULES["eu-taric-en"]).read_bytes()


SYNTHETIC = """# name: Ruritania tariff
# version: 2026.1
# lang: en
code,hs6,indent,parent_code,description,unit,mfn,vat
85171300,851713,1,,Smartphones,u,0%,5%
85171400,851714,1,,Other telephones for cellular networks,u,2.5%,5%
61091000,610910,1,,T-shirts of cotton,,12%,
6109100010,610910,2,61091000,For babies,kg,8%,
6109100090,610910,2,61091000,Other,kg,12%,5%
"""


def test_generic_schedule_with_duty_columns(tmp_path: Path) -> None:
    path = tmp_path / "ruritania.csv"
    path.write_text(SYNTHETIC, encoding="utf-8")
    schedule = load_schedule(path)
    assert (schedule.name, schedule.version, len(schedule)) == ("Ruritania tariff", "2026.1", 5)
    phone = schedule.get("8517.13.00")
    assert phone is not None
    assert phone.duty_columns == {"mfn": "0%", "vat": "5%"} and phone.unit == "u"
    other = schedule.get("6109100090")
    assert other is not None and other.parent_code == "61091000" and other.indent == 2
    # no self_describing_text column: computed from the parent links in the file
    assert other.self_describing_text == "Other (excl. For babies) — under: T-shirts of cotton"
    assert schedule.get("6109100010").duty_columns == {"mfn": "8%"}  # empty cells are left out
    assert [line.code for line in schedule.lines_under("6109")] == ["61091000", "6109100010", "6109100090"]


def test_write_and_load_roundtrip_gzip(tmp_path: Path) -> None:
    lines = [
        NationalLine("0101210000", "Pure-bred", "Pure-bred — under: Horses", "010121", 2, "010121", {"mfn": "0%"}, "p/st"),
        NationalLine("0101291000", "For slaughter", "For slaughter — under: Horses", "010129", 3, "010129", {}, None),
    ]
    path = tmp_path / "x.csv.gz"
    write_schedule(path, lines, {"name": "X", "version": "1"}, duty_names=["mfn"])
    first = path.read_bytes()
    write_schedule(path, lines, {"name": "X", "version": "1"}, duty_names=["mfn"])
    assert path.read_bytes() == first  # deterministic gzip
    loaded = load_schedule(path)
    assert list(loaded) == lines


def test_bad_schedule_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    missing.write_text("code,hs6\n85171300,851713\n", encoding="utf-8")
    with pytest.raises(ValueError, match="description"):
        load_schedule(missing)
    duplicate = tmp_path / "dup.csv"
    duplicate.write_text("code,description\n85171300,A\n8517.13.00,B\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_schedule(duplicate)
    with pytest.raises(KeyError):
        get_bundled_schedule("atlantis")
