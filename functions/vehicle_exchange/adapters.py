"""AWS adapters of the vehicle exchange (DynamoDB via pynamodb, SQS, Powertools idempotency), built lazily.

``runtime()`` wires the service to AWS once per process; ``install(runtime)`` replaces it (in-memory adapters
for unit tests and the benchmark: ``functions.vehicle_exchange.memory``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from customs import aws
from customs.config import get_settings
from functions.vehicle_exchange.agencies import AGENCIES
from functions.vehicle_exchange.logic import Inbound, Prepared, VehicleExchange, VehicleRecord, VersionConflict

# Idempotency records outlive the DLQ's retention (14 days), so a replayed message is still recognised.
IDEMPOTENCY_EXPIRY_S = 15 * 86400
SQS_BATCH_ENTRIES = 10
SQS_BATCH_BYTES = 250 * 1024  # SendMessageBatch allows 256 KiB in all


def _conditional_failed(exc: PutError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


# --- vehicles ----------------------------------------------------------------------------------------------


class VehicleItem(Model):
    class Meta:
        table_name = "unbound"

    vin = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(null=True)
    data = JSONAttribute()
    history = JSONAttribute(default=list)
    updated_at = UnicodeAttribute()
    version = VersionAttribute()  # optimistic locking: save() is conditional on the version read


class DynamoVehicleStore:
    """Vehicles by VIN. ``begin_batch`` reads a batch's vehicles ahead with one BatchGetItem; each read-ahead
    record serves one ``get`` (a re-read after a version conflict goes to the table), per thread."""

    def __init__(self) -> None:
        self._model = aws.bind_model(VehicleItem, "vehicles")
        self._local = threading.local()

    def begin_batch(self, vins: set[str]) -> None:
        ahead: dict[str, VehicleRecord | None] = {}
        if vins:
            try:
                ahead = dict.fromkeys(vins)
                for item in self._model.batch_get(sorted(vins), consistent_read=True):
                    ahead[item.vin] = self._record(item)
            except Exception:  # e.g. one unreadable item: every get then reads on its own, failing alone
                ahead = {}
        self._local.ahead = ahead

    def get(self, vin: str) -> VehicleRecord | None:
        ahead = getattr(self._local, "ahead", None)
        if ahead and vin in ahead:
            return ahead.pop(vin)
        try:
            item = self._model.get(vin, consistent_read=True)
        except DoesNotExist:
            return None
        return self._record(item)

    @staticmethod
    def _record(item: VehicleItem) -> VehicleRecord:
        return VehicleRecord(item.vin, dict(item.data), list(item.history), item.version)

    def save(self, record: VehicleRecord) -> None:
        item = self._model(
            record.vin,
            status=record.data.get("status"),
            data=record.data,
            history=record.history,
            updated_at=datetime.now(timezone.utc).isoformat(),
        )
        if record.version is not None:
            item.version = record.version
        try:
            item.save()  # condition: version == record.version (attribute_not_exists for a new vehicle)
        except PutError as exc:
            if _conditional_failed(exc):
                raise VersionConflict(record.vin) from exc
            raise
        record.version = item.version


# --- audit trail -------------------------------------------------------------------------------------------


class AuditItem(Model):
    class Meta:
        table_name = "unbound"

    subject = UnicodeAttribute(hash_key=True)  # VIN, or "agency#<id>" when the message names no valid VIN
    entry_id = UnicodeAttribute(range_key=True)  # "<sent_at>#<agency>:<message_id>"
    agency_id = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)
    transport_id = UnicodeAttribute()
    message_type = UnicodeAttribute(null=True)
    decision = UnicodeAttribute()
    outcome = UnicodeAttribute()
    reason_code = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    lock_conflicts = NumberAttribute(default=0)
    message = UnicodeAttribute()
    outgoing = JSONAttribute(default=list)
    recorded_at = UnicodeAttribute()


class DynamoAuditLog:
    """Append-only: a conditional put that never overwrites (the function may not update or delete entries)."""

    def __init__(self) -> None:
        self._model = aws.bind_model(AuditItem, "vehicle_audit")

    def append(self, entry: dict[str, Any]) -> None:
        try:
            self._model(**entry).save(condition=self._model.subject.does_not_exist())
        except PutError as exc:
            if not _conditional_failed(exc):
                raise  # else: this message's entry was written by an earlier attempt


# --- subscriptions -----------------------------------------------------------------------------------------


class SubscriptionItem(Model):
    class Meta:
        table_name = "unbound"

    vin = UnicodeAttribute(hash_key=True)  # a VIN or "*"
    agency_id = UnicodeAttribute(range_key=True)
    active = BooleanAttribute(default=True)
    updated_at = UnicodeAttribute()


class DynamoSubscriptions:
    """Subscriptions by VIN (and "*"); each key is queried at most once per batch."""

    def __init__(self) -> None:
        self._model = aws.bind_model(SubscriptionItem, "vehicle_subscriptions")
        self._local = threading.local()

    def begin_batch(self, vins: set[str]) -> None:
        self._local.cache = {}

    def _agencies(self, key: str) -> set[str]:
        cache = getattr(self._local, "cache", None)
        if cache is None:
            cache = self._local.cache = {}
        if key not in cache:
            cache[key] = {item.agency_id for item in self._model.query(key) if item.active}
        return cache[key]

    def subscribers(self, vin: str) -> set[str]:
        return self._agencies(vin) | self._agencies("*")

    def set(self, vin: str, agency_id: str, active: bool) -> None:
        getattr(self._local, "cache", {}).pop(vin, None)
        if active:
            self._model(vin, agency_id, active=True, updated_at=datetime.now(timezone.utc).isoformat()).save()
        else:
            self._model(vin, agency_id).delete()


# --- replies and pushes ------------------------------------------------------------------------------------


class SqsReplySender:
    """Each agency's reply queue; messages are sent with SendMessageBatch (10 entries, 256 KiB per call)."""

    def __init__(self, reply_queue_urls: dict[str, str]) -> None:
        self._sqs = aws.client("sqs")
        self._urls = reply_queue_urls

    def send(self, messages: list[tuple[str, dict[str, Any]]]) -> set[int]:
        by_queue: dict[str, list[tuple[int, str, dict]]] = {}
        for index, (agency_id, body) in enumerate(messages):
            by_queue.setdefault(self._urls[agency_id], []).append((index, json.dumps(body, separators=(",", ":")), body))
        failed: set[int] = set()
        for url, entries in by_queue.items():
            for chunk in _chunks(entries):
                try:
                    response = self._sqs.send_message_batch(
                        QueueUrl=url,
                        Entries=[
                            {
                                "Id": str(index),
                                "MessageBody": text,
                                "MessageAttributes": {"type": {"DataType": "String", "StringValue": body["type"]}},
                            }
                            for index, text, body in chunk
                        ],
                    )
                except Exception:  # the whole call failed: every entry of it is undelivered
                    failed.update(index for index, _, _ in chunk)
                    continue
                failed.update(int(f["Id"]) for f in response.get("Failed", []))
        return failed


