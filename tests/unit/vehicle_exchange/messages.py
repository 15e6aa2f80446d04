"""Builders of vehicle-exchange messages for the tests."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone

VIN = "1M8GDM9AXKP042788"  # valid North-American VIN (check digit X)
VIN_2 = "1HGCM82633A004352"
_ids = itertools.count(1)


def envelope(agency: str, type_: str, payload: dict, message_id: str | None = None, claimed: str | None = None, **extra) -> dict:
    return {
        "schema_version": "1.0",
        "message_id": message_id or f"{agency}-{next(_ids)}",
        "agency_id": claimed or agency,
        "type": type_,
        "sent_at": "2026-11-26T08:00:00+00:00",
        "correlation_id": None,
        "payload": payload,
        **extra,
    }


def imported(vin: str = VIN, declaration: str = "26TW0001234", **overrides) -> dict:
    payload = {
        "vin": vin,
        "make": "Motor Coach Industries",
        "model": "D4500",
        "model_year": 2019,
        "engine": {"fuel_type": "diesel", "displacement_cc": 8900, "power_kw": 336},
        "import_declaration_number": declaration,
        "clearance_date": "2026-11-20",
        "duty_paid": True,
        "importer_id": "TW-12345678",
        **overrides,
    }
    return envelope("customs", "vehicle.imported", payload)


def query(agency: str, vin: str = VIN, **kw) -> dict:
    return envelope(agency, "vehicle.query", {"vin": vin}, **kw)


def status(agency: str, event: str, vin: str = VIN, claimed: str | None = None, **details) -> dict:
    payload = {"vin": vin, "event": event, "occurred_at": "2026-11-25T10:00:00+00:00", **details}
    return envelope(agency, "vehicle.status", payload, claimed=claimed)


def subscribe(agency: str, vin: str = "*", active: bool = True) -> dict:
    return envelope(agency, "vehicle.subscribe", {"vin": vin, "active": active})


def body(message: dict | str) -> str:
    return message if isinstance(message, str) else json.dumps(message)


FIXED_NOW = datetime(2026, 11, 26, 8, 0, 1, tzinfo=timezone.utc)
