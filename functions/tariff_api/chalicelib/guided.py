"""Guided classification service: classifier prior → dialogue → session store."""

from __future__ import annotations

import re
from typing import Any

from customs.errors import ApiError, not_found, validation_error
from customs.events import EventPublisher
from customs.observability import MetricUnit, metrics
from functions.tariff_api.chalicelib.dialogue import DialogueEngine
from functions.tariff_api.chalicelib.sessions import SessionConflict, SessionStore, StoredSession

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
PRIOR_CANDIDATES = 100  # the classifier's top-k that seeds a session


class GuidedService:
    def __init__(self, classifier: Any, store: SessionStore, engine: DialogueEngine, events: EventPublisher | None = None) -> None:
        self._classifier = classifier
        self._store = store
        self._engine = engine
        self._events = events

    def start(self, text: str, lang: str = "en") -> dict[str, Any]:
        prediction = self._classifier.classify({"text": text, "top_k": PRIOR_CANDIDATES, "lang": lang})
        candidates = prediction["results"][0]["candidates"]
        state = self._engine.start(text, candidates, lang)
        state["model_version"] = prediction.get("model_version")
        state["read_as"] = prediction["results"][0].get("read_as")  # how the classifier read it (a translation, ...)
        session = self._store.create(state)
        metrics.add_metric(name="GuidedSessionStarted", unit=MetricUnit.Count, value=1)
        return self._view(session)

    def get(self, session_id: str) -> dict[str, Any]:
        return self._view(self._load(session_id))

    def answer(self, session_id: str, question_id: str, option_id: str, version: int | None) -> dict[str, Any]:
        session = self._load(session_id)
        if version is not None and version != session.version:
            raise ApiError(409, "version_conflict", f"session is at version {session.version}, not {version}; reload it", field="version")
        try:
            self._engine.answer(session.state, question_id, option_id)
        except ValueError as exc:
            field = "question_id" if "question" in str(exc) else "option_id"
            raise ApiError(409 if "finished" in str(exc) else 400, "invalid_answer", str(exc), field=field) from exc
        try:
            saved = self._store.save(session)
        except SessionConflict as exc:
            raise ApiError(409, "version_conflict", "another answer was applied to this session first; reload it", field="version") from exc
        view = self._view(saved)
        if saved.state["status"] == "done":
            metrics.add_metric(name="GuidedSessionFinished", unit=MetricUnit.Count, value=1)
            metrics.add_metric(name="GuidedQuestionsAsked", unit=MetricUnit.Count, value=len(saved.state["history"]))
            self._announce(view)
        return view

    def _announce(self, view: dict[str, Any]) -> None:
        """A finished session is training signal for the on-premises platform: description, answers, outcome."""
        if self._events is None:
            return
        result = view["result"]
        self._events.publish(
            "classification.session_finished",
            {
                "session_id": view["session_id"],
                "description": view["description"],
                "lang": view["lang"],
                "hs6": result["hs6"],
                "probability": result["probability"],
                "national_line": (result.get("national_line") or {}).get("code"),
                "answers": [{"question_id": h["question_id"], "answer_id": h["answer_id"]} for h in view["history"]],
                "model_version": view.get("model_version"),
            },
        )

    def _load(self, session_id: str) -> StoredSession:
        if not SESSION_ID.match(session_id):
            raise validation_error("session_id", "session_id must be 32 lower-case hex characters")
        session = self._store.get(session_id)
        if session is None:
            raise not_found("session", "session_id")
        return session

    def _view(self, session: StoredSession) -> dict[str, Any]:
        return {
            "session_id": session.session_id,
            "version": session.version,
            **self._engine.view(session.state),
            "model_version": session.state.get("model_version"),
            "expires_at": session.expires_at.isoformat(),
        }
