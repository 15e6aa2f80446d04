"""Lexical (word and word-pair) scorer fused with the neural scores.

Why: the int8 MiniLM encoder keeps its word embeddings frozen, so rare but decisive words (a species, a chemical,
a part name that appears verbatim in the tariff or the trade-names index) weigh less than they should. A sparse
TF-IDF match over each label's training texts puts them back. Built by ``scripts/train_classifier.py`` from the
same training rows as the model (never from evaluation data) and stored as ``lexical.npz``; numpy only, so the
serving image needs nothing more.

Each HS6 label is one "document": the sum of the sublinear TF-IDF vectors of its training texts, L2-normalised
(a centroid). A query's score for a label is the cosine between the query's TF-IDF vector and that centroid.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+")


def terms(text: str) -> list[str]:
    """Lower-cased alphanumeric words and adjacent word pairs ("frozen", "tuna", "frozen tuna")."""
    words = _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def _tf(text: str, vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    counts = Counter(vocab[t] for t in terms(text) if t in vocab)
    ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float32, count=len(counts))
    return ids, tf


class LexicalIndex:
    """Term -> (labels, weights) postings of the label centroids, plus the idf of each term."""

    def __init__(self, vocab: Sequence[str], idf: np.ndarray, indptr: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                 n_labels: int) -> None:
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.terms = list(vocab)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.n_labels = int(n_labels)

    # ------------------------------------------------------------------ scoring
    def query_vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        ids, tf = _tf(text, self.vocab)
        if not len(ids):
            return ids, tf
        w = tf * self.idf[ids]
        return ids, w / max(float(np.linalg.norm(w)), 1e-12)

    def scores(self, text: str) -> np.ndarray:
        """Cosine of the text to every label centroid (zeros when no known term)."""
        out = np.zeros(self.n_labels, dtype=np.float32)
        ids, w = self.query_vector(text)
        for term_id, weight in zip(ids, w):
            lo, hi = self.indptr[term_id], self.indptr[term_id + 1]
            out[self.labels[lo:hi]] += weight * self.weights[lo:hi]
        return out

    # ------------------------------------------------------------------ build / save / load
    @classmethod
    def build(cls, texts: Iterable[str], label_ids: Iterable[int], n_labels: int, min_df: int = 2) -> "LexicalIndex":
        texts, label_ids = list(texts), list(label_ids)
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(terms(text)))
        vocab = sorted(t for t, c in df.items() if c >= min_df)
        index = {t: i for i, t in enumerate(vocab)}
        n_docs = len(texts)
        idf = np.array([math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in vocab], dtype=np.float32)
        # Per-label sum of L2-normalised sublinear TF-IDF row vectors, then L2-normalised (the centroid).
        acc: list[dict[int, float]] = [dict() for _ in range(n_labels)]
        for text, label in zip(texts, label_ids):
            ids, tf = _tf(text, index)
            if not len(ids):
                continue
            w = tf * idf[ids]
            w /= max(float(np.linalg.norm(w)), 1e-12)
            bucket = acc[label]
            for i, v in zip(ids.tolist(), w.tolist()):
                bucket[i] = bucket.get(i, 0.0) + v
        postings: list[list[tuple[int, float]]] = [[] for _ in vocab]
        for label, bucket in enumerate(acc):
            if not bucket:
                continue
            norm = math.sqrt(sum(v * v for v in bucket.values()))
            for i, v in bucket.items():
                postings[i].append((label, v / norm))
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(p) for p in postings])
        labels = np.array([lab for p in postings for lab, _ in p], dtype=np.int64)
        weights = np.array([w for p in postings for _, w in p], dtype=np.float32)
        return cls(vocab, idf, indptr, labels, weights, n_labels)

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            vocab=np.array("\n".join(self.terms)),
            idf=self.idf.astype(np.float16),
            indptr=self.indptr.astype(np.uint32),
            labels=self.labels.astype(np.uint16 if self.n_labels < 65536 else np.uint32),
            weights=self.weights.astype(np.float16),
            n_labels=np.array(self.n_labels),
        )

    @classmethod
    def load(cls, path: str | Path) -> "LexicalIndex":
        with np.load(path) as z:
            vocab = str(z["vocab"]).split("\n")
            return cls(vocab, z["idf"], z["indptr"], z["labels"], z["weights"], int(z["n_labels"]))
