"""Settings read once from the environment.

Local and cloud differ only in these values (endpoint URLs, resource names), never in code paths. Resource
names are injected by CDK (and by the local runner) as ``CUSTOMS_TABLE_<ID>``, ``CUSTOMS_QUEUE_<ID>_URL`` and
``CUSTOMS_BUCKET_<ID>`` environment variables, where ``<ID>`` is the logical id from ``infra_cdk/resources.py``.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingResourceError(LookupError):
    """A resource name was asked for that the environment does not define (a wiring bug, not bad input)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTOMS_", extra="ignore", frozen=True)

    environment: str = "local"
    service_name: str = Field("customs", validation_alias=AliasChoices("POWERTOOLS_SERVICE_NAME", "CUSTOMS_SERVICE_NAME"))
    aws_region: str = Field("us-east-1", validation_alias=AliasChoices("CUSTOMS_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"))
    # Set locally to the emulator (moto server); unset in AWS so boto3 uses the real regional endpoints.
    aws_endpoint_url: str | None = None
    # Where `lambda.invoke` goes locally (the runner's invoke endpoint); unset in AWS.
    lambda_endpoint_url: str | None = None
    # Identity: JWT issuer (Cognito user pool URL in AWS, the runner's development issuer locally).
    jwt_issuer: str | None = None
    jwks_url: str | None = None
    jwt_audience: str | None = None
    # Function names other functions invoke (the classifier), injected by CDK / the runner.
    classifier_function_name: str = "classifier"
    classifier_timeout_s: float = 10.0
    # Public base URL of the open-data downloads (the CloudFront distribution; the gateway's /open-data locally).
    open_data_base_url: str | None = None

    def _resource(self, kind: str, logical_id: str, suffix: str = "") -> str:
        key = f"CUSTOMS_{kind}_{logical_id.upper()}{suffix}"
        value = os.environ.get(key)
        if not value:
            raise MissingResourceError(f"environment variable {key} is not set")
        return value

    def table_name(self, logical_id: str) -> str:
        return self._resource("TABLE", logical_id)

    def queue_url(self, logical_id: str) -> str:
        return self._resource("QUEUE", logical_id, "_URL")

    def bucket_name(self, logical_id: str) -> str:
        return self._resource("BUCKET", logical_id)

    def topic_arn(self, logical_id: str) -> str:
        return self._resource("TOPIC", logical_id, "_ARN")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()


def reset_settings_cache() -> None:
    """For tests and the local runner, which change the environment before handlers run."""
    get_settings.cache_clear()
