"""AWS adapters of the intake (S3, the DynamoDB registry, the export queue), built lazily and cached."""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from botocore.exceptions import ClientError
from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from customs import aws
from customs.events import QueueEventPublisher, export_publisher


class S3ObjectStore:
    def __init__(self) -> None:
        self._s3 = aws.client("s3")

    def copy(self, bucket: str, source_key: str, target_key: str) -> None:
        self._s3.copy_object(Bucket=bucket, Key=target_key, CopySource={"Bucket": bucket, "Key": source_key})

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self._s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json")

    def read(self, bucket: str, key: str) -> bytes:
        return b"".join(self.stream(bucket, key))

    def stream(self, bucket: str, key: str) -> Iterable[bytes]:
        try:
            body = self._s3.get_object(Bucket=bucket, Key=key)["Body"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from exc
            raise
        yield from body.iter_chunks(1024 * 1024)


class ModelVersionRecord(Model):
    class Meta:
        table_name = "unbound"

    model_name = UnicodeAttribute(hash_key=True)
    version = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    reason = UnicodeAttribute(default="")
    registered_at = UnicodeAttribute()
    location = UnicodeAttribute()
    metrics = JSONAttribute(default=dict)


class DynamoRegistry:
    def __init__(self) -> None:
        self._model = aws.bind_model(ModelVersionRecord, "model_registry")

    def promoted(self, model_name: str) -> dict | None:
        latest = None
        for item in self._model.query(model_name, filter_condition=self._model.status == "promoted"):
            if latest is None or item.registered_at > latest.registered_at:
                latest = item
        return None if latest is None else {"version": latest.version, "metrics": latest.metrics}

    def registered(self, model_name: str, version: str) -> bool:
        return self._model.count(model_name, self._model.version == version) > 0

    def register(self, record: dict) -> bool:
        try:
            # Conditional put: a redelivered notification for the same version changes nothing.
            self._model(**record).save(condition=self._model.version.does_not_exist())
            return True
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise


@lru_cache(maxsize=1)
def adapters() -> tuple[S3ObjectStore, DynamoRegistry, QueueEventPublisher]:
    return S3ObjectStore(), DynamoRegistry(), export_publisher("platform_link")
