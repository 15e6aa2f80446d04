"""SQS consumer of S3 notifications for new model packages (hybrid link → cloud). Thin: parse, call, map."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from customs.observability import MetricUnit, logger, metrics, tracer
from functions.platform_link.adapters import adapters
from functions.platform_link.logic import intake_package
from functions.platform_link.models import PackageLocation

processor = BatchProcessor(event_type=EventType.SQS)


def locations_in(body: str) -> list[PackageLocation]:
    """S3 event notification (possibly the s3:TestEvent S3 sends on setup) → object locations."""
    payload = json.loads(body)
    if payload.get("Event") == "s3:TestEvent":
        return []
    records = payload["Records"]
    return [
        PackageLocation(bucket=r["s3"]["bucket"]["name"], key=unquote_plus(r["s3"]["object"]["key"]), etag=r["s3"]["object"].get("eTag"))
        for r in records
        if r.get("eventSource") == "aws:s3"
    ]


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    try:
        for location in locations_in(record.body):
            result = intake_package(location, *adapters())
            logger.info("model package processed", extra={"key": location.key, "status": result.status, "reason": result.reason})
            metrics.add_metric(name=f"ModelPackage_{result.status}", unit=MetricUnit.Count, value=1)
    except Exception:
        logger.exception("record failed", extra={"message_id": record.message_id})
        raise


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
