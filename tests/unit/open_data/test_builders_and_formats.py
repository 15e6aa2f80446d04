"""Builders' rows, validation, and the deterministic CSV / JSON Lines / Parquet distributions."""

from __future__ import annotations

import io
import json

import pytest

from functions.open_data import formats
from functions.open_data.builders import (
    SUPPRESSION_THRESHOLD,
    ClassificationRequestsBuilder,
    HsNomenclatureBuilder,
    NationalScheduleBuilder,
    VehicleImportsBuilder,
    default_builders,
)
from functions.open_data.inputs import ClassificationRequest as Req
from functions.open_data.inputs import VehicleImport as Veh
from tests.unit.open_data.fakes import StaticInputs


def test_counts_below_the_threshold_are_published_as_null_and_flagged():
    assert SUPPRESSION_THRESHOLD == 5
    inputs = StaticInputs(requests=[Req("2026-11", "85")] * 5 + [Req("2026-11", "09")] * 4 + [Req("2026-10", "85")])
    rows = list(ClassificationRequestsBuilder().rows(inputs))
    assert rows == [
        {"month": "2026-10", "chapter": "85", "requests": None, "suppressed": True},
        {"month": "2026-11", "chapter": "09", "requests": None, "suppressed": True},
        {"month": "2026-11", "chapter": "85", "requests": 5, "suppressed": False},
    ]
    assert formats.check_rows(ClassificationRequestsBuilder(), rows) is None


def test_vehicle_imports_by_make_fuel_and_month():
    inputs = StaticInputs(vehicles=[Veh("2026-11", "TOYOTA", "petrol")] * 7 + [Veh("2026-11", "TESLA", "electric")])
    rows = list(VehicleImportsBuilder().rows(inputs))
    assert rows == [
        {"month": "2026-11", "make": "TESLA", "fuel": "electric", "imports": None, "suppressed": True},
        {"month": "2026-11", "make": "TOYOTA", "fuel": "petrol", "imports": 7, "suppressed": False},
    ]
    assert VehicleImportsBuilder().source_version(inputs) == "vehicle records: 8"


def test_nomenclature_and_schedule_builders_give_valid_rows_with_path_text():
    inputs = StaticInputs()
    hs = HsNomenclatureBuilder()
    rows = list(hs.rows(inputs))
    assert formats.check_rows(hs, rows) is None
    by_code = {r["code"]: r for r in rows}
    assert {r["level"] for r in rows} == {2, 4, 6}
    assert by_code["85"]["parent"] is None and by_code["851713"]["parent"] == "8517"
    assert by_code["851713"]["path_text"].endswith(by_code["851713"]["description"])
    schedule = NationalScheduleBuilder()
    lines = list(schedule.rows(inputs))
    assert formats.check_rows(schedule, lines) is None
    assert all(line["code"].startswith(line["hs6"]) and line["chapter"] == line["hs6"][:2] for line in lines[:500])
    assert schedule.source_version(inputs).startswith("EU TARIC")


def test_every_builder_declares_a_complete_dcat_description():
    for dataset_id, builder in default_builders().items():
        info = builder.info
        assert info.dataset_id == dataset_id and info.title and info.description and info.keywords and info.licence.startswith("https://")
        assert info.update_frequency.startswith("R/P")
        assert set(builder.key) <= {c.name for c in builder.schema} and builder.inputs


GOOD = {"month": "2026-11", "chapter": "85", "requests": 7, "suppressed": False}


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([{**GOOD, "extra": 1}], "do not match the schema"),
        ([{k: v for k, v in GOOD.items() if k != "requests"}], "do not match the schema"),
        ([{**GOOD, "month": None}], "month is empty"),
        ([{**GOOD, "chapter": ""}], "chapter is empty"),
        ([{**GOOD, "requests": "7"}], "is not integer"),
        ([{**GOOD, "requests": True}], "is not integer"),
        ([{**GOOD, "suppressed": 0}], "is not boolean"),
        ([GOOD, dict(GOOD)], "duplicate key"),
        ([{**GOOD, "requests": 3}], "below 5 is not suppressed"),
        ([{**GOOD, "requests": None, "suppressed": False}], "flag does not match"),
    ],
)
def test_invalid_rows_are_named(rows, problem):
    assert problem in formats.check_rows(ClassificationRequestsBuilder(), rows)


def test_too_few_rows_fail_validation():
    assert "fewer than the minimum" in formats.check_rows(HsNomenclatureBuilder(), [])


def test_distributions_are_deterministic_and_agree():
    import pyarrow.parquet as pq

    builder = ClassificationRequestsBuilder()
    rows = [GOOD, {"month": "2026-11", "chapter": "09", "requests": None, "suppressed": True}]
    first, second = formats.render(rows, builder.schema, "x"), formats.render([dict(r) for r in rows], builder.schema, "x")
    assert first == second
    assert first["csv"].decode() == "month,chapter,requests,suppressed\n2026-11,85,7,false\n2026-11,09,,true\n"
    assert [json.loads(line) for line in first["jsonl"].decode().splitlines()] == rows
    table = pq.read_table(io.BytesIO(first["parquet"]))
    assert table.to_pylist() == rows
    assert table.schema.field("requests").nullable and not table.schema.field("month").nullable
    assert table.schema.field("requests").metadata[b"description"].startswith(b"Number of requests")


def test_the_fingerprint_depends_on_content_and_schema_only():
    a = ClassificationRequestsBuilder().schema
    b = VehicleImportsBuilder().schema
    assert formats.fingerprint(a, b"x") == formats.fingerprint(a, b"x")
    assert formats.fingerprint(a, b"x") != formats.fingerprint(a, b"y")
    assert formats.fingerprint(a, b"x") != formats.fingerprint(b, b"x")
