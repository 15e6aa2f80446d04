"""The exchange's decisions, with in-memory adapters."""

from __future__ import annotations

import threading

import pytest

from functions.vehicle_exchange.agencies import AGENCIES, VEHICLE_FIELDS
from functions.vehicle_exchange.logic import Inbound, VehicleExchange, VersionConflict
from functions.vehicle_exchange.memory import InMemoryAuditLog, InMemorySubscriptions, InMemoryVehicleStore
from functions.vehicle_exchange.models import OUTBOUND
from tests.unit.vehicle_exchange import messages as m


@pytest.fixture
def exchange() -> VehicleExchange:
    return VehicleExchange(InMemoryVehicleStore(), InMemoryAuditLog(), InMemorySubscriptions(), clock=lambda: m.FIXED_NOW)


def send(exchange: VehicleExchange, queue_agency: str, message, transport_id: str = "sqs-1") -> dict:
    inbound = Inbound(queue_agency, m.body(message), transport_id, m.FIXED_NOW)
    return exchange.handle(exchange.prepare(inbound))


def replies(outcome: dict, to: str | None = None) -> list[dict]:
    return [o["body"] for o in outcome["outgoing"] if to is None or o["to"] == to]


def only_reply(outcome: dict) -> dict:
    (reply,) = replies(outcome)
    return reply


def rejection(outcome: dict) -> dict:
    reply = only_reply(outcome)
    assert reply["type"] == "message.rejected" and outcome["decision"] == "rejected"
    return reply["payload"]


def test_customs_registers_an_imported_vehicle(exchange):
    message = m.imported()
    outcome = send(exchange, "customs", message)
    assert outcome["decision"] == "accepted" and outcome["outcome"] == "applied"
    reply = only_reply(outcome)
    assert reply["type"] == "message.accepted" and reply["correlation_id"] == message["message_id"]
    record = exchange.store.get(m.VIN)
    assert record.data["status"] == "imported" and record.data["importer_id"] == "TW-12345678" and record.version == 1
    assert [h["event"] for h in record.history] == ["imported"]


def test_query_answers_with_only_the_fields_the_agency_may_read(exchange):
    send(exchange, "customs", m.imported())
    for agency_id, agency in AGENCIES.items():
        reply = only_reply(send(exchange, agency_id, m.query(agency_id)))
        assert reply["type"] == "vehicle.query_result" and reply["payload"]["found"] is True
        vehicle = reply["payload"]["vehicle"]
        assert set(vehicle) <= agency.may_read, agency_id
    police = only_reply(send(exchange, "police", m.query("police")))["payload"]["vehicle"]
    assert "importer_id" not in police and "import_declaration_number" not in police and "duty_paid" not in police
    tax = only_reply(send(exchange, "tax", m.query("tax")))["payload"]["vehicle"]
    assert tax["importer_id"] == "TW-12345678" and "status_history" not in tax
    epa = only_reply(send(exchange, "epa", m.query("epa")))["payload"]["vehicle"]
    assert set(epa) == {"vin", "make", "model", "model_year", "fuel_type", "engine_displacement_cc", "engine_power_kw", "status"}


def test_query_for_an_unknown_vehicle_says_not_found(exchange):
    reply = only_reply(send(exchange, "mvr", m.query("mvr", m.VIN_2)))
    assert reply["payload"] == {"vin": m.VIN_2, "found": False, "vehicle": None}


@pytest.mark.parametrize(
    "agency, event, details, expect",
    [
        ("mvr", "registered", {}, {"status": "registered"}),
        ("mvr", "plate_issued", {"plate_number": "ABC-1234"}, {"plate_number": "ABC-1234", "status": "registered"}),
        ("epa", "emission_certified", {"certificate_id": "EPA-2026-778"}, {"emission_certificate": "EPA-2026-778"}),
        ("mvr", "exported", {"destination_country": "JP"}, {"status": "exported", "export_country": "JP"}),
        ("customs", "exported", {"destination_country": "JP"}, {"status": "exported"}),
        ("mvr", "scrapped", {}, {"status": "scrapped"}),
        ("police", "reported_stolen", {"report_reference": "TPD-2026-1181"}, {"stolen": True, "police_report_reference": "TPD-2026-1181"}),
    ],
)
def test_every_status_event_is_applied(exchange, agency, event, details, expect):
    send(exchange, "customs", m.imported())
    outcome = send(exchange, agency, m.status(agency, event, **details))
    assert outcome["outcome"] == "applied", outcome
    record = exchange.store.get(m.VIN)
    assert {k: record.data.get(k) for k in expect} == expect
    assert record.history[-1]["event"] == event and record.history[-1]["agency_id"] == agency and record.version == 2


def test_an_agency_may_report_only_its_own_events(exchange):
    send(exchange, "customs", m.imported())
    assert rejection(send(exchange, "epa", m.status("epa", "reported_stolen")))["reason_code"] == "not_permitted"
    assert rejection(send(exchange, "tax", m.status("tax", "registered")))["reason_code"] == "not_permitted"  # tax may not send status at all
    assert rejection(send(exchange, "mvr", m.envelope("mvr", "vehicle.imported", m.imported()["payload"])))["reason_code"] == "not_permitted"
    assert exchange.store.get(m.VIN).version == 1


