"""Which datasets a trigger asks for, and the rebuild of those datasets (then the catalogue).

Triggers, all resolved to a set of dataset ids:

* an S3 notification for ``incoming/<service>/...`` in the sources bucket → the builders that read ``<service>``;
* a platform business event ``{"source": "<service>", "type": ..., "detail": ...}`` (the envelope every service
  publishes) → the builders that read ``<service>``;
* ``{"type": "open_data.rebuild", "detail": {"datasets": [...]}}`` → those datasets (all when absent);
* the EventBridge schedule (``detail-type: Scheduled Event``) → every dataset.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping
from urllib.parse import unquote_plus

from functions.open_data.builders import DatasetBuilder
from functions.open_data.inputs import Inputs
from functions.open_data.models import BuildResult
from functions.open_data.publisher import Publisher

REBUILD = "open_data.rebuild"


class UnknownTrigger(ValueError):
    """A message that is none of the triggers above (it fails, and after retries lands in the DLQ)."""


def _for_service(service: str, builders: Mapping[str, DatasetBuilder]) -> set[str]:
    return {dataset_id for dataset_id, builder in builders.items() if service in builder.inputs}


def datasets_for(payload: Mapping[str, Any], builders: Mapping[str, DatasetBuilder]) -> set[str]:
    if payload.get("Type") == "Notification" and isinstance(payload.get("Message"), str):  # via an SNS subscription
        return datasets_for(json.loads(payload["Message"]), builders)
    if payload.get("Event") == "s3:TestEvent":
        return set()
    if payload.get("detail-type") == "Scheduled Event":
        return set(builders)
    if isinstance(payload.get("Records"), list):
        wanted: set[str] = set()
        for record in payload["Records"]:
            if record.get("eventSource") != "aws:s3":
                continue
            parts = unquote_plus(record["s3"]["object"]["key"]).split("/")
            if len(parts) >= 3 and parts[0] == "incoming":
                wanted |= _for_service(parts[1], builders)
        return wanted
    if payload.get("type") == REBUILD:
        requested = (payload.get("detail") or {}).get("datasets")
        if not requested:
            return set(builders)
        unknown = set(requested) - set(builders)
        if unknown:
            raise UnknownTrigger(f"unknown datasets {sorted(unknown)}")
        return set(requested)
    if isinstance(payload.get("source"), str):
        return _for_service(payload["source"], builders)
    raise UnknownTrigger("not an S3 notification, a platform event or a rebuild request")


def datasets_in_body(body: str, builders: Mapping[str, DatasetBuilder]) -> set[str]:
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as exc:
        raise UnknownTrigger(f"body is not JSON: {exc.msg}") from exc
    if not isinstance(payload, Mapping):
        raise UnknownTrigger("body is not a JSON object")
    return datasets_for(payload, builders)


def rebuild(
    dataset_ids: Iterable[str], builders: Mapping[str, DatasetBuilder], inputs: Inputs, publisher: Publisher
) -> list[BuildResult]:
    """Build each requested dataset (in a stable order), then refresh the catalogue. Validation failures are
    results; a storage failure or a lost race does not stop the other datasets, and is raised after the
    catalogue was refreshed (the trigger is retried; builds are idempotent)."""
    results: list[BuildResult] = []
    errors: list[Exception] = []
    for dataset_id in sorted(set(dataset_ids)):
        try:
            results.append(publisher.publish(builders[dataset_id], inputs))
        except Exception as exc:  # noqa: BLE001 (re-raised below)
            errors.append(exc)
    if results or errors:
        publisher.write_catalog(builders.values())
    if errors:
        raise errors[0]
    return results
