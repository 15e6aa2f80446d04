"""The vehicle exchange: decide on one inbound message, change the vehicle record, and say what to send whom.

``VehicleExchange.handle`` takes one message as it arrived on an agency's inbound queue and returns an
``Outcome``: the decision (accepted or rejected, with the reason), and the outgoing messages — the reply to the
sender and the pushes to subscribed agencies — each filtered to the fields its recipient may read. It never
raises for bad input: a malformed, unauthorized or invalid message is answered with a rejection (a permanent
outcome, never retried). Storage failures raise, so the record is retried and, if it keeps failing, lands in the
DLQ.

Guarantees: the caller runs ``handle`` under idempotency keyed on the message's ``(agency, message_id)``; on top,
a change is applied at most once per message (the record's history carries the key), concurrent changes of one
vehicle are serialized by optimistic locking (reload and re-apply on a version conflict), and every message and
decision is appended to the audit trail under a key derived from the message, so a retry cannot add a second
entry. Outgoing message ids are derived from the inbound key: a re-sent reply carries the same id.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Protocol

from pydantic import ValidationError

from functions.vehicle_exchange import vin as vins
from functions.vehicle_exchange.agencies import AGENCIES, Agency
from functions.vehicle_exchange.models import (
    CUSTOMS,
    INBOUND,
    INBOUND_TYPES,
    SCHEMA_VERSION,
    ImportedMessage,
    MessageType,
    QueryMessage,
    RejectionCode,
    StatusEvent,
    StatusMessage,
    SubscribeMessage,
)

MAX_LOCK_ATTEMPTS = 10
AUDITED_BODY_CHARS = 32_768
_OUTGOING_IDS = uuid.UUID("9d7b3f5e-6a0c-4d43-9a55-3c1f0f7d2a61")
_TERMINAL = {"scrapped"}


# --- ports -------------------------------------------------------------------------------------------------


class VersionConflict(Exception):
    """The vehicle record changed since it was read (optimistic locking)."""


@dataclass
class VehicleRecord:
    vin: str
    data: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    version: int | None = None  # None: not stored yet

    def applied(self, key: str) -> bool:
        return any(h.get("key") == key for h in self.history)


class VehicleStore(Protocol):
    def get(self, vin: str) -> VehicleRecord | None:  # a fresh record each time, which the caller may change
        ...

    def save(self, record: VehicleRecord) -> None:  # raises VersionConflict; bumps record.version
        ...


class AuditLog(Protocol):
    def append(self, entry: dict[str, Any]) -> None:  # a second append of the same (subject, entry_id) changes nothing
        ...


class SubscriptionStore(Protocol):
    def subscribers(self, vin: str) -> set[str]:  # agencies subscribed to this VIN or to every vehicle ("*")
        ...

    def set(self, vin: str, agency_id: str, active: bool) -> None: ...


# --- values ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    """One message as it arrived: on whose queue (the sender's identity), its body and its transport id."""

    queue_agency: str
    body: str
    transport_id: str
    received_at: datetime


@dataclass
class Prepared:
    """An inbound message parsed once: its idempotency key and JSON (or None when the body is not a JSON object)."""

    inbound: Inbound
    key: str
    data: dict[str, Any] | None
    message_id: str | None


class Rejection(Exception):
    def __init__(self, code: RejectionCode, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.code, self.reason, self.field = code, reason, field


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def jittered_backoff(attempt: int) -> None:
    """Before re-reading a vehicle after a lost race: full jitter, 5 ms doubling per attempt, at most 0.5 s."""
    time.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))


def vehicle_view(record: VehicleRecord) -> dict[str, Any]:
    """Everything an agency could be shown about a vehicle (before filtering by its rights)."""
    view = {"vin": record.vin, **{k: v for k, v in record.data.items() if v is not None}}
    view["status_history"] = [{k: h[k] for k in ("event", "occurred_at", "agency_id")} for h in record.history]
    return view


