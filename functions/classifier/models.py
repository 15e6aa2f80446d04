"""Request and response shapes of the classifier Lambda (pydantic v2)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from functions.classifier.textprep import has_content, normalize_query

MAX_TEXT_CHARS = 2000
MAX_BATCH = 64
MAX_TOP_K = 100  # guided sessions seed their candidates with the top 100 (the public API caps callers at 20)
DEFAULT_TOP_K = 5


class RequestError(ValueError):
    """A bad request: mapped by the handler to ``{"error": {"code": "validation_error", ...}}``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ClassifyRequest(BaseModel):
    """A validated request: ``texts`` always holds the normalised texts (one for a ``text`` request)."""

    model_config = ConfigDict(frozen=True)
    texts: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    batch: bool = False
    lang: str | None = None
    top_k: int = Field(default=DEFAULT_TOP_K, ge=1, le=MAX_TOP_K)

    @classmethod
    def parse_event(cls, event: Any) -> ClassifyRequest:
        """Validate a raw Lambda event (``{"text"}`` or ``{"texts"}``, optional ``lang``/``top_k``);
        raise :class:`RequestError` naming the offending field. Never anything else."""
        if not isinstance(event, dict):
            raise RequestError("body", "the event must be a JSON object with 'text' or 'texts'")
        has_text, has_texts = "text" in event, "texts" in event
        if has_text == has_texts:
            raise RequestError("text", "give exactly one of 'text' (a string) or 'texts' (a list of strings)")
        if has_text:
            texts, batch = [_check_text(event["text"], "text")], False
        else:
            raw = event["texts"]
            if not isinstance(raw, list):
                raise RequestError("texts", "'texts' must be a list of strings")
            if not raw:
                raise RequestError("texts", "'texts' must hold at least one text")
            if len(raw) > MAX_BATCH:
                raise RequestError("texts", f"at most {MAX_BATCH} texts per request, got {len(raw)}")
            texts, batch = [_check_text(t, f"texts[{i}]") for i, t in enumerate(raw)], True
        lang = event.get("lang")
        if lang is not None and (not isinstance(lang, str) or not (2 <= len(lang) <= 8) or not lang.replace("-", "").isalpha()):
            raise RequestError("lang", "'lang' must be a language tag such as 'en'")
        top_k = event.get("top_k", DEFAULT_TOP_K)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
            raise RequestError("top_k", f"'top_k' must be an integer from 1 to {MAX_TOP_K}")
        return cls(texts=texts, batch=batch, lang=lang.lower() if lang else None, top_k=top_k)


def _check_text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise RequestError(field, f"'{field}' must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT_CHARS:
        raise RequestError(field, f"'{field}' is longer than {MAX_TEXT_CHARS} characters ({len(value)})")
    text = normalize_query(value)
    if not text:
        raise RequestError(field, f"'{field}' is empty")
    if not has_content(text):
        raise RequestError(field, f"'{field}' has no letters or digits")
    return text


class PathStep(BaseModel):
    level: str  # section | chapter | heading | subheading
    code: str
    description: str


class Candidate(BaseModel):
    hs6: str
    probability: float
    description: str
    path: list[PathStep]
    path_text: str


class CodeProbability(BaseModel):
    code: str
    probability: float


class NationalLineOut(BaseModel):
    code: str
    description: str
    self_describing_text: str
    schedule: str


class Evidence(BaseModel):
    text: str
    hs6: str
    source: str
    score: float


class TextResult(BaseModel):
    text: str
    read_as: str | None = None  # the English the model scored, when it is not the text as written (a translation, ...)
    candidates: list[Candidate]
    hs4: list[CodeProbability]
    hs2: list[CodeProbability]
    national_lines: list[NationalLineOut]
    evidence: list[Evidence]


class ClassifyResponse(BaseModel):
    model_version: str
    results: list[TextResult]
