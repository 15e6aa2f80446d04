"""Identity, one building block for every service.

A request carries either an API key (public programmatic use) or a JWT (Cognito user pool in AWS, the local
development issuer in `make run`), verified here against a JWKS into a ``Principal`` with roles. Agencies are
identified by the queue their message arrived on, never by what the message claims.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Mapping, Protocol

import jwt

from customs.config import get_settings
from customs.errors import ApiError, forbidden, unauthorized


class Role(str, Enum):
    PUBLIC = "public"
    API_CLIENT = "api_client"
    COMPANY_USER = "company_user"
    CUSTOMS_OFFICER = "customs_officer"
    AGENCY = "agency"


# Cognito groups (and the dev issuer's `cognito:groups` claim) that grant a role.
GROUP_ROLES: dict[str, Role] = {"customs-officers": Role.CUSTOMS_OFFICER, "company-users": Role.COMPANY_USER}
COMPANY_CLAIM = "custom:company_id"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    auth_method: str  # "anonymous" | "api_key" | "jwt" | "queue"
    company_id: str | None = None
    agency_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def require(self, *roles: Role) -> None:
        """Raise 403 unless the principal holds one of ``roles``."""
        if not any(role in self.roles for role in roles):
            raise forbidden(f"requires one of roles: {', '.join(r.value for r in roles)}")

    def require_company(self, company_id: str) -> None:
        """Officers see every company; a company user only its own."""
        if self.has(Role.CUSTOMS_OFFICER):
            return
        if not (self.has(Role.COMPANY_USER) and self.company_id == company_id):
            raise forbidden("this company's data belongs to another principal")


ANONYMOUS = Principal(subject="anonymous", roles=frozenset({Role.PUBLIC}), auth_method="anonymous")


@dataclass(frozen=True)
class ApiClient:
    client_id: str
    name: str
    plan: str = "basic"
    enabled: bool = True


class ApiKeyStore(Protocol):
    def find_by_hash(self, key_hash: str) -> ApiClient | None: ...


def hash_api_key(api_key: str) -> str:
    """Keys are stored only as SHA-256 hashes, so a table leak does not leak keys."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


class JwtVerifier:
    """Verifies RS256 JWTs against a JWKS (keys fetched once and cached by PyJWKClient)."""

    def __init__(self, jwks_url: str, issuer: str, audience: str | None = None) -> None:
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> dict:
        try:
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            options = {"require": ["exp", "iss", "sub"], "verify_aud": self._audience is not None}
            return jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                issuer=self._issuer,
                audience=self._audience,
                options=options,
                leeway=30,
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise ApiError(503, "identity_unavailable", "the identity provider's keys could not be fetched; retry", headers={"Retry-After": "5"}) from exc
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            raise unauthorized(f"invalid token: {exc}") from exc


def principal_from_claims(claims: Mapping[str, object]) -> Principal:
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = [groups]
    roles = {Role.PUBLIC} | {GROUP_ROLES[g] for g in groups if g in GROUP_ROLES}  # type: ignore[union-attr]
    company_id = claims.get(COMPANY_CLAIM)
    if Role.COMPANY_USER in roles and not company_id:
        roles.discard(Role.COMPANY_USER)  # a company user without a company can act for nobody
    return Principal(
        subject=str(claims["sub"]),
        roles=frozenset(roles),
        auth_method="jwt",
        company_id=str(company_id) if company_id else None,
    )


@lru_cache(maxsize=1)
def default_jwt_verifier() -> JwtVerifier | None:
    settings = get_settings()
    if not (settings.jwks_url and settings.jwt_issuer):
        return None
    return JwtVerifier(settings.jwks_url, settings.jwt_issuer, settings.jwt_audience)


def authenticate(
    headers: Mapping[str, str],
    *,
    api_keys: ApiKeyStore | None,
    verifier: JwtVerifier | None,
) -> Principal:
    """Resolve request headers into a principal. No credentials → the anonymous public principal."""
    lowered = {k.lower(): v for k, v in headers.items()}
    authorization = lowered.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Authorization header must be 'Bearer <token>'")
        if verifier is None:
            raise ApiError(503, "identity_unavailable", "no token issuer is configured")
        return principal_from_claims(verifier.verify(token.strip()))
    api_key = lowered.get("x-api-key", "")
    if api_key:
        if api_keys is None:
            raise ApiError(503, "identity_unavailable", "no API key store is configured")
        client = api_keys.find_by_hash(hash_api_key(api_key))
        if client is None or not client.enabled:
            raise unauthorized("unknown or disabled API key")
        return Principal(
            subject=f"api-client:{client.client_id}",
            roles=frozenset({Role.PUBLIC, Role.API_CLIENT}),
            auth_method="api_key",
            attributes={"plan": client.plan, "name": client.name},
        )
    return ANONYMOUS


def agency_for_queue(queue_arn_or_name: str, agency_by_queue: Mapping[str, str]) -> Principal:
    """An agency is who owns the queue a message arrived on (CDK lets only that agency's principal send to it)."""
    queue_name = queue_arn_or_name.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    agency_id = agency_by_queue.get(queue_name)
    if agency_id is None:
        raise forbidden(f"queue {queue_name} belongs to no known agency")
    return Principal(subject=f"agency:{agency_id}", roles=frozenset({Role.AGENCY}), auth_method="queue", agency_id=agency_id)

