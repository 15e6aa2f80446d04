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

OPEN_DATA = FunctionSpec(
    "open_data",
    "functions.open_data.handler:lambda_handler",
    timeout_s=120,
    memory_mb=1024,
    container=True,  # pyarrow (Parquet) exceeds the zip layers' 250 MB; image: requirements/open_data.txt
    description="Open data: builds versioned datasets (CSV, JSON Lines, Parquet), manifests and the DCAT catalogue",
)

VEHICLE_EXCHANGE = FunctionSpec(
    "vehicle_exchange",
    "functions.vehicle_exchange.handler:lambda_handler",
    timeout_s=30,
    description="Cross-agency vehicle information exchange: agency queries, status events, pushes (SQS)",
)
# Agencies exchanging vehicle information with customs, each with its own inbound and reply queue
# (field rights and permitted message types: functions/vehicle_exchange/agencies.py; AWS principals: CDK context).
VEHICLE_AGENCIES: tuple[str, ...] = ("customs", "mvr", "epa", "police", "tax")

FUNCTIONS: tuple[FunctionSpec, ...] = (PLATFORM_LINK, TARIFF_API, CLASSIFIER, OPEN_DATA, VEHICLE_EXCHANGE)


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
    # Vehicle exchange: imported vehicles (optimistic locking on "version"), the append-only audit trail of every
    # message and decision (subject = VIN or agency), and agencies' change subscriptions (vin "*" = every vehicle).
    TableSpec("vehicles", KeySpec("vin")),
    TableSpec("vehicle_audit", KeySpec("subject"), KeySpec("entry_id")),
    TableSpec("vehicle_subscriptions", KeySpec("vin"), KeySpec("agency_id")),
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
    # Triggers of the open-data builders: S3 notifications of source drops and other services' events; a
    # batching window coalesces bursts into one rebuild.
    QueueSpec(
        "open_data_events", visibility_timeout_s=6 * OPEN_DATA.timeout_s, consumer="open_data", batch_size=10, max_batching_window_s=30
    ),
    # Vehicle exchange: each agency sends to its own inbound queue (only its principal may) and reads its replies
    # and pushes from its own reply queue.
    *(
        QueueSpec(f"vehicles_in_{agency}", visibility_timeout_s=6 * VEHICLE_EXCHANGE.timeout_s, consumer="vehicle_exchange")
        for agency in VEHICLE_AGENCIES
    ),
    *(QueueSpec(f"vehicles_out_{agency}", visibility_timeout_s=60, max_receive_count=5, retention_days=14) for agency in VEHICLE_AGENCIES),
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
    # Published open data (immutable dataset versions, `latest` pointers, catalog.json), served by CloudFront;
    # non-current versions of the overwritten pointers and catalogue are kept a year.
    BucketSpec("open_data", noncurrent_expiry_days=365),
    # Private source drops for the open-data builders (incoming/<service>/...), e.g. vehicle record extracts.
    BucketSpec("open_data_sources", notifications=(NotificationSpec("open_data_events", prefix="incoming/"),)),
)


# --- topics ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicSpec:
    logical_id: str
    description: str = ""


TOPICS: tuple[TopicSpec, ...] = (
    # Change feed of the open-data service: one message per newly published dataset version.
    TopicSpec("open_data_changes", description="Smart Customs Cloud open data: new dataset versions"),
)


# --- lookups ---------------------------------------------------------------------------------------------


def function(logical_id: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.logical_id == logical_id)


def queue(logical_id: str) -> QueueSpec:
    return next(q for q in QUEUES if q.logical_id == logical_id)


def table(logical_id: str) -> TableSpec:
    return next(t for t in TABLES if t.logical_id == logical_id)


def topic(logical_id: str) -> TopicSpec:
    return next(t for t in TOPICS if t.logical_id == logical_id)


def local_name(logical_id: str, environment: str = "local") -> str:
    """Physical name used by the emulator: project-environment-id, with '-' (valid for S3, SQS and DynamoDB)."""
    return f"{PROJECT}-{environment}-{logical_id.replace('_', '-')}"


def env_var(kind: str, logical_id: str) -> str:
    """Environment variable through which a function learns a resource's physical name (see customs.config)."""
    suffix = {"QUEUE": "_URL", "TOPIC": "_ARN"}.get(kind, "")
    return f"CUSTOMS_{kind}_{logical_id.upper()}{suffix}"
