"""Polls each queue that has a consumer and invokes the mapped handler with the real Lambda SQS event shape.

Like Lambda's event source mapping: batches of up to ``batch_size``; records not named in the response's
``batchItemFailures`` are deleted; failed records (or the whole batch, if the handler raised) stay on the queue,
become visible again and, after ``maxReceiveCount`` receives, SQS moves them to the DLQ.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3

from infra_cdk import resources as res
from scripts.local.lambda_runtime import invoke, sqs_event

log = logging.getLogger("event-router")


@dataclass
class QueueBinding:
    queue: res.QueueSpec
    function: res.FunctionSpec
    queue_url: str
    queue_arn: str


@dataclass
class EventRouter:
    endpoint_url: str
    queue_urls: dict[str, str]  # QueueSpec.logical_id -> URL
    region: str = "us-east-1"
    # Lambda leaves a failed record invisible for the queue's whole visibility timeout; locally that can be
    # shortened so a retry (and the DLQ move) happens in seconds. None keeps the queue's own timeout.
    retry_visibility_s: int | None = None
    wait_time_s: int = 1
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sqs = boto3.client("sqs", endpoint_url=self.endpoint_url, region_name=self.region)

    def bindings(self) -> list[QueueBinding]:
        result = []
        for spec in res.QUEUES:
            if spec.consumer is None:
                continue
            url = self.queue_urls[spec.logical_id]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            result.append(QueueBinding(spec, res.function(spec.consumer), url, arn))
        return result

    def poll_once(self, binding: QueueBinding, wait_time_s: int | None = None) -> dict[str, int]:
        """Receive one batch and deliver it; returns counts of delivered, failed and deleted records."""
        response = self.sqs.receive_message(
            QueueUrl=binding.queue_url,
            MaxNumberOfMessages=min(binding.queue.batch_size, 10),
            WaitTimeSeconds=self.wait_time_s if wait_time_s is None else wait_time_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return {"delivered": 0, "failed": 0, "deleted": 0}
        result, error = invoke(binding.function, sqs_event(binding.queue_arn, messages))
        if error is not None:
            log.error("%s raised on a batch of %d: %s", binding.function.logical_id, len(messages), error["errorMessage"])
            failed_ids = {m["MessageId"] for m in messages}
        else:
            failures = (result or {}).get("batchItemFailures", []) if isinstance(result, dict) else []
            failed_ids = {f["itemIdentifier"] for f in failures}
        to_delete = [m for m in messages if m["MessageId"] not in failed_ids]
        if to_delete:
            self.sqs.delete_message_batch(
                QueueUrl=binding.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(to_delete)],
            )
        for m in messages:
            if m["MessageId"] in failed_ids:
                log.warning(
                    "record failed: function=%s message_id=%s receive_count=%s",
                    binding.function.logical_id,
                    m["MessageId"],
                    m.get("Attributes", {}).get("ApproximateReceiveCount"),
                )
                if self.retry_visibility_s is not None:
                    self.sqs.change_message_visibility(
                        QueueUrl=binding.queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=self.retry_visibility_s
                    )
        return {"delivered": len(messages), "failed": len(failed_ids), "deleted": len(to_delete)}

    def drain(self, max_rounds: int = 20) -> dict[str, int]:
        """Deliver until every bound queue is empty (tests and `scripts/invoke` use this, not threads)."""
        totals = {"delivered": 0, "failed": 0, "deleted": 0}
        bindings = self.bindings()
        for _ in range(max_rounds):
            round_total = 0
            for binding in bindings:
                counts = self.poll_once(binding, wait_time_s=0)
                round_total += counts["delivered"]
                for key, value in counts.items():
                    totals[key] += value
            if round_total == 0:
                break
        return totals

    def _loop(self, binding: QueueBinding) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(binding)
            except Exception:  # keep routing; an emulator hiccup must not kill the loop
                if not self._stop.is_set():
                    log.exception("polling %s failed", binding.queue.logical_id)
                    self._stop.wait(1)

    def start(self) -> list[QueueBinding]:
        bindings = self.bindings()
        for binding in bindings:
            thread = threading.Thread(target=self._loop, args=(binding,), name=f"router-{binding.queue.logical_id}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return bindings

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.wait_time_s + 5)
        self._threads.clear()
