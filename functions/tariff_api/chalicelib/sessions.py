"""Guided sessions in DynamoDB: TTL, resumable, and optimistic locking so two racing answers cannot both apply."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from customs.aws import bind_model

SESSION_TTL = timedelta(hours=24)


class SessionConflict(Exception):
    """The session changed since it was read (another answer won the race)."""


@dataclass
class StoredSession:
    session_id: str
    version: int
    state: dict[str, Any]
    expires_at: datetime


class SessionStore(Protocol):
    def create(self, state: dict[str, Any]) -> StoredSession: ...
    def get(self, session_id: str) -> StoredSession | None: ...
    def save(self, session: StoredSession) -> StoredSession:
        """Persist ``session.state`` if the stored version is still ``session.version``; else SessionConflict."""
        ...


class SessionRecord(Model):
    class Meta:
        table_name = "unbound"  # bound from settings by ``bind_model``

    session_id = UnicodeAttribute(hash_key=True)
    version = VersionAttribute()
    state = JSONAttribute()
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute()


class DynamoSessionStore:
    def __init__(self) -> None:
        self._model = bind_model(SessionRecord, "classification_sessions")

    def create(self, state: dict[str, Any]) -> StoredSession:
        now = datetime.now(timezone.utc)
        state = {**state, "created_at": now.isoformat()}
        record = self._model(uuid.uuid4().hex, state=state, created_at=state["created_at"], expires_at=now + SESSION_TTL)
        record.save()
        return StoredSession(record.session_id, record.version, state, record.expires_at)

    def get(self, session_id: str) -> StoredSession | None:
        try:
            record = self._model.get(session_id, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        if record.expires_at <= datetime.now(timezone.utc):  # DynamoDB deletes expired items lazily
            return None
        return StoredSession(record.session_id, record.version, record.state, record.expires_at)

    def save(self, session: StoredSession) -> StoredSession:
        record = self._model(
            session.session_id,
            version=session.version,
            state=session.state,
            created_at=session.state.get("created_at", ""),
            expires_at=datetime.now(timezone.utc) + SESSION_TTL,  # an active session stays alive
        )
        try:
            record.save()  # VersionAttribute: conditional on the stored version == session.version
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise SessionConflict(session.session_id) from exc
            raise
        return StoredSession(record.session_id, record.version, session.state, record.expires_at)
