"""Re-drive a queue's dead-letter queue into the queue, after the cause of the failures has been fixed.

    python -m scripts.replay_dlq vehicles_in_mvr [vehicles_in_police ...]
    python -m scripts.replay_dlq --consumer vehicle_exchange          # every queue that function consumes
    python -m scripts.replay_dlq vehicles_in_mvr --dry-run            # count only

Each dead letter is sent back to its source queue with its body and attributes unchanged (plus a
``replayed_from_dlq`` attribute), in batches of ten, and deleted from the DLQ only once the send succeeded. Replaying
is idempotent: the consumers apply a message at most once (idempotency on its ``message_id``), so a letter sent
twice — because a previous run stopped between send and delete, or a duplicate sat in the DLQ — is applied once.

Queue URLs come from the environment (``CUSTOMS_QUEUE_<ID>_URL``), from the running ``make run`` platform, or from
``--queue-url``; the DLQ is found through the queue's redrive policy. Prints one JSON summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from infra_cdk import resources as res

MESSAGE_ATTRIBUTE_LIMIT = 10


def dead_letter_queue_url(sqs: Any, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    if "RedrivePolicy" not in attributes:
        raise SystemExit(f"{queue_url} has no dead-letter queue")
    arn = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
    _, _, _, _, account, name = arn.split(":", 5)
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def _attributes(message: dict) -> dict:
    attributes = {
        name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    if len(attributes) < MESSAGE_ATTRIBUTE_LIMIT:
        attributes["replayed_from_dlq"] = {"DataType": "String", "StringValue": message["MessageId"]}
    return attributes


def replay(sqs: Any, queue_url: str, *, max_messages: int | None = None, dry_run: bool = False, visibility_s: int = 120) -> dict[str, int]:
    """Move the dead letters of ``queue_url`` back into it; returns counts (replayed, failed, remaining)."""
    dlq_url = dead_letter_queue_url(sqs, queue_url)
    if dry_run:
        attributes = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return {"replayed": 0, "failed": 0, "waiting": int(attributes["ApproximateNumberOfMessages"])}
    replayed = failed = 0
    while max_messages is None or replayed + failed < max_messages:
        wanted = 10 if max_messages is None else min(10, max_messages - replayed - failed)
        messages = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=wanted, VisibilityTimeout=visibility_s, MessageAttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            break
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": m["Body"], "MessageAttributes": _attributes(m)} for i, m in enumerate(messages)
            ],
        )
        sent = {int(entry["Id"]) for entry in response.get("Successful", [])}
        failed += len(messages) - len(sent)
        if sent:
            # Only what was re-sent leaves the DLQ; the rest becomes visible there again after the timeout.
            sqs.delete_message_batch(
                QueueUrl=dlq_url, Entries=[{"Id": str(i), "ReceiptHandle": messages[i]["ReceiptHandle"]} for i in sorted(sent)]
            )
        replayed += len(sent)
    return {"replayed": replayed, "failed": failed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("queues", nargs="*", help="queue logical ids from infra_cdk/resources.py, e.g. vehicles_in_mvr")
    parser.add_argument("--consumer", help="every queue consumed by this function, e.g. vehicle_exchange")
    parser.add_argument("--queue-url", action="append", default=[], help="a queue URL (instead of a logical id)")
    parser.add_argument("--max", type=int, default=None, help="replay at most this many messages per queue")
    parser.add_argument("--dry-run", action="store_true", help="only count the dead letters")
    args = parser.parse_args(argv)

    ids = list(args.queues) + [q.logical_id for q in res.QUEUES if args.consumer and q.consumer == args.consumer]
    known = {q.logical_id for q in res.QUEUES}
    unknown = [q for q in ids if q not in known]
    if unknown:
        parser.error(f"unknown queues: {', '.join(unknown)}")
    if not ids and not args.queue_url:
        parser.error("name at least one queue (or --consumer, or --queue-url)")

    from scripts.invoke import _use_running_platform

    if ids and not all(os.environ.get(res.env_var("QUEUE", q)) for q in ids):
        _use_running_platform()  # `make run`'s emulator and queue URLs, when it runs
    from customs import aws
    from customs.config import get_settings

    sqs = aws.client("sqs")
    urls = {q: get_settings().queue_url(q) for q in ids} | {url: url for url in args.queue_url}
    summary = {name: replay(sqs, url, max_messages=args.max, dry_run=args.dry_run) for name, url in urls.items()}
    totals = {"replayed": sum(s["replayed"] for s in summary.values()), "failed": sum(s["failed"] for s in summary.values())}
    print(json.dumps({**totals, "queues": summary}))
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
