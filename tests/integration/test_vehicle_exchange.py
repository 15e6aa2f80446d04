"""The vehicle exchange on the emulator: agencies' queues → handler (via the event router) → DynamoDB and the
agencies' reply queues. Every message type, duplicates, poison messages and the DLQ re-drive, agency mismatch,
field-level filtering and concurrent updates of one VIN."""

from __future__ import annotations

import itertools
import json
import threading

import boto3
import pytest

from functions.vehicle_exchange import vin as vins
from functions.vehicle_exchange.agencies import AGENCIES
from infra_cdk import resources as res
from scripts.local.lambda_runtime import invoke, sqs_event
from tests.unit.vehicle_exchange import messages as m

_serials = itertools.count(42_000)


def fresh_vin() -> str:
    """A valid North-American VIN not used by any other test of this session (check digit computed)."""
    draft = f"1M8GDM9A0KP{next(_serials):06d}"
    return draft[:8] + vins.check_digit(draft) + draft[9:]


@pytest.fixture
def sqs(platform):
    return boto3.client("sqs", endpoint_url=platform.emulator.endpoint_url, region_name="us-east-1")


@pytest.fixture
def ddb(platform):
    return boto3.client("dynamodb", endpoint_url=platform.emulator.endpoint_url, region_name="us-east-1")


@pytest.fixture
def agencies(platform, sqs, router, purge_queues):
    return Agencies(platform, sqs, router)


class Agencies:
    """Each agency's side of the exchange: send to its inbound queue, read its reply queue."""

    def __init__(self, platform, sqs, router) -> None:
        self.env, self.sqs, self.router = platform.env, sqs, router

    def url(self, logical_id: str) -> str:
        return self.env[res.env_var("QUEUE", logical_id)]

    def send(self, agency: str, *messages) -> list[str]:
        return [self.sqs.send_message(QueueUrl=self.url(f"vehicles_in_{agency}"), MessageBody=m.body(x))["MessageId"] for x in messages]

    def exchange(self, agency: str, *messages) -> dict:
        self.send(agency, *messages)
        return self.router.drain()

    def replies(self, agency: str) -> list[dict]:
        received = []
        while batch := self.sqs.receive_message(QueueUrl=self.url(f"vehicles_out_{agency}"), MaxNumberOfMessages=10).get("Messages", []):
            received += batch
            self.sqs.delete_message_batch(
                QueueUrl=self.url(f"vehicles_out_{agency}"), Entries=[{"Id": str(i), "ReceiptHandle": x["ReceiptHandle"]} for i, x in enumerate(batch)]
            )
        return [json.loads(x["Body"]) for x in received]

    def only_reply(self, agency: str) -> dict:
        (reply,) = self.replies(agency)
        return reply


def vehicle_item(ddb, platform, vin: str) -> dict | None:
    return ddb.get_item(TableName=platform.env["CUSTOMS_TABLE_VEHICLES"], Key={"vin": {"S": vin}}, ConsistentRead=True).get("Item")


def history(ddb, platform, vin: str) -> list[dict]:
    return json.loads(vehicle_item(ddb, platform, vin)["history"]["S"])


def audit(ddb, platform, subject: str) -> list[dict]:
    return ddb.query(
        TableName=platform.env["CUSTOMS_TABLE_VEHICLE_AUDIT"],
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": subject}},
    )["Items"]


def test_every_message_type_end_to_end(platform, agencies, ddb):
    vin = fresh_vin()
    # an agency subscribes to changes of a vehicle
    agencies.exchange("police", m.subscribe("police", vin))
    assert agencies.only_reply("police")["payload"]["outcome"] == "subscribed"
    # customs registers the imported vehicle → acknowledged; the subscriber gets a push
    imported = m.imported(vin)
    totals = agencies.exchange("customs", imported)
    assert totals["failed"] == 0
    ack = agencies.only_reply("customs")
    assert ack["type"] == "message.accepted" and ack["correlation_id"] == imported["message_id"] and ack["agency_id"] == "customs"
    push = agencies.only_reply("police")
    assert push["type"] == "vehicle.changed" and push["payload"]["change"] == "imported" and push["payload"]["vin"] == vin
    # an agency reports a status event → applied, acknowledged, pushed
    agencies.exchange("mvr", m.status("mvr", "plate_issued", vin, plate_number="ABC-1234"))
    assert agencies.only_reply("mvr")["payload"]["outcome"] == "applied"
    assert agencies.only_reply("police")["payload"]["vehicle"]["plate_number"] == "ABC-1234"
    # an agency queries by VIN → answered
    query = m.query("epa", vin)
    agencies.exchange("epa", query)
    answer = agencies.only_reply("epa")
    assert answer["type"] == "vehicle.query_result" and answer["correlation_id"] == query["message_id"]
    assert answer["payload"]["found"] is True and answer["payload"]["vehicle"]["fuel_type"] == "diesel"
    # stored with its version, and every message and decision audited
    item = vehicle_item(ddb, platform, vin)
    assert item["status"]["S"] == "registered" and item["version"]["N"] == "2"
    entries = audit(ddb, platform, vin)
    assert sorted(e["message_type"]["S"] for e in entries) == ["vehicle.imported", "vehicle.query", "vehicle.status", "vehicle.subscribe"]
    assert all(e["decision"]["S"] == "accepted" for e in entries)


