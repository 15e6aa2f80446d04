"""Runs the platform's handlers in-process the way Lambda would: a context object, the real event shapes."""

from __future__ import annotations

import importlib
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from infra_cdk import resources as res

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class LocalLambdaContext:
    """The attributes of the Lambda context object that Powertools and handlers read."""

    function_name: str
    timeout_s: int
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self._started)) * 1000))


def load_handler(spec: res.FunctionSpec) -> Callable[[dict, Any], Any]:
    module_name, _, attribute = spec.handler.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def invoke(spec: res.FunctionSpec, event: dict) -> tuple[Any, dict | None]:
    """Call the handler; returns (result, None) or (None, Lambda-style error payload) — never raises."""
    context = LocalLambdaContext(function_name=spec.logical_id, timeout_s=spec.timeout_s, memory_limit_in_mb=spec.memory_mb)
    try:
        return load_handler(spec)(event, context), None
    except Exception as exc:  # the Lambda runtime turns any exception into an error payload
        return None, {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "requestId": context.aws_request_id,
            "stackTrace": traceback.format_exception(exc)[-5:],
        }


def sqs_event(queue_arn: str, messages: list[dict]) -> dict:
    """The Lambda SQS event for a batch of ``sqs.receive_message`` messages."""
    records = []
    for m in messages:
        attributes = m.get("Attributes", {})
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
                    "SenderId": attributes.get("SenderId", ACCOUNT),
                    "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))),
                },
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}
