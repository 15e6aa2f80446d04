"""Replies and pushes go out with SendMessageBatch: at most 10 entries and 256 KiB per call, per reply queue."""

from __future__ import annotations

from functions.vehicle_exchange import adapters


class StubSqs:
    def __init__(self, fail_ids: set[str] = frozenset(), raise_for: str | None = None) -> None:
        self.calls: list[tuple[str, list[dict]]] = []
        self.fail_ids, self.raise_for = fail_ids, raise_for

    def send_message_batch(self, QueueUrl: str, Entries: list[dict]) -> dict:
        self.calls.append((QueueUrl, Entries))
        if QueueUrl == self.raise_for:
            raise ConnectionError("endpoint unreachable")
        return {"Failed": [{"Id": e["Id"], "Code": "X", "SenderFault": False} for e in Entries if e["Id"] in self.fail_ids]}


def sender(stub: StubSqs) -> adapters.SqsReplySender:
    s = adapters.SqsReplySender.__new__(adapters.SqsReplySender)
    s._sqs, s._urls = stub, {"mvr": "q/mvr", "police": "q/police"}
    return s


def body(n: int, size: int = 10) -> dict:
    return {"type": "vehicle.changed", "message_id": str(n), "payload": "x" * size}


def test_batches_of_ten_per_reply_queue():
    stub = StubSqs()
    messages = [("mvr", body(i)) for i in range(25)] + [("police", body(100 + i)) for i in range(3)]
    assert sender(stub).send(messages) == set()
    assert [(url, len(entries)) for url, entries in stub.calls] == [("q/mvr", 10), ("q/mvr", 10), ("q/mvr", 5), ("q/police", 3)]
    assert stub.calls[0][1][0]["MessageAttributes"]["type"]["StringValue"] == "vehicle.changed"


def test_a_batch_never_exceeds_256_kib():
    stub = StubSqs()
    sender(stub).send([("mvr", body(i, 60_000)) for i in range(10)])
    assert [len(entries) for _, entries in stub.calls] == [4, 4, 2]
    assert all(sum(len(e["MessageBody"]) for e in entries) <= 256 * 1024 for _, entries in stub.calls)


def test_failed_entries_and_failed_calls_are_reported_by_index():
    stub = StubSqs(fail_ids={"3"}, raise_for="q/police")
    failed = sender(stub).send([("mvr", body(i)) for i in range(5)] + [("police", body(9)), ("police", body(10))])
    assert failed == {3, 5, 6}
