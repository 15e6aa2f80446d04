"""AWS adapters of the open-data service (S3, SNS, DynamoDB), built lazily and cached at module level."""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Mapping

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from customs import aws
from customs.config import MissingResourceError, get_settings
from functions.open_data.inputs import SessionLedger, SourceInputs, parse_records
from functions.open_data.publisher import ConcurrentUpdate, Publisher

# Tables the vehicle builder reads when the platform defines them (the vehicle exchange's records); records
# dropped under incoming/vehicle_exchange/ in the sources bucket are read as well.
VEHICLE_TABLES = ("vehicles", "vehicle_records", "vehicle_imports")
VEHICLE_PREFIX = "incoming/vehicle_exchange/"
# Private ledger of classification sessions (they expire after a day; the statistics keep them), outside incoming/.
LEDGER_PREFIX = "ledger/classification_sessions/"
_RECORD_SUFFIXES = (".jsonl", ".ndjson", ".json")


class S3Store:
    """``publisher.ObjectStore`` on one bucket."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self._s3 = aws.client("s3")

    def get(self, key: str) -> bytes | None:
        return self.read(key)[0]

    def read(self, key: str) -> tuple[bytes | None, str | None]:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None, None
            raise
        return response["Body"].read(), response["ETag"]

    def put(
        self, key: str, data: bytes, content_type: str, cache_control: str | None = None, *, if_match: str | None = None, if_absent: bool = False
    ) -> None:
        extra: dict[str, str] = {"CacheControl": cache_control} if cache_control else {}
        if if_match:
            extra["IfMatch"] = if_match
        if if_absent:
            extra["IfNoneMatch"] = "*"
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **extra)
        except ClientError as exc:
            # 412 PreconditionFailed; 409 ConditionalRequestConflict while another conditional write is in flight
            if exc.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                raise ConcurrentUpdate(key) from exc
            raise

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True})

    def keys(self, prefix: str) -> Iterator[str]:
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]


class SnsChangeFeed:
    def __init__(self, topic_arn: str) -> None:
        self._sns = aws.client("sns")
        self._arn = topic_arn

    def announce(self, message: dict[str, Any]) -> None:
        self._sns.publish(
            TopicArn=self._arn,
            Subject=f"New open-data version: {message['dataset']}"[:100],
            Message=json.dumps(message),
            MessageAttributes={
                "dataset": {"DataType": "String", "StringValue": message["dataset"]},
                "type": {"DataType": "String", "StringValue": message["type"]},
            },
        )


def _scan(table_name: str) -> Iterator[dict[str, Any]]:
    deserializer = TypeDeserializer()
    for page in aws.client("dynamodb").get_paginator("scan").paginate(TableName=table_name):
        for item in page.get("Items", []):
            yield {k: deserializer.deserialize(v) for k, v in item.items()}


class DynamoSessionSource:
    """The guided sessions table (``state`` JSON with the candidates/result, ``created_at``)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def sessions(self) -> Iterable[Mapping[str, Any]]:
        return _scan(self.table_name)


class DynamoRecordSource:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def records(self) -> Iterable[Mapping[str, Any]]:
        return _scan(self.table_name)


class S3RecordSource:
    """Record files (JSON Lines, JSON array or object) under a prefix of the sources bucket."""

    def __init__(self, store: S3Store, prefix: str) -> None:
        self.store, self.prefix = store, prefix

    def records(self) -> Iterable[Mapping[str, Any]]:
        for key in sorted(self.store.keys(self.prefix)):
            if key.endswith(_RECORD_SUFFIXES):
                yield from parse_records(self.store.get(key) or b"")


def _table_if_defined(logical_id: str) -> str | None:
    try:
        return get_settings().table_name(logical_id)
    except MissingResourceError:
        return None


_cached: tuple[Any, Publisher] | None = None


def publisher() -> Publisher:
    """Built on first use and cached, per settings object (the local runner re-reads settings when it starts)."""
    global _cached
    settings = get_settings()
    if _cached is None or _cached[0] is not settings:
        _cached = (
            settings,
            Publisher(
                store=S3Store(settings.bucket_name("open_data")),
                feed=SnsChangeFeed(settings.topic_arn("open_data_changes")),
                base_url=settings.open_data_base_url,
            ),
        )
    return _cached[1]


def inputs() -> SourceInputs:
    """Fresh inputs per invocation (each source is read once per run, never across runs)."""
    settings = get_settings()
    sources = S3Store(settings.bucket_name("open_data_sources"))
    vehicle_sources: list[Any] = [S3RecordSource(sources, VEHICLE_PREFIX)]
    vehicle_sources += [DynamoRecordSource(name) for name in map(_table_if_defined, VEHICLE_TABLES) if name]
    return SourceInputs(
        DynamoSessionSource(settings.table_name("classification_sessions")), vehicle_sources, ledger=SessionLedger(sources, LEDGER_PREFIX)
    )


def reset() -> None:
    """For tests after the environment changed."""
    global _cached
    _cached = None

