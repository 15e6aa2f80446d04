"""SQS consumer of the agencies' inbound queues. Thin: the agency from the queue, one service call per record,
replies and pushes sent together after the batch, partial batch response."""

from __future__ import annotations

from datetime import datetime, timezone

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from customs.identity import agency_for_queue
from customs.observability import MetricUnit, logger, metrics, tracer
from functions.vehicle_exchange.adapters import Runtime, runtime
from functions.vehicle_exchange.logic import Inbound, Outbox, Prepared


class _Batch:
    """One invocation: each record through the idempotent service; their outgoing messages into one outbox."""

    def __init__(self, rt: Runtime, records: list[dict]) -> None:
        self.rt = rt
        self.outbox = Outbox()
        self.prepared: dict[str, Prepared] = {}
        for raw in records:
            record = SQSRecord(raw)
            # Who sent it is who owns the queue (only that agency's principal may send to it).
            agency = rt.agency_by_queue.get(record.event_source_arn.rsplit(":", 1)[-1])
            if agency is not None:  # (an unknown queue fails its records below)
                sent_ms = int(record.attributes.sent_timestamp or 0)
                inbound = Inbound(agency, record.body, record.message_id, datetime.fromtimestamp(sent_ms / 1000, timezone.utc))
                self.prepared[record.message_id] = rt.exchange.prepare(inbound)
        rt.exchange.begin_batch(list(self.prepared.values()))

    def record_handler(self, record: SQSRecord) -> None:
        try:
            prepared = self.prepared.get(record.message_id)
            if prepared is None:
                agency_for_queue(record.event_source_arn, self.rt.agency_by_queue)  # raises: no known agency
            outcome = self.rt.process(prepared)
        except Exception:
            logger.exception("record failed", extra={"message_id": record.message_id})
            raise
        self.outbox.add(record.message_id, outcome)
        if outcome["decision"] == "rejected":
            logger.info("message rejected", extra={"message_id": record.message_id, "key": outcome["key"], "reason_code": outcome["reason_code"]})
        metrics.add_metric(name=f"VehicleMessage_{outcome['decision']}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    rt = runtime()
    rt.config.register_lambda_context(context)
    batch = _Batch(rt, event.get("Records", []))
    response = process_partial_response(
        event=event, record_handler=batch.record_handler, processor=BatchProcessor(event_type=EventType.SQS), context=context
    )
    # Records whose replies could not be sent fail too: redelivered, they re-send the same (idempotent) outcome.
    undelivered = batch.outbox.flush(rt.sender)
    if undelivered:
        logger.warning("replies not delivered; records will be retried", extra={"message_ids": sorted(undelivered)})
    failed = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
    failed += sorted(undelivered - set(failed))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
