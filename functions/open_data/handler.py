"""Open-data builder. Thin: triggers → dataset ids → one rebuild → map.

Invoked by the ``open_data_events`` queue (S3 notifications of source drops, other services' events, rebuild
requests; a batch coalesces into one rebuild), and directly by the EventBridge schedule (every dataset).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from customs.observability import MetricUnit, logger, metrics, tracer
from functions.open_data import adapters
from functions.open_data.builders import default_builders
from functions.open_data.logic import datasets_for, datasets_in_body, rebuild
from functions.open_data.models import BuildResult

BUILDERS = default_builders()
processor = BatchProcessor(event_type=EventType.SQS)


def _is_sqs_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return isinstance(records, list) and bool(records) and records[0].get("eventSource") == "aws:sqs"


@tracer.capture_method
def run(dataset_ids: set[str]) -> list[BuildResult]:
    results = rebuild(dataset_ids, BUILDERS, adapters.inputs(), adapters.publisher())
    for result in results:
        log = logger.warning if result.status == "failed" else logger.info
        log("dataset build", extra=asdict(result))
        metrics.add_metric(name=f"OpenData_{result.status}", unit=MetricUnit.Count, value=1)
    return results


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not _is_sqs_batch(event):  # the schedule, or a direct rebuild request
        return {"results": [asdict(r) for r in run(datasets_for(event, BUILDERS))]}

    requested: set[str] = set()

    def record_handler(record: SQSRecord) -> None:
        try:
            requested.update(datasets_in_body(record.body, BUILDERS))
        except Exception:
            logger.exception("record failed", extra={"message_id": record.message_id})
            raise

    response = process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    # One rebuild for the whole batch; a storage failure raises, so the batch is retried (builds are idempotent).
    run(requested)
    return response
