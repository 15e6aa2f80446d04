"""The published message schema and the agency configuration stay in step with the code and the infrastructure."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from functions.vehicle_exchange.agencies import AGENCIES
from functions.vehicle_exchange.models import json_schema
from infra_cdk import resources as res
from tests.unit.vehicle_exchange import messages as m

SCHEMA_FILE = Path("docs/vehicle_exchange.schema.json")


def test_published_json_schema_is_current():
    # Regenerate: python -m functions.vehicle_exchange.models > docs/vehicle_exchange.schema.json
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema()


def test_sample_messages_validate_against_the_published_schema():
    schema = json.loads(SCHEMA_FILE.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for message in (m.imported(), m.query("mvr"), m.status("epa", "emission_certified", certificate_id="C-1"), m.subscribe("police")):
        assert not list(validator.iter_errors(message)), message
    assert list(validator.iter_errors(m.query("mvr", "1M8GDM9AXKP0I2788")))  # I is not a VIN character
    assert list(validator.iter_errors({**m.query("mvr"), "type": "vehicle.teleport"}))


def test_every_configured_agency_has_its_queues_and_no_queue_lacks_an_agency():
    assert set(AGENCIES) == set(res.VEHICLE_AGENCIES)
    queues = {q.logical_id: q for q in res.QUEUES}
    for agency in AGENCIES:
        assert queues[f"vehicles_in_{agency}"].consumer == res.VEHICLE_EXCHANGE.logical_id
        assert queues[f"vehicles_out_{agency}"].consumer is None
