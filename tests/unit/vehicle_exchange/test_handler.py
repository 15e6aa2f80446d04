"""The SQS handler with in-memory adapters: partial batch responses, idempotency, batched replies."""

from __future__ import annotations

import json

import pytest

from functions.vehicle_exchange import adapters, handler
from functions.vehicle_exchange.memory import in_memory_runtime
from scripts.local.lambda_runtime import LocalLambdaContext, sqs_event
from tests.unit.vehicle_exchange import messages as m


@pytest.fixture
def rt():
    runtime = in_memory_runtime()
    adapters.install(runtime)
    yield runtime
    adapters.install(None)


def event(agency: str, *bodies, ids: list[str] | None = None, queue: str | None = None) -> dict:
    queue = queue or f"customs-local-vehicles-in-{agency}"
    raw = [{"MessageId": (ids or [f"{agency}-sqs-{i}" for i in range(len(bodies))])[i], "ReceiptHandle": "rh", "Body": m.body(b)} for i, b in enumerate(bodies)]
    return sqs_event(f"arn:aws:sqs:us-east-1:123456789012:{queue}", raw)


def invoke(e: dict) -> dict:
    return handler.lambda_handler(e, LocalLambdaContext("vehicle_exchange", 30))


def test_a_batch_is_answered_with_one_batched_send(rt):
    result = invoke(event("customs", m.imported(), m.query("customs"), "not json"))
    assert result == {"batchItemFailures": []}
    assert rt.sender.calls == 1
    assert [b["type"] for b in rt.sender.to("customs")] == ["message.accepted", "vehicle.query_result", "message.rejected"]


def test_a_redelivered_message_is_applied_once_and_answered_with_the_same_ids(rt):
    invoke(event("customs", m.imported()))
    report = m.status("police", "reported_stolen", report_reference="R-1")
    invoke(event("police", report, ids=["sqs-a"]))
    invoke(event("police", report, ids=["sqs-b"]))  # SQS delivered it again
    invoke(event("police", report, report, ids=["sqs-c", "sqs-d"]))  # ... twice in one batch
    record = rt.exchange.store.get(m.VIN)
    assert [h["event"] for h in record.history] == ["imported", "reported_stolen"]
    acks = rt.sender.to("police")
    assert len(acks) == 3 and len({a["message_id"] for a in acks}) == 1
    assert sum(1 for e in rt.exchange.audit.entries.values() if e["message_id"] == report["message_id"]) == 1


def test_a_failing_record_fails_alone(rt):
    class Broken:
        def get(self, vin):
            raise RuntimeError("storage down")

    good = m.query("mvr", m.VIN_2)
    rt.exchange.store = Broken()
    result = invoke(event("mvr", "garbage", m.query("mvr"), ids=["ok", "bad"]))
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    # the failed attempt left no idempotency record behind: the retry is processed
    from functions.vehicle_exchange.memory import InMemoryVehicleStore

    rt.exchange.store = InMemoryVehicleStore()
    assert invoke(event("mvr", good, ids=["bad"])) == {"batchItemFailures": []}


def test_undelivered_replies_fail_their_records_and_the_retry_resends_them(rt):
    rt.sender.fail = True
    report = m.imported()
    result = invoke(event("customs", report, ids=["r1"]))
    assert result == {"batchItemFailures": [{"itemIdentifier": "r1"}]}
    assert rt.exchange.store.get(m.VIN).version == 1
    rt.sender.fail = False
    assert invoke(event("customs", report, ids=["r1"])) == {"batchItemFailures": []}
    assert rt.exchange.store.get(m.VIN).version == 1  # not applied twice
    assert [b["payload"]["outcome"] for b in rt.sender.to("customs")] == ["applied"]


def test_a_message_on_an_unknown_queue_fails_and_goes_to_the_dlq_eventually(rt):
    with pytest.raises(Exception):  # every record failed: Powertools fails the whole batch
        invoke(event("mvr", m.query("mvr"), queue="someone-elses-queue"))


def test_sample_events_run(rt):
    from pathlib import Path

    for path in sorted(Path("events/vehicle_exchange").glob("*.json")):
        result = invoke(json.loads(path.read_text()))
        assert result == {"batchItemFailures": []}, path
    types = {b["type"] for _, b in rt.sender.sent}
    assert {"message.accepted", "message.rejected", "vehicle.query_result"} <= types
