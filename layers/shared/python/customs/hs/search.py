"""Small BM25 index for short tariff texts (pure Python + numpy, no external search engine).

Why BM25F-like weighted fields: a subheading's own words must outrank the words it inherits from its
heading and chapter, and words after "other than" / "excluding" must barely count, otherwise the query
"smartphone" would rank "Telephone sets; other than smartphones" as high as 8517.13.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["Bm25Index", "WeightedField", "tokenize"]

_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
_COMPOUND_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)+", re.UNICODE)
_STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in", "into", "is", "it", "its", "of", "on", "or", "other", "others", "than", "that", "the", "their", "them", "then", "there", "these", "this", "those", "to", "was", "were", "which", "with", "whether", "not", "nor", "such", "any", "all", "etc", "nec", "neither"]
)
# Spans that describe what a line is NOT; they start at the marker and run to the next ; , or ).
_NEGATION_RE = re.compile(
    r"\b(?:other than|excluding|excl\.?|except|not including|without)\b[^;,)]*", re.IGNORECASE
)
NEGATED_WEIGHT = 0.1


def _fold(text: str) -> str:
    """Lower case without accents, so 'Café' matches 'cafe'."""
    text = text.lower()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _stem(token: str) -> str:
    """Very light English plural stemming: enough for 'bicycles' -> 'bicycle', 'batteries' -> 'battery'."""
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "shes", "ches", "xes", "zes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokenize(text: str) -> list[str]:
    """Search tokens of ``text``: folded, stemmed, stop words and single letters removed; a hyphenated
    compound also yields its joined form ("T-shirts" -> t, shirt, tshirt) so it can match exactly."""
    folded = _fold(text)
    raw = _TOKEN_RE.findall(folded) + [m.replace("-", "") for m in _COMPOUND_RE.findall(folded)]
    return [_stem(t) for t in raw if t not in _STOPWORDS and (len(t) > 1 or t.isdigit())]


@dataclass(frozen=True, slots=True)
class WeightedField:
    """A piece of a document's text and how much its words count."""

    text: str
    weight: float = 1.0


@lru_cache(maxsize=16384)
def _text_terms(text: str) -> tuple[tuple[str, float], ...]:
    """Unit-weight term frequencies of one text, words in negated spans counting NEGATED_WEIGHT.
    Cached because heading and chapter texts recur in every child document."""
    terms: dict[str, float] = {}
    negated = " ".join(m.group(0) for m in _NEGATION_RE.finditer(text))
    for part, weight in ((_NEGATION_RE.sub(" ", text), 1.0), (negated, NEGATED_WEIGHT)):
        for token in tokenize(part):
            terms[token] = terms.get(token, 0.0) + weight
    return tuple(terms.items())


def _weighted_terms(fields: Iterable[WeightedField]) -> dict[str, float]:
    """Term frequencies of a document, each occurrence counting its field weight."""
    terms: dict[str, float] = {}
    for field in fields:
        for token, tf in _text_terms(field.text):
            terms[token] = terms.get(token, 0.0) + tf * field.weight
    return terms


class Bm25Index:
    """Okapi BM25 over weighted-field documents; scores are precomputed per posting so a query is a
    few numpy additions (well under a millisecond for the 6,940 HS texts)."""

    def __init__(self, documents: Sequence[Sequence[WeightedField]], k1: float = 1.2, b: float = 0.75) -> None:
        doc_terms = [_weighted_terms(fields) for fields in documents]
        self.size = len(doc_terms)
        lengths = np.array([sum(t.values()) for t in doc_terms], dtype=np.float64)
        avg_length = float(lengths.mean()) if self.size and lengths.mean() > 0 else 1.0
        norm = k1 * (1.0 - b + b * lengths / avg_length)
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for doc_id, terms in enumerate(doc_terms):
            for term, tf in terms.items():
                ids, tfs = postings.setdefault(term, ([], []))
                ids.append(doc_id)
                tfs.append(tf)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (ids, tfs) in postings.items():
            id_array = np.asarray(ids, dtype=np.int32)
            tf_array = np.asarray(tfs, dtype=np.float64)
            idf = np.log(1.0 + (self.size - len(ids) + 0.5) / (len(ids) + 0.5))
            self._postings[term] = (id_array, idf * tf_array * (k1 + 1.0) / (tf_array + norm[id_array]))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros where no query term occurs)."""
        scores = np.zeros(self.size, dtype=np.float64)
        for term in dict.fromkeys(tokenize(query)):
            posting = self._postings.get(term)
            if posting is not None:
                scores[posting[0]] += posting[1]
        return scores

    def top(self, query: str, limit: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Best ``limit`` (doc id, score) pairs with a positive score, ties broken by doc id."""
        scores = self.scores(query)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        if limit <= 0 or candidates.size == 0:
            return []
        order = np.lexsort((candidates, -scores[candidates]))[:limit]
        return [(int(candidates[i]), float(scores[candidates[i]])) for i in order]
