"""The vehicle-exchange message schema, version 1.0 (published as JSON Schema: docs/vehicle_exchange.schema.json).

Every message is an envelope ``{schema_version, message_id, agency_id, type, sent_at, correlation_id, payload}``;
``agency_id`` is the sender and ``type`` selects the payload. Agencies send ``vehicle.imported`` (customs' own
clearance system only), ``vehicle.query``, ``vehicle.status`` and ``vehicle.subscribe``; customs answers with
``vehicle.query_result``, ``message.accepted`` or ``message.rejected`` and pushes ``vehicle.changed`` to
subscribers. Regenerate the published schema with ``python -m functions.vehicle_exchange.models > docs/vehicle_exchange.schema.json``.
"""

from __future__ import annotations

import json
from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from functions.vehicle_exchange import vin as vins

SCHEMA_VERSION = "1.0"
CUSTOMS = "customs"


def _vin(value: str) -> str:
    return vins.validate(value)


Vin = Annotated[
    str,
    Field(min_length=1, max_length=32, description="ISO 3779 VIN", json_schema_extra={"pattern": vins.VIN_PATTERN}),
    AfterValidator(_vin),
]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")]
AgencyId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]


class FuelType(str, Enum):
    PETROL = "petrol"
    DIESEL = "diesel"
    ELECTRIC = "electric"
    HYBRID = "hybrid"
    PLUG_IN_HYBRID = "plug_in_hybrid"
    LPG = "lpg"
    CNG = "cng"
    HYDROGEN = "hydrogen"
    OTHER = "other"


class StatusEvent(str, Enum):
    REGISTERED = "registered"
    PLATE_ISSUED = "plate_issued"
    EMISSION_CERTIFIED = "emission_certified"
    EXPORTED = "exported"
    SCRAPPED = "scrapped"
    REPORTED_STOLEN = "reported_stolen"


class MessageType(str, Enum):
    IMPORTED = "vehicle.imported"
    QUERY = "vehicle.query"
    STATUS = "vehicle.status"
    SUBSCRIBE = "vehicle.subscribe"
    QUERY_RESULT = "vehicle.query_result"
    CHANGED = "vehicle.changed"
    ACCEPTED = "message.accepted"
    REJECTED = "message.rejected"


class RejectionCode(str, Enum):
    MALFORMED = "malformed"  # not a JSON object
    UNSUPPORTED_VERSION = "unsupported_version"
    SCHEMA_INVALID = "schema_invalid"
    INVALID_VIN = "invalid_vin"
    AGENCY_MISMATCH = "agency_mismatch"  # agency_id is not the owner of the queue the message came from
    NOT_PERMITTED = "not_permitted"  # this agency may not send this type / report this event
    UNKNOWN_VEHICLE = "unknown_vehicle"
    CONFLICT = "conflict"  # the change contradicts the vehicle's state


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- payloads ----------------------------------------------------------------------------------------------


class Engine(_Strict):
    fuel_type: FuelType
    displacement_cc: int | None = Field(default=None, ge=0, le=20_000)
    power_kw: float | None = Field(default=None, ge=0, le=2_000)


class ImportRegistration(_Strict):
    vin: Vin
    make: str = Field(min_length=1, max_length=64)
    model: str = Field(min_length=1, max_length=64)
    model_year: int = Field(ge=1900, le=2100)
    engine: Engine
    import_declaration_number: str = Field(min_length=1, max_length=40, pattern=r"^[A-Z0-9/\-]+$")
    clearance_date: date
    duty_paid: bool
    importer_id: str | None = Field(default=None, max_length=40, description="Trader id of the importer (personal data)")


class VehicleQuery(_Strict):
    vin: Vin


class StatusReport(_Strict):
    vin: Vin
    event: StatusEvent
    occurred_at: AwareDatetime
    plate_number: str | None = Field(default=None, max_length=16, description="plate_issued")
    certificate_id: str | None = Field(default=None, max_length=64, description="emission_certified")
    destination_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="exported (ISO 3166-1 alpha-2)")
    report_reference: str | None = Field(default=None, max_length=64, description="reported_stolen (police case)")


class Subscription(_Strict):
    vin: Vin | Literal["*"] = Field(description="one vehicle, or '*' for every vehicle")
    active: bool = True


class QueryResult(_Strict):
    vin: str
    found: bool
    vehicle: dict[str, Any] | None = Field(default=None, description="only the fields this agency may read")


class VehicleChanged(_Strict):
    vin: str
    change: StatusEvent | Literal["imported"] | None = Field(default=None, description="present when the agency may read status_history")
    vehicle: dict[str, Any] = Field(description="only the fields this agency may read")


class Accepted(_Strict):
    accepted_message_id: str
    outcome: Literal["applied", "already_applied", "subscribed", "unsubscribed"]


class Rejected(_Strict):
    rejected_message_id: str | None
    reason_code: RejectionCode
    reason: str
    field: str | None = None


# --- envelopes ---------------------------------------------------------------------------------------------


class _Envelope(_Strict):
    schema_version: Literal["1.0"]
    message_id: Identifier
    agency_id: AgencyId = Field(description="the sender")
    sent_at: AwareDatetime
    correlation_id: Identifier | None = Field(default=None, description="for replies: the message_id answered")


class ImportedMessage(_Envelope):
    type: Literal["vehicle.imported"]
    payload: ImportRegistration


class QueryMessage(_Envelope):
    type: Literal["vehicle.query"]
    payload: VehicleQuery


class StatusMessage(_Envelope):
    type: Literal["vehicle.status"]
    payload: StatusReport


class SubscribeMessage(_Envelope):
    type: Literal["vehicle.subscribe"]
    payload: Subscription


class QueryResultMessage(_Envelope):
    type: Literal["vehicle.query_result"]
    payload: QueryResult


class ChangedMessage(_Envelope):
    type: Literal["vehicle.changed"]
    payload: VehicleChanged


class AcceptedMessage(_Envelope):
    type: Literal["message.accepted"]
    payload: Accepted


class RejectedMessage(_Envelope):
    type: Literal["message.rejected"]
    payload: Rejected


InboundMessage = Annotated[Union[ImportedMessage, QueryMessage, StatusMessage, SubscribeMessage], Field(discriminator="type")]
OutboundMessage = Annotated[
    Union[QueryResultMessage, ChangedMessage, AcceptedMessage, RejectedMessage], Field(discriminator="type")
]
ExchangeMessage = Annotated[Union[InboundMessage, OutboundMessage], Field(discriminator="type")]

INBOUND = TypeAdapter(InboundMessage)
OUTBOUND = TypeAdapter(OutboundMessage)
INBOUND_TYPES = frozenset(m.value for m in (MessageType.IMPORTED, MessageType.QUERY, MessageType.STATUS, MessageType.SUBSCRIBE))


def json_schema() -> dict:
    schema = TypeAdapter(ExchangeMessage).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://customs.example/schemas/vehicle-exchange/1.0.json",
        "title": f"Smart Customs Cloud vehicle exchange message, schema version {SCHEMA_VERSION}",
        **schema,
    }


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
