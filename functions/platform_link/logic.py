"""Model-package intake: verify what the on-premises platform sent, then register it for safe promotion.

A package is promoted only when every file's SHA-256 matches its manifest and its reported HS6@1 does not fall
below the currently promoted version's by more than ``MAX_REGRESSION_PTS``; otherwise it is recorded as
rejected with the reason (a permanent outcome, so the message is not retried). Storage failures raise, so the
record is retried and, if it keeps failing, lands in the DLQ.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Protocol

from pydantic import ValidationError

from functions.platform_link.models import PackageLocation, PackageManifest

MAX_REGRESSION_PTS = 1.0
GATING_METRIC = "hs6@1"


PROMOTED_PREFIX = "promoted"


def current_pointer_key(model_name: str) -> str:
    """The object the classifier reads at cold start to find the promoted version (switched last, atomically)."""
    return f"{PROMOTED_PREFIX}/{model_name}/current.json"


class ObjectStore(Protocol):
    def read(self, bucket: str, key: str) -> bytes: ...
    def stream(self, bucket: str, key: str) -> Iterable[bytes]: ...
    def copy(self, bucket: str, source_key: str, target_key: str) -> None: ...
    def put(self, bucket: str, key: str, data: bytes) -> None: ...


class Registry(Protocol):
    def promoted(self, model_name: str) -> dict | None: ...
    def registered(self, model_name: str, version: str) -> bool: ...
    def register(self, record: dict) -> bool:  # False when this version was registered before (duplicate)
        ...


class EventPublisher(Protocol):
    def publish(self, event_type: str, detail: dict) -> None: ...


@dataclass(frozen=True)
class IntakeResult:
    model_name: str
    version: str
    status: str  # "promoted" | "rejected" | "duplicate"
    reason: str = ""


def _sha256_of(chunks: Iterable[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def verify_files(store: ObjectStore, location: PackageLocation, manifest: PackageManifest) -> str | None:
    """None when every file matches; otherwise the first problem found."""
    for file in manifest.files:
        try:
            digest, size = _sha256_of(store.stream(location.bucket, location.prefix + file.path))
        except FileNotFoundError:
            return f"missing file {file.path}"
        if size != file.bytes or digest != file.sha256:
            return f"checksum mismatch for {file.path}"
    return None


def gate(manifest: PackageManifest, current: dict | None) -> str | None:
    if GATING_METRIC not in manifest.metrics:
        return f"manifest lacks the gating metric {GATING_METRIC}"
    if current is not None:
        baseline = float(current.get("metrics", {}).get(GATING_METRIC, 0.0))
        if manifest.metrics[GATING_METRIC] < baseline - MAX_REGRESSION_PTS:
            return f"{GATING_METRIC} {manifest.metrics[GATING_METRIC]:.2f} regresses on promoted {current['version']} ({baseline:.2f})"
    return None


def promote(store: ObjectStore, location: PackageLocation, manifest: PackageManifest) -> str:
    """Copy the verified files under promoted/<name>/<version>/, then switch current.json to them.

    Readers of current.json see the old or the new version, never a half-copied one; every step is idempotent,
    so a retried message repeats it harmlessly."""
    target = f"{PROMOTED_PREFIX}/{manifest.model_name}/{manifest.version}/"
    for file in manifest.files:
        store.copy(location.bucket, location.prefix + file.path, target + file.path)
    store.put(location.bucket, target + "manifest.json", manifest.model_dump_json().encode())
    pointer = {"model_name": manifest.model_name, "version": manifest.version, "prefix": target, "files": [f.model_dump() for f in manifest.files]}
    store.put(location.bucket, current_pointer_key(manifest.model_name), json.dumps(pointer).encode())
    return target


def intake_package(location: PackageLocation, store: ObjectStore, registry: Registry, events: EventPublisher) -> IntakeResult:
    raw = store.read(location.bucket, location.key)
    try:
        manifest = PackageManifest.model_validate_json(raw)
    except ValidationError as exc:
        # A manifest that can never validate is rejected (and reported), not retried forever.
        parts = location.key.split("/")
        name, version = (parts[1], parts[2]) if len(parts) >= 4 else ("unknown", "unknown")
        result = IntakeResult(name, version, "rejected", f"invalid manifest: {exc.errors()[0]['msg']}")
    else:
        problem = verify_files(store, location, manifest) or gate(manifest, registry.promoted(manifest.model_name))
        result = IntakeResult(manifest.model_name, manifest.version, "rejected" if problem else "promoted", problem or "")
        if not problem and not registry.registered(manifest.model_name, manifest.version):
            promote(store, location, manifest)
    record = {
        "model_name": result.model_name,
        "version": result.version,
        "status": result.status,
        "reason": result.reason,
        "registered_at": datetime.now(timezone.utc).isoformat(),
        "location": f"s3://{location.bucket}/{location.prefix}",
        "metrics": json.loads(raw).get("metrics", {}) if result.status == "promoted" else {},
    }
    if not registry.register(record):
        return IntakeResult(result.model_name, result.version, "duplicate")
    events.publish(f"model.{result.status}", {k: record[k] for k in ("model_name", "version", "status", "reason", "location")})
    return result