def test_status_of_an_unknown_vehicle_and_after_scrapping_is_rejected(exchange):
    assert rejection(send(exchange, "mvr", m.status("mvr", "registered")))["reason_code"] == "unknown_vehicle"
    send(exchange, "customs", m.imported())
    send(exchange, "mvr", m.status("mvr", "scrapped"))
    assert rejection(send(exchange, "mvr", m.status("mvr", "registered")))["reason_code"] == "conflict"


def test_event_details_are_required(exchange):
    send(exchange, "customs", m.imported())
    payload = rejection(send(exchange, "mvr", m.status("mvr", "plate_issued")))
    assert payload["reason_code"] == "schema_invalid" and payload["field"] == "payload.plate_number"


@pytest.mark.parametrize(
    "message, code, field",
    [
        ("not json", "malformed", None),
        ("[1, 2]", "malformed", None),
        (m.query("mvr", schema_version="2.0"), "unsupported_version", "schema_version"),
        (m.query("mvr", claimed="police"), "agency_mismatch", "agency_id"),
        (m.query("mvr", "1M8GDM9AXKP042789"), "invalid_vin", "payload.vin"),
        (m.query("mvr", "1M8GDM9AXKP0I2788"), "invalid_vin", "payload.vin"),
        (m.subscribe("mvr", "WP0ZZZ99ZTS3921"), "invalid_vin", "payload.vin"),
        (m.envelope("mvr", "vehicle.query", {"vin": m.VIN, "extra": 1}), "schema_invalid", "payload.extra"),
        (m.envelope("mvr", "vehicle.query", {}), "schema_invalid", "payload.vin"),
        (m.envelope("mvr", "vehicle.teleport", {}), "schema_invalid", None),
    ],
)
def test_bad_messages_are_rejected_naming_the_reason(exchange, message, code, field):
    payload = rejection(send(exchange, "mvr", message))
    assert payload["reason_code"] == code and payload["field"] == field, payload
    assert payload["reason"]


def test_invalid_vin_reason_names_the_check_digit(exchange):
    payload = rejection(send(exchange, "mvr", m.query("mvr", "1M8GDM9AXKP042789")))
    assert payload["reason"] == "check digit (position 9) is 'X', expected '1'"


def test_agency_mismatch_is_answered_to_the_queue_owner_only(exchange):
    send(exchange, "customs", m.imported())
    outcome = send(exchange, "mvr", m.query("mvr", claimed="police"))
    assert [o["to"] for o in outcome["outgoing"]] == ["mvr"]
    assert "vehicle" not in outcome["outgoing"][0]["body"]["payload"]


def test_the_same_message_twice_is_applied_once(exchange):
    send(exchange, "customs", m.imported())
    report = m.status("police", "reported_stolen", report_reference="TPD-1")
    first, second = send(exchange, "police", report, "sqs-a"), send(exchange, "police", report, "sqs-b")
    assert first["outcome"] == "applied" and second["outcome"] == "already_applied"
    assert [h["event"] for h in exchange.store.get(m.VIN).history] == ["imported", "reported_stolen"]
    assert sum(1 for e in exchange.audit.entries.values() if e["message_id"] == report["message_id"]) == 1
    # the same import declaration again changes nothing either
    assert send(exchange, "customs", m.imported())["outcome"] == "already_applied"


def test_import_of_a_registered_vehicle_conflicts_but_an_exported_one_may_return(exchange):
    send(exchange, "customs", m.imported())
    assert rejection(send(exchange, "customs", m.imported(declaration="26TW0009999")))["reason_code"] == "conflict"
    send(exchange, "mvr", m.status("mvr", "exported", destination_country="JP"))
    assert send(exchange, "customs", m.imported(declaration="27TW0000001"))["outcome"] == "applied"
    record = exchange.store.get(m.VIN)
    assert record.data["status"] == "imported" and record.data.get("export_country") is None
    assert [h["event"] for h in record.history] == ["imported", "exported", "imported"]


def test_changes_are_pushed_to_subscribers_filtered_and_only_when_visible(exchange):
    for agency in ("mvr", "epa", "police", "tax"):
        send(exchange, agency, m.subscribe(agency))
    imported = send(exchange, "customs", m.imported())
    assert sorted(o["to"] for o in imported["outgoing"]) == ["customs", "epa", "mvr", "police", "tax"]
    stolen = send(exchange, "police", m.status("police", "reported_stolen", report_reference="TPD-9"))
    # police (the sender) gets its acknowledgement; mvr sees "stolen"; epa and tax may not see it → no push
    assert sorted(o["to"] for o in stolen["outgoing"]) == ["mvr", "police"]
    push = replies(stolen, "mvr")[0]
    assert push["type"] == "vehicle.changed" and push["payload"]["change"] == "reported_stolen" and push["payload"]["vehicle"]["stolen"] is True
    assert "police_report_reference" not in push["payload"]["vehicle"]
    certified = send(exchange, "epa", m.status("epa", "emission_certified", certificate_id="C-1"))
    tax_push = [o for o in certified["outgoing"] if o["to"] == "tax"]
    assert tax_push == []  # tax may not read the emission certificate
    mvr_push = replies(certified, "mvr")[0]["payload"]
    assert mvr_push["vehicle"]["emission_certificate"] == "C-1"


