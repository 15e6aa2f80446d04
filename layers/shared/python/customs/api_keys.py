"""API keys of public programmatic users, stored hashed in DynamoDB (table ``api_clients``)."""

from __future__ import annotations

import secrets

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.models import Model

from customs.aws import bind_model
from customs.identity import ApiClient, hash_api_key


class ApiClientRecord(Model):
    class Meta:
        table_name = "unbound"  # bound from settings by ``bind_model``

    key_hash = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    plan = UnicodeAttribute(default="basic")
    enabled = BooleanAttribute(default=True)


class DynamoApiKeyStore:
    """ApiKeyStore backed by DynamoDB; the table is bound on first use, not at import."""

    def __init__(self) -> None:
        self._model = bind_model(ApiClientRecord, "api_clients")

    def find_by_hash(self, key_hash: str) -> ApiClient | None:
        try:
            record = self._model.get(key_hash)
        except self._model.DoesNotExist:
            return None
        return ApiClient(client_id=record.client_id, name=record.name, plan=record.plan, enabled=record.enabled)

    def issue(self, client_id: str, name: str, plan: str = "basic") -> str:
        """Create a key for a client; the plain key is returned once and never stored."""
        api_key = "sk_" + secrets.token_urlsafe(24)
        self._model(hash_api_key(api_key), client_id=client_id, name=name, plan=plan, enabled=True).save()
        return api_key
