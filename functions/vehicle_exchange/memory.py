"""In-memory adapters of the vehicle exchange: for unit tests and the handler benchmark, never used in AWS."""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from functions.vehicle_exchange.agencies import AGENCIES
from functions.vehicle_exchange.logic import VehicleExchange, VehicleRecord, VersionConflict


def _copy(record: VehicleRecord) -> VehicleRecord:
    """As a table would: a stored record shares nothing with the caller's (values are JSON scalars)."""
    return VehicleRecord(record.vin, dict(record.data), [dict(h) for h in record.history], record.version)


class InMemoryVehicleStore:
    def __init__(self) -> None:
        self.items: dict[str, VehicleRecord] = {}
        self.saves = 0
        self._lock = threading.Lock()

    def get(self, vin: str) -> VehicleRecord | None:
        with self._lock:
            item = self.items.get(vin)
            return _copy(item) if item is not None else None

    def save(self, record: VehicleRecord) -> None:
        with self._lock:
            current = self.items.get(record.vin)
            if (current.version if current else None) != record.version:
                raise VersionConflict(record.vin)
            record.version = (record.version or 0) + 1
            self.items[record.vin] = _copy(record)
            self.saves += 1


class InMemoryAuditLog:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], dict[str, Any]] = {}

    def append(self, entry: dict[str, Any]) -> None:
        self.entries.setdefault((entry["subject"], entry["entry_id"]), entry)


class InMemorySubscriptions:
    def __init__(self) -> None:
        self.active: set[tuple[str, str]] = set()

    def subscribers(self, vin: str) -> set[str]:
        return {agency for key, agency in self.active if key in (vin, "*")}

    def set(self, vin: str, agency_id: str, active: bool) -> None:
        (self.active.add if active else self.active.discard)((vin, agency_id))


class RecordingSender:
    """Collects what would be sent to each agency's reply queue; ``fail`` makes the next sends fail."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.calls = 0
        self.fail = False

    def send(self, messages: list[tuple[str, dict[str, Any]]]) -> set[int]:
        self.calls += 1
        if self.fail:
            return set(range(len(messages)))
        self.sent.extend(messages)
        return set()

    def to(self, agency_id: str) -> list[dict[str, Any]]:
        return [body for agency, body in self.sent if agency == agency_id]


class InMemoryPersistenceLayer(BasePersistenceLayer):
    """Powertools idempotency records in a dict (same semantics as the DynamoDB layer's conditional put)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, DataRecord] = {}
        self._lock = threading.Lock()

    def _get_record(self, idempotency_key: str) -> DataRecord:
        record = self.records.get(idempotency_key)
        if record is None:
            raise IdempotencyItemNotFoundError
        return record

    def _put_record(self, data_record: DataRecord) -> None:
        with self._lock:
            existing = self.records.get(data_record.idempotency_key)
            if existing is not None and not existing.is_expired:
                in_progress_over = (
                    existing.status == "INPROGRESS"
                    and existing.in_progress_expiry_timestamp is not None
                    and existing.in_progress_expiry_timestamp < self._now_ms()
                )
                if not in_progress_over:
                    raise IdempotencyItemAlreadyExistsError(old_data_record=existing)
            self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)

    @staticmethod
    def _now_ms() -> int:
        import time

        return int(time.time() * 1000)


def in_memory_runtime(queue_prefix: str = "customs-local-vehicles-in-"):
    """A Runtime on in-memory adapters; inbound queues are named like the emulator's (``<prefix><agency>``)."""
    from functions.vehicle_exchange.adapters import Runtime, idempotency_config

    return Runtime(
        exchange=VehicleExchange(InMemoryVehicleStore(), InMemoryAuditLog(), InMemorySubscriptions()),
        sender=RecordingSender(),
        agency_by_queue={f"{queue_prefix}{a}": a for a in AGENCIES},
        persistence=InMemoryPersistenceLayer(),
        config=idempotency_config(),
    )
