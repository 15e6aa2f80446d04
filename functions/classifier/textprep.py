"""Text normalisation shared by training (scripts/train_classifier.py) and serving (engine.py), so the
served path sees text exactly as the model was trained on it. No third-party imports."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")
_REPEAT = re.compile(r"([^\w\s])\1{2,}")


def normalize_query(text: str) -> str:
    """NFKC, control characters to spaces, runs of repeated punctuation collapsed, whitespace squeezed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    text = _REPEAT.sub(r"\1", text)
    return _WS.sub(" ", text).strip()


def has_content(text: str) -> bool:
    """True when the text has at least one letter or digit (not only symbols/punctuation)."""
    return any(ch.isalnum() for ch in text)
