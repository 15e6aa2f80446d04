"""The one declarative definition of the platform's buckets, queues, tables and notifications.

Both the CDK constructs and the local bootstrap (`scripts/run_local.py`) read these specs, so the emulator and
the cloud cannot drift; `tests/infra/test_local_matches_cloud.py` proves that they match.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROJECT = "customs"

# --- functions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str  # dotted path "module:attribute", importable with the repo root and layers/ on sys.path
    timeout_s: int
    memory_mb: int = 512
    container: bool = False  # container-image Lambda built from functions/<id>/Dockerfile
    description: str = ""

    @property
    def folder(self) -> str:
        return f"functions/{self.logical_id}"


PLATFORM_LINK = FunctionSpec(
    "platform_link",
    "functions.platform_link.handler:lambda_handler",
    timeout_s=30,
    description="Hybrid link: validates model packages from the on-premises platform and registers them",
)
TARIFF_API = FunctionSpec(
    "tariff_api", "functions.tariff_api.app:app", timeout_s=29, memory_mb=1024, description="Public tariff API (Chalice)"
)

CLASSIFIER = FunctionSpec(
    "classifier",
    "functions.classifier.handler:lambda_handler",
    timeout_s=15,
    memory_mb=2048,
    container=True,
    description="HS classifier: int8 ONNX encoder + tokenizers, container image",
)

FUNCTIONS: tuple[FunctionSpec, ...] = (PLATFORM_LINK, TARIFF_API, CLASSIFIER)


# --- tables ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeySpec:
    name: str
    type: str = "S"  # DynamoDB attribute type: S | N | B


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: KeySpec
    sort_key: KeySpec | None = None


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    partition_key: KeySpec
    sort_key: KeySpec | None = None
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = None


TABLES: tuple[TableSpec, ...] = (
    TableSpec("api_clients", KeySpec("key_hash")),
    # Powertools idempotency records (key "id", TTL "expiration" are Powertools' defaults).
    TableSpec("idempotency", KeySpec("id"), ttl_attribute="expiration"),
    # Guided classification sessions (optimistic locking on "version"; expire after a day).
    TableSpec("classification_sessions", KeySpec("session_id"), ttl_attribute="expires_at"),
    TableSpec(
        "model_registry",
        KeySpec("model_name"),
        KeySpec("version"),
        indexes=(IndexSpec("by_status", KeySpec("status"), KeySpec("registered_at")),),
    ),
)


# --- queues ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    visibility_timeout_s: int
    max_receive_count: int = 3
    retention_days: int = 4
    dlq_retention_days: int = 14
    consumer: str | None = None  # FunctionSpec.logical_id invoked by an event source mapping
    batch_size: int = 10
    max_batching_window_s: int = 0

    @property
    def dlq_logical_id(self) -> str:
        return f"{self.logical_id}_dlq"


QUEUES: tuple[QueueSpec, ...] = (
    # Visibility timeout ≥ 6 × the consumer's timeout (AWS guidance for SQS event sources).
    QueueSpec("model_package_events", visibility_timeout_s=6 * PLATFORM_LINK.timeout_s, consumer="platform_link", batch_size=5),
    # Every service's business events, drained by the on-premises data-analysis platform over the hybrid link.
    QueueSpec("platform_export", visibility_timeout_s=300, max_receive_count=5, retention_days=14),
)


# --- buckets and notifications -------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationSpec:
    queue: str  # QueueSpec.logical_id
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    versioned: bool = True
    notifications: tuple[NotificationSpec, ...] = field(default_factory=tuple)
    # Days after which non-current object versions expire (None: keep forever).
    noncurrent_expiry_days: int | None = 90


BUCKETS: tuple[BucketSpec, ...] = (
    BucketSpec(
        "model_packages",
        notifications=(NotificationSpec("model_package_events", prefix="incoming/", suffix="manifest.json"),),
    ),
)


# --- lookups ---------------------------------------------------------------------------------------------


def function(logical_id: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.logical_id == logical_id)


def queue(logical_id: str) -> QueueSpec:
    return next(q for q in QUEUES if q.logical_id == logical_id)


def table(logical_id: str) -> TableSpec:
    return next(t for t in TABLES if t.logical_id == logical_id)


def local_name(logical_id: str, environment: str = "local") -> str:
    """Physical name used by the emulator: project-environment-id, with '-' (valid for S3, SQS and DynamoDB)."""
    return f"{PROJECT}-{environment}-{logical_id.replace('_', '-')}"


def env_var(kind: str, logical_id: str) -> str:
    """Environment variable through which a function learns a resource's physical name (see customs.config)."""
    suffix = "_URL" if kind == "QUEUE" else ""
    return f"CUSTOMS_{kind}_{logical_id.upper()}{suffix}"