def restrict(view: dict[str, Any] | None, agency: Agency) -> dict[str, Any] | None:
    """Data minimisation: only the fields ``agency`` may read."""
    if view is None:
        return None
    return {k: v for k, v in view.items() if k in agency.may_read}


def _valid_id(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 128 and all(c.isalnum() or c in "._:-" for c in value) else None


# --- the service -------------------------------------------------------------------------------------------


class VehicleExchange:
    def __init__(
        self,
        store: VehicleStore,
        audit: AuditLog,
        subscriptions: SubscriptionStore,
        agencies: dict[str, Agency] | None = None,
        clock: Callable[[], datetime] = now_utc,
        backoff: Callable[[int], None] = jittered_backoff,
    ) -> None:
        self.store, self.audit, self.subscriptions = store, audit, subscriptions
        self.agencies = agencies or AGENCIES
        self.clock = clock
        self.backoff = backoff

    def prepare(self, inbound: Inbound) -> Prepared:
        """Parse once and derive the idempotency key: the sender (the queue's owner) and its message_id."""
        try:
            data = json.loads(inbound.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = None
        message_id = _valid_id(data.get("message_id")) if data else None
        key = f"{inbound.queue_agency}:{message_id}" if message_id else f"{inbound.queue_agency}:sqs:{inbound.transport_id}"
        return Prepared(inbound, key, data, message_id)

    def begin_batch(self, batch: list[Prepared]) -> None:
        """Before a batch: let the adapters read ahead what it will need (one BatchGetItem for its vehicles)
        and forget per-batch caches. Optional for adapters; a read-ahead failure only costs the saving."""
        wanted: set[str] = set()
        for prepared in batch:
            payload = prepared.data.get("payload") if prepared.data else None
            vin = payload.get("vin") if isinstance(payload, dict) else None
            if isinstance(vin, str) and vins.is_valid(vin):
                wanted.add(vin.strip().upper())
        for adapter in (self.store, self.subscriptions):
            begin = getattr(adapter, "begin_batch", None)
            if begin is not None:
                begin(wanted)

    def handle(self, prepared: Prepared) -> dict[str, Any]:
        """Decide, apply and answer; returns the outcome (JSON-serialisable, stored by the idempotency layer)."""
        run = _Run(self, prepared)
        try:
            run.outcome = self._dispatch(run)
        except Rejection as rejection:
            run.reject(rejection)
        self.audit.append(run.audit_entry())
        return run.result()

    # -- decisions --

    def _dispatch(self, run: "_Run") -> str:
        data = run.prepared.data
        if data is None:
            raise Rejection(RejectionCode.MALFORMED, "the message body is not a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise Rejection(RejectionCode.UNSUPPORTED_VERSION, f"schema_version must be '{SCHEMA_VERSION}', got {version!r}", "schema_version")
        claimed = data.get("agency_id")
        if claimed != run.sender.agency_id:
            # Identity comes from the queue (only its agency may send to it), never from what the message claims.
            raise Rejection(
                RejectionCode.AGENCY_MISMATCH,
                f"agency_id {claimed!r} does not own this queue (it belongs to {run.sender.agency_id!r})",
                "agency_id",
            )
        kind = data.get("type")
        if kind in INBOUND_TYPES and MessageType(kind) not in run.sender.may_send:
            raise Rejection(RejectionCode.NOT_PERMITTED, f"agency {run.sender.agency_id!r} may not send {kind!r}", "type")
        try:
            message = INBOUND.validate_python(data)
        except ValidationError as exc:
            raise _rejection_for(exc) from None
        if isinstance(message, QueryMessage):
            return self._query(run, message)
        if isinstance(message, StatusMessage):
            return self._status(run, message)
        if isinstance(message, ImportedMessage):
            return self._imported(run, message)
        return self._subscribe(run, message)

    def _query(self, run: "_Run", message: QueryMessage) -> str:
        vin = message.payload.vin
        run.subject = vin
        record = self.store.get(vin)
        vehicle = restrict(vehicle_view(record), run.sender) if record else None
        run.reply(MessageType.QUERY_RESULT, {"vin": vin, "found": record is not None, "vehicle": vehicle})
        return "answered"

    def _subscribe(self, run: "_Run", message: SubscribeMessage) -> str:
        vin, active = message.payload.vin, message.payload.active
        run.subject = vin if vin != "*" else run.subject
        self.subscriptions.set(vin, run.sender.agency_id, active)
        outcome = "subscribed" if active else "unsubscribed"
        run.reply(MessageType.ACCEPTED, {"accepted_message_id": message.message_id, "outcome": outcome})
        return outcome

    def _imported(self, run: "_Run", message: ImportedMessage) -> str:
        p = message.payload
        run.subject = p.vin
        registration = {
            "make": p.make,
            "model": p.model,
            "model_year": p.model_year,
            "fuel_type": p.engine.fuel_type.value,
            "engine_displacement_cc": p.engine.displacement_cc,
            "engine_power_kw": p.engine.power_kw,
            "import_declaration_number": p.import_declaration_number,
            "clearance_date": p.clearance_date.isoformat(),
            "duty_paid": p.duty_paid,
            "importer_id": p.importer_id,
        }

        def change(record: VehicleRecord | None) -> VehicleRecord:
            if record is None:
                record = VehicleRecord(p.vin, {})
            elif record.data.get("import_declaration_number") == p.import_declaration_number:
                raise _AlreadyApplied
            elif record.data.get("status") != "exported":
                raise Rejection(
                    RejectionCode.CONFLICT,
                    f"vehicle is already registered as imported under declaration {record.data.get('import_declaration_number')}",
                    "payload.vin",
                )
            # A new import, or the re-import of an exported vehicle.
            record.data.update(registration, status="imported", export_country=None)
            return record

        return self._change(run, p.vin, "imported", message.sent_at, change)

    def _status(self, run: "_Run", message: StatusMessage) -> str:
        p = message.payload
        run.subject = p.vin
        if p.event not in run.sender.may_report:
            raise Rejection(RejectionCode.NOT_PERMITTED, f"agency {run.sender.agency_id!r} may not report {p.event.value!r}", "payload.event")
        required = {
            StatusEvent.PLATE_ISSUED: "plate_number",
            StatusEvent.EMISSION_CERTIFIED: "certificate_id",
            StatusEvent.EXPORTED: "destination_country",
        }.get(p.event)
        if required and getattr(p, required) is None:
            raise Rejection(RejectionCode.SCHEMA_INVALID, f"{p.event.value} requires payload.{required}", f"payload.{required}")

        def change(record: VehicleRecord | None) -> VehicleRecord:
            if record is None:
                raise Rejection(RejectionCode.UNKNOWN_VEHICLE, f"no imported vehicle with VIN {p.vin} is known to customs", "payload.vin")
            status = record.data.get("status")
            if status in _TERMINAL or (status == "exported" and p.event is not StatusEvent.REPORTED_STOLEN):
                raise Rejection(RejectionCode.CONFLICT, f"vehicle is {status}; {p.event.value} cannot apply", "payload.event")
            data = record.data
            if p.event is StatusEvent.REGISTERED:
                data["status"] = "registered"
            elif p.event is StatusEvent.PLATE_ISSUED:
                data["plate_number"] = p.plate_number
                if data.get("status") == "imported":
                    data["status"] = "registered"
            elif p.event is StatusEvent.EMISSION_CERTIFIED:
                data["emission_certificate"] = p.certificate_id
            elif p.event is StatusEvent.EXPORTED:
                data["status"], data["export_country"] = "exported", p.destination_country
            elif p.event is StatusEvent.SCRAPPED:
                data["status"] = "scrapped"
            elif p.event is StatusEvent.REPORTED_STOLEN:
                data["stolen"] = True
                data["police_report_reference"] = p.report_reference
            return record

        return self._change(run, p.vin, p.event.value, p.occurred_at, change)

    def _change(self, run: "_Run", vin: str, event: str, occurred_at: datetime, change: Callable[[VehicleRecord | None], VehicleRecord]) -> str:
        """Read-modify-write under optimistic locking; on a version conflict, reload and apply again."""
        for attempt in range(MAX_LOCK_ATTEMPTS):
            if attempt:
                self.backoff(attempt)
            stored = self.store.get(vin)
            if stored is not None and stored.applied(run.prepared.key):
                return run.accept("already_applied")
            before = vehicle_view(stored) if stored is not None else None
            try:
                updated = change(stored)  # (a fresh record from the store: ours to change)
            except _AlreadyApplied:
                return run.accept("already_applied")
            updated.history.append(
                {"event": event, "occurred_at": occurred_at.isoformat(), "agency_id": run.sender.agency_id, "key": run.prepared.key}
            )
            try:
                self.store.save(updated)
            except VersionConflict:
                run.conflicts += 1
                continue
            run.accept("applied")
            self._push(run, vin, event, before, vehicle_view(updated))
            return "applied"
        raise VersionConflict(f"{vin}: still conflicting after {MAX_LOCK_ATTEMPTS} attempts")

    def _push(self, run: "_Run", vin: str, event: str, before: dict | None, after: dict) -> None:
        """``vehicle.changed`` to each subscriber (but the sender) for which something it may read changed."""
        for agency_id in sorted(self.subscriptions.subscribers(vin) - {run.sender.agency_id}):
            agency = self.agencies.get(agency_id)
            if agency is None or "vin" not in agency.may_read:
                continue
            visible_after = restrict(after, agency)
            if visible_after == restrict(before, agency):
                continue  # nothing this agency may see has changed
            change = event if "status_history" in agency.may_read else None
            run.send(agency_id, MessageType.CHANGED, {"vin": vin, "change": change, "vehicle": visible_after})


class _AlreadyApplied(Exception):
    pass


def _rejection_for(exc: ValidationError) -> Rejection:
    """The first validation error as a rejection naming the field; an invalid VIN gets its own code and reason."""

    def path_of(error: dict) -> str | None:
        # Drop the discriminated union's tags: ('vehicle.query', 'payload', 'vin') → payload.vin
        parts = [str(p) for p in error["loc"] if not str(p).startswith(("vehicle.", "message.", "function-", "literal["))]
        return ".".join(parts) or None

    errors = exc.errors(include_url=False)
    for error in errors:
        if isinstance(error.get("ctx", {}).get("error"), vins.InvalidVin):
            return Rejection(RejectionCode.INVALID_VIN, str(error["ctx"]["error"]), path_of(error))
    error = errors[0]
    path = path_of(error)
    return Rejection(RejectionCode.SCHEMA_INVALID, f"{path}: {error['msg']}" if path else error["msg"], path)


class _Run:
    """What one message's handling accumulates: the replies, the decision, the audit entry."""

    def __init__(self, exchange: VehicleExchange, prepared: Prepared) -> None:
        self.exchange = exchange
        self.prepared = prepared
        self.sender = exchange.agencies[prepared.inbound.queue_agency]
        self.now = exchange.clock().isoformat()
        self.subject = f"agency#{self.sender.agency_id}"
        self.outgoing: list[dict[str, Any]] = []
        self.outcome = ""
        self.rejection: Rejection | None = None
        self.conflicts = 0

    def send(self, to: str, kind: MessageType, payload: dict[str, Any]) -> None:
        message_id = str(uuid.uuid5(_OUTGOING_IDS, f"{self.prepared.key}#{len(self.outgoing)}"))
        body = {
            "schema_version": SCHEMA_VERSION,
            "message_id": message_id,
            "agency_id": CUSTOMS,
            "type": kind.value,
            "sent_at": self.now,
            "correlation_id": self.prepared.message_id,
            "payload": payload,
        }
        self.outgoing.append({"to": to, "body": body})

    def reply(self, kind: MessageType, payload: dict[str, Any]) -> None:
        self.send(self.sender.agency_id, kind, payload)

    def accept(self, outcome: str) -> str:
        self.reply(MessageType.ACCEPTED, {"accepted_message_id": self.prepared.message_id, "outcome": outcome})
        return outcome

    def reject(self, rejection: Rejection) -> None:
        # Replies so far belong to a decision that no longer stands (nothing is stored before a rejection).
        self.outgoing.clear()
        self.rejection = rejection
        self.outcome = "rejected"
        self.reply(
            MessageType.REJECTED,
            {"rejected_message_id": self.prepared.message_id, "reason_code": rejection.code.value, "reason": rejection.reason, "field": rejection.field},
        )

    def audit_entry(self) -> dict[str, Any]:
        data = self.prepared.data or {}
        sent_at = data.get("sent_at") if isinstance(data.get("sent_at"), str) else self.prepared.inbound.received_at.isoformat()
        return {
            "subject": self.subject,
            # Derived from the message only: a retry writes the same key, so the trail gets one entry per message.
            "entry_id": f"{sent_at[:40]}#{self.prepared.key}",
            "agency_id": self.sender.agency_id,
            "message_id": self.prepared.message_id,
            "transport_id": self.prepared.inbound.transport_id,
            "message_type": data.get("type") if isinstance(data.get("type"), str) else None,
            "decision": "rejected" if self.rejection else "accepted",
            "outcome": self.outcome,
            "reason_code": self.rejection.code.value if self.rejection else None,
            "reason": self.rejection.reason if self.rejection else None,
            "lock_conflicts": self.conflicts,
            "message": self.prepared.inbound.body[:AUDITED_BODY_CHARS],
            "outgoing": [{"message_id": o["body"]["message_id"], "to": o["to"], "type": o["body"]["type"]} for o in self.outgoing],
            "recorded_at": self.now,
        }

    def result(self) -> dict[str, Any]:
        return {
            "key": self.prepared.key,
            "decision": "rejected" if self.rejection else "accepted",
            "outcome": self.outcome,
            "reason_code": self.rejection.code.value if self.rejection else None,
            "outgoing": self.outgoing,
        }


# --- delivery ----------------------------------------------------------------------------------------------


class ReplySender(Protocol):
    def send(self, messages: list[tuple[str, dict[str, Any]]]) -> set[int]:
        """Send each (agency_id, body) to that agency's reply queue, batched; returns the indexes that failed."""
        ...


class Outbox:
    """The outgoing messages of one batch of inbound records, sent together (SendMessageBatch) after the batch.

    A record whose replies could not all be sent is reported as failed, so SQS redelivers it; the idempotency
    layer then returns its stored outcome and the same messages (same ids) are sent again."""

    def __init__(self) -> None:
        self._messages: list[tuple[str, dict[str, Any]]] = []
        self._source: list[str] = []
        self._queued: set[str] = set()

    def add(self, source_id: str, outcome: dict[str, Any]) -> None:
        for message in outcome.get("outgoing", []):
            message_id = message["body"]["message_id"]
            if message_id in self._queued:
                continue  # the same inbound message twice in one batch: its messages go out once
            self._queued.add(message_id)
            self._messages.append((message["to"], message["body"]))
            self._source.append(source_id)

    def __len__(self) -> int:
        return len(self._messages)

    def flush(self, sender: ReplySender) -> set[str]:
        """Send everything; returns the source record ids with at least one undelivered message."""
        if not self._messages:
            return set()
        failed = sender.send(self._messages)
        sources = {self._source[i] for i in failed}
        self._messages, self._source, self._queued = [], [], set()
        return sources
