"""In-memory adapters of the tariff API, for unit tests only."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

from functions.tariff_api.chalicelib.sessions import SessionConflict, StoredSession


class CannedClassifier:
    def __init__(self, candidates: list[dict], read_as: str | None = None):
        self.candidates = candidates
        self.read_as = read_as
        self.calls: list[dict] = []

    def classify(self, payload: dict) -> dict:
        self.calls.append(payload)
        return {"model_version": "test", "results": [{"text": payload["text"], "read_as": self.read_as, "candidates": self.candidates}]}


class InMemorySessions:
    def __init__(self) -> None:
        self.items: dict[str, StoredSession] = {}
        self._next = 0

    def create(self, state: dict) -> StoredSession:
        self._next += 1
        session = StoredSession(f"{self._next:032x}", 1, copy.deepcopy(state), datetime.now(timezone.utc) + timedelta(hours=1))
        self.items[session.session_id] = session
        return copy.deepcopy(session)

    def get(self, session_id: str) -> StoredSession | None:
        return copy.deepcopy(self.items.get(session_id))

    def save(self, session: StoredSession) -> StoredSession:
        if self.items[session.session_id].version != session.version:
            raise SessionConflict(session.session_id)
        saved = StoredSession(session.session_id, session.version + 1, copy.deepcopy(session.state), session.expires_at)
        self.items[session.session_id] = saved
        return copy.deepcopy(saved)
