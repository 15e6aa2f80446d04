"""Which agencies take part, what each may send and report, and which vehicle fields each may read.

Data minimisation is configuration: a reply or push to an agency contains only the fields in its ``may_read``.
The agency ids match ``infra_cdk.resources.VEHICLE_AGENCIES`` (one inbound and one reply queue each); their AWS
principals come from the CDK context ``vehicle_agency_principals``.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.vehicle_exchange.models import CUSTOMS, MessageType, StatusEvent

# Every field of the vehicle view (see logic.vehicle_view); an agency reads a subset.
VEHICLE_FIELDS: tuple[str, ...] = (
    "vin",
    "make",
    "model",
    "model_year",
    "fuel_type",
    "engine_displacement_cc",
    "engine_power_kw",
    "import_declaration_number",
    "clearance_date",
    "duty_paid",
    "importer_id",
    "status",
    "plate_number",
    "emission_certificate",
    "export_country",
    "stolen",
    "police_report_reference",
    "status_history",
)


@dataclass(frozen=True)
class Agency:
    agency_id: str
    name: str
    may_send: frozenset[MessageType]
    may_report: frozenset[StatusEvent]
    may_read: frozenset[str]


_IDENTITY = ("vin", "make", "model", "model_year")
_ASKS = frozenset({MessageType.QUERY, MessageType.SUBSCRIBE})

AGENCIES: dict[str, Agency] = {
    a.agency_id: a
    for a in (
        Agency(
            CUSTOMS,
            "Customs clearance system",
            may_send=_ASKS | {MessageType.IMPORTED, MessageType.STATUS},
            may_report=frozenset({StatusEvent.EXPORTED}),
            may_read=frozenset(VEHICLE_FIELDS),
        ),
        Agency(
            "mvr",
            "Motor-vehicle registration authority",
            may_send=_ASKS | {MessageType.STATUS},
            may_report=frozenset({StatusEvent.REGISTERED, StatusEvent.PLATE_ISSUED, StatusEvent.EXPORTED, StatusEvent.SCRAPPED}),
            may_read=frozenset(
                (*_IDENTITY, "fuel_type", "engine_displacement_cc", "engine_power_kw", "clearance_date", "duty_paid", "status",
                 "plate_number", "emission_certificate", "export_country", "stolen", "status_history")
            ),
        ),
        Agency(
            "epa",
            "Environmental protection agency",
            may_send=_ASKS | {MessageType.STATUS},
            may_report=frozenset({StatusEvent.EMISSION_CERTIFIED}),
            may_read=frozenset((*_IDENTITY, "fuel_type", "engine_displacement_cc", "engine_power_kw", "emission_certificate", "status")),
        ),
        Agency(
            "police",
            "National police",
            may_send=_ASKS | {MessageType.STATUS},
            may_report=frozenset({StatusEvent.REPORTED_STOLEN}),
            may_read=frozenset((*_IDENTITY, "status", "plate_number", "stolen", "police_report_reference", "export_country", "status_history")),
        ),
        Agency(
            "tax",
            "Tax administration",
            may_send=_ASKS,
            may_report=frozenset(),
            may_read=frozenset(
                (*_IDENTITY, "fuel_type", "engine_displacement_cc", "import_declaration_number", "clearance_date", "duty_paid", "importer_id", "status")
            ),
        ),
    )
}


def agency(agency_id: str) -> Agency:
    return AGENCIES[agency_id]