def _chunks(entries: list[tuple[int, str, dict]]):
    chunk: list[tuple[int, str, dict]] = []
    size = 0
    for entry in entries:
        entry_size = len(entry[1].encode()) + 64
        if chunk and (len(chunk) == SQS_BATCH_ENTRIES or size + entry_size > SQS_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += entry_size
    if chunk:
        yield chunk


# --- wiring ------------------------------------------------------------------------------------------------


@dataclass
class Runtime:
    exchange: VehicleExchange
    sender: Any  # logic.ReplySender
    agency_by_queue: dict[str, str]  # inbound queue name → agency id
    persistence: BasePersistenceLayer
    config: IdempotencyConfig
    process: Callable[[Inbound | Prepared], dict] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        exchange = self.exchange

        @idempotent_function(data_keyword_argument="message", persistence_store=self.persistence, config=self.config)
        def apply(message: dict, prepared: Any) -> dict:
            return exchange.handle(prepared)

        def process(inbound: Inbound | Prepared) -> dict:
            prepared = inbound if isinstance(inbound, Prepared) else exchange.prepare(inbound)
            return apply(message={"key": prepared.key}, prepared=prepared)

        self.process = process


def idempotency_config() -> IdempotencyConfig:
    return IdempotencyConfig(event_key_jmespath="key", raise_on_no_idempotency_key=True, expires_after_seconds=IDEMPOTENCY_EXPIRY_S)


def queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@lru_cache(maxsize=1)
def aws_runtime() -> Runtime:
    settings = get_settings()
    return Runtime(
        exchange=VehicleExchange(DynamoVehicleStore(), DynamoAuditLog(), DynamoSubscriptions()),
        sender=SqsReplySender({a: settings.queue_url(f"vehicles_out_{a}") for a in AGENCIES}),
        agency_by_queue={queue_name(settings.queue_url(f"vehicles_in_{a}")): a for a in AGENCIES},
        persistence=DynamoDBPersistenceLayer(table_name=settings.table_name("idempotency"), boto3_client=aws.client("dynamodb")),
        config=idempotency_config(),
    )


_installed: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    """Use ``runtime`` instead of the AWS one (None: back to AWS). For unit tests and the benchmark."""
    global _installed
    _installed = runtime


def runtime() -> Runtime:
    return _installed or aws_runtime()
