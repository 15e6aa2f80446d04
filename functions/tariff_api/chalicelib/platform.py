"""Adapters the API depends on, built lazily and cached at module level (never at import, never per request)."""

from __future__ import annotations

import json
import platform as py_platform
from functools import lru_cache
from importlib import metadata
from typing import TYPE_CHECKING, Any, Mapping, Protocol

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

import customs
from customs import aws
from customs.config import get_settings
from customs.errors import ApiError
from customs.identity import ApiKeyStore, Principal, authenticate, default_jwt_verifier

if TYPE_CHECKING:
    from functions.tariff_api.chalicelib.guided import GuidedService


class ClassifierClient(Protocol):
    def classify(self, payload: dict[str, Any]) -> dict[str, Any]: ...


class LambdaClassifierClient:
    """Reaches the classifier function through ``lambda.invoke`` (the runner's invoke endpoint locally)."""

    def __init__(self, function_name: str, timeout_s: float) -> None:
        self._function_name = function_name
        self._client = aws.client("lambda", read_timeout=timeout_s)

    def classify(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._client.invoke(FunctionName=self._function_name, Payload=json.dumps(payload).encode())
        except ReadTimeoutError as exc:
            raise ApiError(503, "classifier_timeout", "the classifier did not answer in time; retry shortly", headers={"Retry-After": "2"}) from exc
        except (BotoCoreError, ClientError) as exc:
            raise ApiError(503, "classifier_unavailable", "the classifier is unavailable; retry shortly", headers={"Retry-After": "5"}) from exc
        body = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise ApiError(503, "classifier_error", "the classifier failed on this request; retry shortly", headers={"Retry-After": "5"})
        if isinstance(body, dict) and body.get("error"):
            error = body["error"]
            raise ApiError(400, error.get("code", "validation_error"), error.get("message", "invalid input"), field=error.get("field"))
        return body


@lru_cache(maxsize=1)
def classifier() -> ClassifierClient:
    settings = get_settings()
    return LambdaClassifierClient(settings.classifier_function_name, settings.classifier_timeout_s)


@lru_cache(maxsize=1)
def api_key_store() -> ApiKeyStore:
    from customs.api_keys import DynamoApiKeyStore

    return DynamoApiKeyStore()


@lru_cache(maxsize=1)
def guided() -> "GuidedService":
    from functions.tariff_api.chalicelib.dialogue import DialogueEngine
    from functions.tariff_api.chalicelib.guided import GuidedService
    from functions.tariff_api.chalicelib.lookup import line_dict, schedule
    from functions.tariff_api.chalicelib.sessions import DynamoSessionStore
    from customs.hs import get_nomenclature

    engine = DialogueEngine(get_nomenclature(), lambda hs6: [line_dict(line) for line in schedule().lines_under(hs6)])
    from customs.events import FanOutPublisher, QueueEventPublisher, export_publisher

    # Finished sessions go to the on-premises platform and trigger the open-data statistics rebuild.
    events = FanOutPublisher(export_publisher("tariff_api"), QueueEventPublisher("tariff_api", "open_data_events"))
    return GuidedService(classifier(), DynamoSessionStore(), engine, events)


def principal_for(headers: Mapping[str, str]) -> Principal:
    return authenticate(headers, api_keys=api_key_store(), verifier=default_jwt_verifier())


def health() -> dict[str, Any]:
    """Versions and whether the AWS endpoint (the emulator locally) answers."""
    settings = get_settings()
    versions = {"platform": customs.__version__, "python": py_platform.python_version()}
    for package in ("aws-lambda-powertools", "boto3", "chalice", "pynamodb"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    try:
        aws.client("dynamodb").describe_table(TableName=settings.table_name("api_clients"))
        backend = {"status": "ok"}
    except Exception as exc:  # health reports the failure instead of failing
        backend = {"status": "unreachable", "error": type(exc).__name__}
    backend["endpoint"] = settings.aws_endpoint_url or "aws"
    return {
        "status": "ok" if backend["status"] == "ok" else "degraded",
        "environment": settings.environment,
        "versions": versions,
        "emulator" if settings.aws_endpoint_url else "aws": backend,
    }
