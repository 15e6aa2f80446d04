"""Triggers → datasets, and the handler: one rebuild per batch, poison records reported alone."""

from __future__ import annotations

import json

import pytest

from functions.open_data import handler as handler_module
from functions.open_data.builders import default_builders
from functions.open_data.logic import UnknownTrigger, datasets_for, datasets_in_body
from functions.open_data.publisher import Publisher
from tests.unit.open_data.fakes import MemoryFeed, MemoryStore, StaticInputs

BUILDERS = default_builders()
STATISTICS = {"classification_requests_monthly"}


def s3_event(key: str) -> dict:
    return {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}, "object": {"key": key}}}]}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (s3_event("incoming/vehicle_exchange/2026-11-26.jsonl"), {"vehicle_imports_monthly"}),
        (s3_event("incoming/hs/update.json"), {"hs2022_nomenclature", "national_tariff_schedule"}),
        (s3_event("elsewhere/vehicle_exchange/x.jsonl"), set()),
        ({"Event": "s3:TestEvent"}, set()),
        ({"source": "tariff_api", "type": "classification.completed", "detail": {}}, STATISTICS),
        ({"source": "vehicle_exchange", "type": "vehicle.imported", "detail": {}}, {"vehicle_imports_monthly"}),
        ({"source": "platform_link", "type": "model.promoted", "detail": {}}, set()),
        ({"type": "open_data.rebuild", "detail": {"datasets": ["hs2022_nomenclature"]}}, {"hs2022_nomenclature"}),
        ({"type": "open_data.rebuild"}, set(BUILDERS)),
        ({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, set(BUILDERS)),
        ({"Type": "Notification", "Message": json.dumps({"source": "tariff_api", "type": "x"})}, STATISTICS),
    ],
)
def test_triggers_name_the_datasets_to_rebuild(payload, expected):
    assert datasets_for(payload, BUILDERS) == expected


@pytest.mark.parametrize("body", ["not json", "[1]", json.dumps({"hello": 1}), json.dumps({"type": "open_data.rebuild", "detail": {"datasets": ["nope"]}})])
def test_unknown_triggers_fail(body):
    with pytest.raises(UnknownTrigger):
        datasets_in_body(body, BUILDERS)


class Context:
    function_name = "open_data"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:open_data"
    aws_request_id = "req-1"


def sqs_record(message_id: str, body: str) -> dict:
    return {"messageId": message_id, "receiptHandle": "r", "body": body, "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1", "md5OfBody": ""}


@pytest.fixture
def publisher(monkeypatch) -> Publisher:
    publisher = Publisher(MemoryStore(), MemoryFeed())
    monkeypatch.setattr(handler_module.adapters, "publisher", lambda: publisher)
    monkeypatch.setattr(handler_module.adapters, "inputs", lambda: StaticInputs())
    return publisher


def test_a_batch_is_one_rebuild_and_a_poison_record_fails_alone(publisher, monkeypatch):
    calls = []
    real = handler_module.rebuild
    monkeypatch.setattr(handler_module, "rebuild", lambda ids, *rest: calls.append(set(ids)) or real(ids, *rest))
    event = {
        "Records": [
            sqs_record("1", json.dumps({"source": "tariff_api", "type": "classification.completed"})),
            sqs_record("2", "not json"),
            sqs_record("3", json.dumps(s3_event("incoming/vehicle_exchange/a.jsonl"))),
            sqs_record("4", json.dumps({"source": "tariff_api", "type": "classification.completed"})),
        ]
    }
    response = handler_module.lambda_handler(event, Context())
    assert response == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert calls == [{"classification_requests_monthly", "vehicle_imports_monthly"}]
    assert {m["dataset"] for m in publisher.feed.messages} == {"classification_requests_monthly", "vehicle_imports_monthly"}


def test_the_schedule_rebuilds_everything_directly(publisher):
    result = handler_module.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, Context())
    assert sorted(r["dataset"] for r in result["results"]) == sorted(BUILDERS)
    assert {r["status"] for r in result["results"]} == {"published"}
    again = handler_module.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, Context())
    assert {r["status"] for r in again["results"]} == {"unchanged"}


def test_the_sample_events_are_triggers_and_the_poison_message_is_not():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[3] / "events" / "open_data"
    for path in sorted(folder.glob("*.json")):
        event = json.loads(path.read_text())
        if "Records" not in event:
            assert datasets_for(event, BUILDERS) == set(BUILDERS), path.name
            continue
        for record in event["Records"]:
            if "poison" in path.name:
                with pytest.raises(UnknownTrigger):
                    datasets_in_body(record["body"], BUILDERS)
            else:
                assert datasets_in_body(record["body"], BUILDERS), path.name
