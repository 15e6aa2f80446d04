"""Normalising other services' records: tolerant of shapes, strict about what is counted."""

from __future__ import annotations

import json

import pytest

from functions.open_data.inputs import (
    ClassificationRequest,
    SourceInputs,
    VehicleImport,
    classification_request_of,
    month_of,
    parse_records,
    vehicle_import_of,
)
from tests.unit.open_data.fakes import ListSource


@pytest.mark.parametrize(
    ("value", "month"),
    [
        ("2026-11-26T07:45:00+00:00", "2026-11"),
        ("2026-11-30T23:30:00-02:00", "2026-12"),  # UTC month
        ("2026-11-26T07:45:00Z", "2026-11"),
        ("2026-02-03", "2026-02"),
        ("2026-02", "2026-02"),
        (1767225600, "2026-01"),
        (1767225600000, "2026-01"),
        ("1767225600", "2026-01"),
        ("yesterday", None),
        ("2026-13", None),
        (None, None),
        (True, None),
    ],
)
def test_month_of(value, month):
    assert month_of(value) == month


def _session(state, created_at="2026-11-02T10:00:00+00:00", as_text=True):
    return {"session_id": "s", "created_at": created_at, "state": json.dumps(state) if as_text else state}


def test_a_finished_session_counts_under_the_chapter_of_its_result():
    state = {"status": "done", "weights": {"851713": 0.7, "851762": 0.2, "010121": 0.1}, "national": None}
    assert classification_request_of(_session(state)) == ClassificationRequest("2026-11", "85")


def test_the_chosen_national_line_decides_and_an_unfinished_session_counts_its_leading_candidate():
    chosen = {"status": "done", "weights": {"851713": 0.9}, "national": {"hs6": "851713", "chosen": "8471300000"}}
    assert classification_request_of(_session(chosen, as_text=False)).chapter == "84"
    asking = {"status": "asking", "weights": {"090111": 0.4, "090121": 0.6}}
    assert classification_request_of(_session(asking)) == ClassificationRequest("2026-11", "09")
    candidates = {"status": "asking", "candidates": [{"hs6": "610910", "probability": 0.5}]}
    assert classification_request_of(_session(candidates)).chapter == "61"


@pytest.mark.parametrize(
    "item",
    [
        {"session_id": "s", "created_at": "2026-11-02", "state": "not json"},
        {"session_id": "s", "created_at": "2026-11-02", "state": json.dumps({"weights": {}})},
        {"session_id": "s", "created_at": "later", "state": json.dumps({"weights": {"851713": 1}})},
        {"session_id": "s", "created_at": "2026-11-02", "state": json.dumps({"weights": {"x": 1}})},
        {"session_id": "s"},
    ],
)
def test_sessions_without_a_month_or_a_chapter_are_skipped(item):
    assert classification_request_of(item) is None


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"vin": "V1", "make": "Toyota", "fuel": "Petrol", "import_date": "2026-10-02"}, VehicleImport("2026-10", "TOYOTA", "petrol")),
        ({"brand": " mercedes-benz ", "fuel_type": "DIESEL", "created_at": "2026-10-31T23:00:00Z"}, VehicleImport("2026-10", "MERCEDES-BENZ", "diesel")),
        ({"source": "vehicle_exchange", "detail": {"make": "Tesla", "fuelType": "BEV", "imported_at": "2026-09-01T00:00:00Z"}}, VehicleImport("2026-09", "TESLA", "electric")),
        ({"vehicle": {"manufacturer": "Kia", "propulsion": "PHEV"}, "declared_at": 1767225600}, VehicleImport("2026-01", "KIA", "plug-in hybrid")),
        ({"make": "Toyota", "fuel": "Steam", "date": "2026-01-05"}, VehicleImport("2026-01", "TOYOTA", "steam")),
    ],
)
def test_vehicle_records_of_any_shape(record, expected):
    assert vehicle_import_of(record) == expected


@pytest.mark.parametrize(
    "record",
    [{"make": "Toyota", "fuel": "petrol"}, {"make": "", "fuel": "petrol", "date": "2026-01-01"}, {"fuel": "petrol", "date": "2026-01-01"}, {"make": 5, "fuel": "x", "date": "2026-01-01"}],
)
def test_vehicle_records_missing_a_field_are_skipped(record):
    assert vehicle_import_of(record) is None