@pytest.mark.parametrize(
    "event, agency, details",
    [
        ("registered", "mvr", {}),
        ("emission_certified", "epa", {"certificate_id": "EPA-77"}),
        ("reported_stolen", "police", {"report_reference": "TPD-1"}),
        ("exported", "mvr", {"destination_country": "JP"}),
        ("scrapped", "mvr", {}),
    ],
)
def test_every_status_event_through_the_queues(platform, agencies, ddb, event, agency, details):
    vin = fresh_vin()
    agencies.exchange("customs", m.imported(vin))
    agencies.replies("customs")
    agencies.exchange(agency, m.status(agency, event, vin, **details))
    assert agencies.only_reply(agency)["payload"]["outcome"] == "applied"
    assert [h["event"] for h in history(ddb, platform, vin)] == ["imported", event]


def test_duplicate_delivery_is_applied_once(platform, agencies, ddb):
    vin = fresh_vin()
    agencies.exchange("customs", m.imported(vin))
    report = m.status("police", "reported_stolen", vin, report_reference="TPD-2")
    agencies.exchange("police", report)
    agencies.exchange("police", report)  # SQS delivered it again (or the agency re-sent it)
    agencies.exchange("police", report, report)
    assert [h["event"] for h in history(ddb, platform, vin)] == ["imported", "reported_stolen"]
    assert vehicle_item(ddb, platform, vin)["version"]["N"] == "2"
    acks = agencies.replies("police")
    assert {a["message_id"] for a in acks} == {acks[0]["message_id"]} and acks[0]["payload"]["outcome"] == "applied"
    assert sum(1 for e in audit(ddb, platform, vin) if e["message_id"]["S"] == report["message_id"]) == 1


def test_agency_mismatch_is_rejected_to_the_queue_owner(platform, agencies, ddb):
    vin = fresh_vin()
    agencies.exchange("customs", m.imported(vin))
    agencies.replies("customs")
    totals = agencies.exchange("mvr", m.status("mvr", "reported_stolen", vin, claimed="police"))
    assert totals["failed"] == 0  # answered, not retried
    rejection = agencies.only_reply("mvr")
    assert rejection["type"] == "message.rejected" and rejection["payload"]["reason_code"] == "agency_mismatch"
    assert agencies.replies("police") == []
    assert [h["event"] for h in history(ddb, platform, vin)] == ["imported"]
    assert any(e["reason_code"].get("S") == "agency_mismatch" for e in audit(ddb, platform, "agency#mvr"))


def test_invalid_and_malformed_messages_are_rejected_not_retried(platform, agencies):
    totals = agencies.exchange("tax", m.query("tax", "1M8GDM9AXKP042789"), "{not json")
    assert totals == {"delivered": 2, "failed": 0, "deleted": 2}
    reasons = {r["payload"]["reason_code"]: r["payload"]["reason"] for r in agencies.replies("tax")}
    assert reasons == {"invalid_vin": "check digit (position 9) is 'X', expected '1'", "malformed": "the message body is not a JSON object"}


def test_field_level_filtering(platform, agencies):
    vin = fresh_vin()
    agencies.exchange("customs", m.imported(vin))
    agencies.exchange("mvr", m.status("mvr", "plate_issued", vin, plate_number="XYZ-9"))
    agencies.exchange("police", m.status("police", "reported_stolen", vin, report_reference="TPD-3"))
    for agency in AGENCIES:
        agencies.replies(agency)
        agencies.exchange(agency, m.query(agency, vin))
        vehicle = agencies.only_reply(agency)["payload"]["vehicle"]
        assert vehicle["vin"] == vin and set(vehicle) <= AGENCIES[agency].may_read, agency
    # e.g. the importer (personal data) only reaches customs and tax; the police case only police
    seen = {}
    for agency in AGENCIES:
        agencies.exchange(agency, m.query(agency, vin))
        seen[agency] = set(agencies.only_reply(agency)["payload"]["vehicle"])
    assert {a for a, fields in seen.items() if "importer_id" in fields} == {"customs", "tax"}
    assert {a for a, fields in seen.items() if "police_report_reference" in fields} == {"customs", "police"}
    assert {a for a, fields in seen.items() if "stolen" in fields} == {"customs", "mvr", "police"}


