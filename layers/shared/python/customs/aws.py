"""AWS clients that honour the local endpoint, built lazily and cached per process.

In AWS the endpoint settings are unset and boto3 resolves the regional endpoints; locally they point at the
moto server (and the runner's invoke endpoint for Lambda). Same code path in both places.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from customs.config import get_settings

_BOTO_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=30)


def endpoint_for(service: str) -> str | None:
    settings = get_settings()
    if service == "lambda" and settings.lambda_endpoint_url:
        return settings.lambda_endpoint_url
    return settings.aws_endpoint_url


@lru_cache(maxsize=None)
def client(service: str, read_timeout: float | None = None) -> Any:
    """A cached boto3 client for ``service``; ``read_timeout`` overrides the default (e.g. for invokes)."""
    settings = get_settings()
    config = _BOTO_CONFIG if read_timeout is None else _BOTO_CONFIG.merge(Config(read_timeout=read_timeout, retries={"max_attempts": 1}))
    return boto3.client(service, region_name=settings.aws_region, endpoint_url=endpoint_for(service), config=config)


def reset_clients() -> None:
    client.cache_clear()


def dynamodb_model_meta(logical_id: str) -> dict[str, Any]:
    """Attributes for a pynamodb ``Meta`` class: table name from settings, host honouring the local endpoint."""
    settings = get_settings()
    meta: dict[str, Any] = {"table_name": settings.table_name(logical_id), "region": settings.aws_region}
    if settings.aws_endpoint_url:
        meta["host"] = settings.aws_endpoint_url
    return meta


def bind_model(model_cls: Any, logical_id: str) -> Any:
    """Point a pynamodb model at its table (name and host from settings) before first use; returns the class."""
    for key, value in dynamodb_model_meta(logical_id).items():
        setattr(model_cls.Meta, key, value)
    model_cls._connection = None  # pynamodb caches the connection per class; rebuild it with the new host
    return model_cls