def test_parse_records_reads_json_lines_arrays_and_objects():
    assert list(parse_records(b'{"a": 1}\n\n{"b": 2}\nnot json\n[1]\n')) == [{"a": 1}, {"b": 2}]
    assert list(parse_records(b'[{"a": 1}, 2, {"b": 2}]')) == [{"a": 1}, {"b": 2}]
    assert list(parse_records(b'{\n  "a": 1\n}\n')) == [{"a": 1}]
    assert list(parse_records(b"")) == []


def test_source_inputs_read_each_source_once_and_count_what_they_skip():
    sessions = ListSource([_session({"weights": {"851713": 1}}), {"state": "x"}])
    vehicles = ListSource([{"make": "A", "fuel": "diesel", "date": "2026-01-01"}, {"make": "B"}])
    inputs = SourceInputs(sessions, [vehicles, ListSource([{"make": "C", "fuel": "ev", "date": "2026-01-01"}])])
    assert inputs.classification_requests() == [ClassificationRequest("2026-11", "85")]
    assert [v.make for v in inputs.vehicle_imports()] == ["A", "C"]
    sessions.items.clear()
    assert len(inputs.classification_requests()) == 1  # cached for the run
    assert inputs.skipped == {"sessions": 1, "vehicles": 1}


def test_the_ledger_keeps_expired_sessions_and_follows_changing_ones():
    from functions.open_data.inputs import SessionLedger
    from tests.unit.open_data.fakes import MemoryStore

    store = MemoryStore()
    ledger = SessionLedger(store, "ledger/")
    day1 = [("s1", ClassificationRequest("2026-10", "85")), ("s2", ClassificationRequest("2026-11", "09"))]
    assert sorted(ledger.merge(day1), key=lambda r: r.month) == [r for _, r in day1]
    assert store.keys("ledger/") == ["ledger/2026-10.json", "ledger/2026-11.json"]
    assert b"s1" not in store.objects["ledger/2026-10.json"]  # ids are hashed
    writes = len(store.puts)
    assert sorted(ledger.merge(day1), key=lambda r: r.month) == [r for _, r in day1]
    assert len(store.puts) == writes  # nothing new, nothing written
    # Next day: s1 expired from the table, s2 changed chapter, s3 is new
    day2 = [("s2", ClassificationRequest("2026-11", "61")), ("s3", ClassificationRequest("2026-11", "61"))]
    assert sorted(ledger.merge(day2), key=lambda r: (r.month, r.chapter)) == [
        ClassificationRequest("2026-10", "85"), ClassificationRequest("2026-11", "61"), ClassificationRequest("2026-11", "61"),
    ]
    assert len(store.puts) == writes + 1  # only November changed


def test_source_inputs_count_through_the_ledger():
    from functions.open_data.inputs import SessionLedger
    from tests.unit.open_data.fakes import MemoryStore

    store = MemoryStore()
    SourceInputs(ListSource([{**_session({"weights": {"010121": 1}}, created_at="2026-01-05"), "session_id": "old"}]), [], ledger=SessionLedger(store)).classification_requests()
    inputs = SourceInputs(ListSource([{**_session({"weights": {"851713": 1}}), "session_id": "new"}]), [], ledger=SessionLedger(store))
    assert sorted(inputs.classification_requests(), key=lambda r: r.month) == [ClassificationRequest("2026-01", "01"), ClassificationRequest("2026-11", "85")]


def test_vehicle_exchange_items_as_stored_and_each_vehicle_counted_once():
    data = {"vin": "WVWZZZ1JZXW000001", "make": "Volkswagen", "model": "Golf", "engine": {"fuel_type": "plug_in_hybrid"}, "clearance_date": "2026-11-03"}
    stored = {"vin": data["vin"], "status": "cleared", "data": json.dumps(data), "history": "[]", "updated_at": "2026-12-24T10:00:00+00:00"}
    assert vehicle_import_of(stored) == VehicleImport("2026-11", "VOLKSWAGEN", "plug-in hybrid")
    extract = {**data, "vin": data["vin"].lower()}  # the same vehicle in a dropped extract
    other = {"make": "Kia", "fuel": "diesel", "date": "2026-11-04"}  # no VIN: counted as is
    inputs = SourceInputs(ListSource([]), [ListSource([stored]), ListSource([extract, other, other])])
    assert [v.make for v in inputs.vehicle_imports()] == ["VOLKSWAGEN", "KIA", "KIA"]