def test_a_push_says_what_changed_only_to_agencies_that_may_read_the_history(exchange):
    send(exchange, "epa", m.subscribe("epa", m.VIN))
    outcome = send(exchange, "customs", m.imported())
    push = replies(outcome, "epa")[0]["payload"]
    assert push["change"] is None and "status_history" not in push["vehicle"]


def test_unsubscribe_stops_pushes(exchange):
    send(exchange, "mvr", m.subscribe("mvr", m.VIN))
    send(exchange, "mvr", m.subscribe("mvr", m.VIN, active=False))
    outcome = send(exchange, "customs", m.imported())
    assert [o["to"] for o in outcome["outgoing"]] == ["customs"]


def test_no_agency_ever_receives_a_field_it_may_not_read(exchange):
    for agency in AGENCIES:
        send(exchange, agency, m.subscribe(agency))
    outcomes = [send(exchange, "customs", m.imported())]
    for agency, event, details in [
        ("mvr", "registered", {}),
        ("mvr", "plate_issued", {"plate_number": "ABC-1"}),
        ("epa", "emission_certified", {"certificate_id": "C-1"}),
        ("police", "reported_stolen", {"report_reference": "R-1"}),
        ("mvr", "exported", {"destination_country": "JP"}),
    ]:
        outcomes.append(send(exchange, agency, m.status(agency, event, **details)))
    outcomes += [send(exchange, a, m.query(a)) for a in AGENCIES]
    delivered = 0
    for outcome in outcomes:
        for message in outcome["outgoing"]:
            OUTBOUND.validate_python(message["body"])  # every outgoing message follows the published schema
            vehicle = message["body"]["payload"].get("vehicle")
            if vehicle is not None:
                assert set(vehicle) <= AGENCIES[message["to"]].may_read, (message["to"], set(vehicle) - AGENCIES[message["to"]].may_read)
                delivered += 1
    assert delivered > 15


def test_agency_rights_name_only_known_fields():
    for agency in AGENCIES.values():
        assert agency.may_read <= set(VEHICLE_FIELDS) and "vin" in agency.may_read


def test_every_message_and_decision_is_audited(exchange):
    send(exchange, "customs", m.imported())
    send(exchange, "mvr", "garbage", "sqs-garbage")
    send(exchange, "mvr", m.query("mvr", claimed="tax"))
    entries = list(exchange.audit.entries.values())
    assert [e["decision"] for e in entries] == ["accepted", "rejected", "rejected"]
    assert entries[0]["subject"] == m.VIN and entries[1]["subject"] == "agency#mvr"
    assert entries[1]["message"] == "garbage" and entries[2]["reason_code"] == "agency_mismatch"
    assert all(e["outgoing"] for e in entries)


class RacingStore(InMemoryVehicleStore):
    """Another writer changes the vehicle between our read and our write, the first ``races`` times."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    def save(self, record):
        if self.races and record.version is not None:
            self.races -= 1
            other = self.get(record.vin)
            other.history.append({"event": "registered", "occurred_at": "x", "agency_id": "mvr", "key": f"other-{self.races}"})
            super().save(other)
        super().save(record)


def test_a_concurrent_update_is_not_lost_optimistic_locking_retries():
    store = RacingStore(races=0)
    exchange = VehicleExchange(store, InMemoryAuditLog(), InMemorySubscriptions())
    send(exchange, "customs", m.imported())
    store.races = 2
    outcome = send(exchange, "police", m.status("police", "reported_stolen"))
    assert outcome["outcome"] == "applied"
    record = store.get(m.VIN)
    assert [h["event"] for h in record.history] == ["imported", "registered", "registered", "reported_stolen"] and record.version == 4
    audit = [e for e in exchange.audit.entries.values() if e["agency_id"] == "police"]
    assert audit[0]["lock_conflicts"] == 2


def test_endless_conflicts_raise_so_the_message_is_retried():
    store = RacingStore(races=0)
    exchange = VehicleExchange(store, InMemoryAuditLog(), InMemorySubscriptions())
    send(exchange, "customs", m.imported())
    store.races = 100
    with pytest.raises(VersionConflict):
        send(exchange, "police", m.status("police", "reported_stolen"))


def test_threads_updating_one_vin_lose_nothing(exchange):
    send(exchange, "customs", m.imported())
    reports = [m.status("police", "reported_stolen", report_reference=f"R-{i}") for i in range(20)]
    threads = [threading.Thread(target=send, args=(exchange, "police", r, f"sqs-{i}")) for i, r in enumerate(reports)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    record = exchange.store.get(m.VIN)
    assert len(record.history) == 21 and record.version == 21