def test_a_poison_message_ends_in_the_dlq_and_is_replayed_after_the_fix(platform, agencies, sqs, ddb, router):
    from scripts import replay_dlq

    vin = fresh_vin()
    table = platform.env["CUSTOMS_TABLE_VEHICLES"]
    # A corrupt vehicle record (a data bug): every attempt to read it fails
    ddb.put_item(TableName=table, Item={"vin": {"S": vin}, "data": {"S": "{broken"}, "updated_at": {"S": "x"}, "version": {"N": "1"}})
    good_vin = fresh_vin()
    poison_id, _ = agencies.send("mvr", m.query("mvr", vin), m.query("mvr", good_vin))
    binding = next(b for b in router.bindings() if b.queue.logical_id == "vehicles_in_mvr")
    # In one batch with a good message (read ahead together with BatchGetItem), the poison fails alone
    assert router.poll_once(binding, wait_time_s=0) == {"delivered": 2, "failed": 1, "deleted": 1}
    assert [r["payload"]["vin"] for r in agencies.replies("mvr")] == [good_vin]
    for _ in range(res.queue("vehicles_in_mvr").max_receive_count):
        router.poll_once(binding, wait_time_s=0)
    assert agencies.replies("mvr") == []
    dlq = agencies.url("vehicles_in_mvr_dlq")
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
    # After the fix, the DLQ is re-driven; replaying again finds nothing and changes nothing
    ddb.delete_item(TableName=table, Key={"vin": {"S": vin}})
    assert replay_dlq.main(["vehicles_in_mvr"]) == 0
    assert replay_dlq.main(["vehicles_in_mvr"]) == 0
    router.drain()
    answer = agencies.only_reply("mvr")
    assert answer["type"] == "vehicle.query_result" and answer["payload"] == {"vin": vin, "found": False, "vehicle": None}
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "0"
    dead_letters = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert dead_letters == [] and poison_id


def test_replaying_the_same_dead_letter_twice_applies_it_once(platform, agencies, sqs, ddb, router):
    from scripts import replay_dlq

    vin = fresh_vin()
    agencies.exchange("customs", m.imported(vin))
    report = m.status("police", "reported_stolen", vin, report_reference="TPD-4")
    # the same letter twice in the DLQ (e.g. a replay that stopped between send and delete)
    dlq = agencies.url("vehicles_in_police_dlq")
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(report))
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(report))
    assert replay_dlq.replay(sqs, agencies.url("vehicles_in_police"), dry_run=True)["waiting"] == 2
    assert replay_dlq.main(["--consumer", "vehicle_exchange"]) == 0
    assert replay_dlq.replay(sqs, agencies.url("vehicles_in_police"), dry_run=True)["waiting"] == 0
    router.drain()
    assert [h["event"] for h in history(ddb, platform, vin)] == ["imported", "reported_stolen"]


def test_concurrent_updates_of_one_vin_lose_nothing(platform, agencies, ddb, sqs):
    vin = fresh_vin()
    agencies.exchange("customs", m.imported(vin))
    reports = [("police", m.status("police", "reported_stolen", vin, report_reference=f"R-{i}")) for i in range(4)]
    reports += [("epa", m.status("epa", "emission_certified", vin, certificate_id=f"C-{i}")) for i in range(4)]
    reports += [("mvr", m.status("mvr", "registered", vin)) for _ in range(4)]
    arn = {a: sqs.get_queue_attributes(QueueUrl=agencies.url(f"vehicles_in_{a}"), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] for a in AGENCIES}
    results: list = []
    start = threading.Barrier(len(reports))

    def deliver(i: int, agency: str, message: dict) -> None:
        event = sqs_event(arn[agency], [{"MessageId": f"concurrent-{vin}-{i}", "ReceiptHandle": f"rh-{i}", "Body": json.dumps(message)}])
        start.wait()
        results.append(invoke(res.VEHICLE_EXCHANGE, event))

    # Concurrent Lambda invocations (one per record), all changing the same vehicle at once
    threads = [threading.Thread(target=deliver, args=(i, a, x)) for i, (a, x) in enumerate(reports)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(error is None and result == {"batchItemFailures": []} for result, error in results), results
    events = [h["event"] for h in history(ddb, platform, vin)]
    assert len(events) == 1 + len(reports) and events.count("emission_certified") == 4
    assert vehicle_item(ddb, platform, vin)["version"]["N"] == str(1 + len(reports))
    conflicts = sum(int(e["lock_conflicts"]["N"]) for e in audit(ddb, platform, vin))
    assert conflicts > 0  # the writers did race (each lost race was re-read and re-applied), and none was lost


def test_optimistic_locking_refuses_a_stale_write(platform):
    from functions.vehicle_exchange.adapters import DynamoVehicleStore
    from functions.vehicle_exchange.logic import VehicleRecord, VersionConflict

    store = DynamoVehicleStore()
    vin = fresh_vin()
    store.save(VehicleRecord(vin, {"status": "imported"}))
    first, second = store.get(vin), store.get(vin)
    first.data["status"] = "registered"
    store.save(first)
    second.data["status"] = "scrapped"
    with pytest.raises(VersionConflict):
        store.save(second)
    assert store.get(vin).data["status"] == "registered" and store.get(vin).version == 2
    with pytest.raises(VersionConflict):
        store.save(VehicleRecord(vin, {"status": "imported"}))  # a "new" record where one exists
