"""Lexical (word and word-pair) scorer fused with the neural scores.

Why: the small MiniLM encoder blurs rare but decisive words (a species, a chemical, a part name that appears
verbatim in the tariff or the trade-names index), so they weigh less than they should. A sparse
TF-IDF match over each label's training texts puts them back. Built by ``scripts/train_classifier.py`` from the
same training rows as the model (never from evaluation data) and stored as ``lexical.npz``; numpy only, so the
serving image needs nothing more.

Two views of the same TF-IDF vectors, and a label's score is the larger of the two:
- centroid: each HS6 label is one "document", the sum of the L2-normalised sublinear TF-IDF vectors of its training
  texts, L2-normalised again; the score is the cosine of the query to it;
- short rows: the best cosine of the query to one of the label's short training texts (trade names and own-line
  tariff texts of at most ``SHORT_ROW_WORDS`` words). Without it a one-word query such as "bicycle" matches the
  label whose texts all repeat the word ("bicycle saddle", "bicycle chain", ...: parts) better than the label
  that holds the word on its own.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from functions.classifier.textprep import CJK_CHARS

_TOKEN = re.compile(r"[a-z0-9]+")
_CJK_TOKEN = re.compile(f"[a-z0-9]+|[{CJK_CHARS}]+")
SHORT_ROW_WORDS = 8
ANALYZERS = ("words", "cjk")


def terms(text: str, analyzer: str = "words") -> list[str]:
    """``words``: lower-cased alphanumeric words and adjacent word pairs ("frozen", "tuna", "frozen tuna").
    ``cjk``: each run of Han/Hangul characters as its characters and character pairs ("冷凍蝦" -> 冷, 凍, 蝦, 冷凍,
    凍蝦), Latin words and numbers as they are ("12v", "pp")."""
    text = unicodedata.normalize("NFKC", text).lower()
    if analyzer == "cjk":
        out: list[str] = []
        for token in _CJK_TOKEN.findall(text):
            out += [token] if token[0].isascii() else [*token, *(token[i : i + 2] for i in range(len(token) - 1))]
        return out
    words = _TOKEN.findall(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def _single_character(term: str) -> bool:
    return len(term) == 1 and not term.isascii()


def _tf(text: str, vocab: dict[str, int], analyzer: str) -> tuple[np.ndarray, np.ndarray]:
    counts = Counter(vocab[t] for t in terms(text, analyzer) if t in vocab)
    ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float32, count=len(counts))
    return ids, tf


class LexicalIndex:
    """Term -> (labels, weights) postings of the label centroids, plus the idf of each term."""

    def __init__(self, vocab: Sequence[str], idf: np.ndarray, indptr: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                 n_labels: int, row_indptr: np.ndarray | None = None, row_ids: np.ndarray | None = None,
                 row_weights: np.ndarray | None = None, row_labels: np.ndarray | None = None, analyzer: str = "words",
                 row_norms: np.ndarray | None = None, row_counts: np.ndarray | None = None) -> None:
        if analyzer not in ANALYZERS:
            raise ValueError(f"unknown analyzer {analyzer!r}")
        self.analyzer = analyzer
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.terms = list(vocab)
        # cjk: which terms take part in short-name matches (character pairs and Latin words, not single characters)
        self.matches_rows = np.array([not _single_character(t) for t in self.terms], dtype=bool) if analyzer == "cjk" else None
        self.idf = np.asarray(idf, dtype=np.float32)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.n_labels = int(n_labels)
        self.row_indptr = np.asarray(row_indptr if row_indptr is not None else np.zeros(len(self.terms) + 1), dtype=np.int64)
        self.row_ids = np.asarray(row_ids if row_ids is not None else [], dtype=np.int64)
        self.row_weights = np.asarray(row_weights if row_weights is not None else [], dtype=np.float32)
        self.row_labels = np.asarray(row_labels if row_labels is not None else [], dtype=np.int64)
        # What the short-row weights are made of, when known (an index built here): each row's norm and each posting's
        # term count. Saved instead of the weights, which are then computed again at load (see save()).
        self.row_norms = None if row_norms is None else np.asarray(row_norms, dtype=np.float32)
        self.row_counts = None if row_counts is None else np.asarray(row_counts, dtype=np.uint16)  # counts within a short row: small

    # ------------------------------------------------------------------ scoring
    def query_vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        ids, tf = _tf(text, self.vocab, self.analyzer)
        if not len(ids):
            return ids, tf
        w = tf * self.idf[ids]
        return ids, w / max(float(np.linalg.norm(w)), 1e-12)

    def scores(self, text: str) -> np.ndarray:
        """Per label, the larger of the cosine to its centroid and the best cosine to one of its short rows
        (zeros when the text has no known term)."""
        out = np.zeros(self.n_labels, dtype=np.float32)
        ids, w = self.query_vector(text)
        if not len(ids):
            return out
        for term_id, weight in zip(ids, w):
            lo, hi = self.indptr[term_id], self.indptr[term_id + 1]
            out[self.labels[lo:hi]] += weight * self.weights[lo:hi]
        if self.matches_rows is not None:  # short names are matched on character pairs only: the query too, normalised over them
            pairs = self.matches_rows[ids]
            w = np.where(pairs, w, 0.0) / max(float(np.linalg.norm(w[pairs])), 1e-12) if pairs.any() else w * 0.0
        spans = [(self.row_indptr[t], self.row_indptr[t + 1], weight) for t, weight in zip(ids, w)]
        spans = [(lo, hi, weight) for lo, hi, weight in spans if hi > lo]
        if spans:
            rows = np.concatenate([self.row_ids[lo:hi] for lo, hi, _ in spans])
            vals = np.concatenate([weight * self.row_weights[lo:hi] for lo, hi, weight in spans])
            touched, inverse = np.unique(rows, return_inverse=True)
            row_scores = np.bincount(inverse, weights=vals).astype(np.float32)
            np.maximum.at(out, self.row_labels[touched], row_scores)
        return out

    # ------------------------------------------------------------------ build / save / load
    @classmethod
    def build(cls, texts: Iterable[str], label_ids: Iterable[int], n_labels: int, min_df: int = 2,
              analyzer: str = "words", short_rows: Iterable[bool] | None = None) -> "LexicalIndex":
        """With the ``cjk`` analyzer, single characters count in the label centroids but not in the short-row
        matches, where rows and queries are normalised over their character pairs: a shared character says little about
        two names being the same, an identical name still scores 1 (and the index stays small). ``short_rows``
        (one flag per text) can keep a text out of the short-row matches; it still counts in its label's centroid."""
        texts, label_ids = list(texts), list(label_ids)
        eligible = list(short_rows) if short_rows is not None else [True] * len(texts)
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(terms(text, analyzer)))
        vocab = sorted(t for t, c in df.items() if c >= min_df)
        index = {t: i for i, t in enumerate(vocab)}
        n_docs = len(texts)
        idf = np.array([math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in vocab], dtype=np.float32)
        # Per-label sum of L2-normalised sublinear TF-IDF row vectors, then L2-normalised (the centroid).
        acc: list[dict[int, float]] = [dict() for _ in range(n_labels)]
        def row_vector(text: str, pairs_only: bool = False) -> tuple[np.ndarray, np.ndarray, float, list[int]]:
            """The text's normalised TF-IDF entries on the vocabulary, the norm and the term counts. The norm counts the
            rare terms left out of the vocabulary too, so "bicycle mudguards" (with "mudguards" rare) is not taken for
            "bicycle". ``pairs_only`` (``cjk`` short names): the same on character pairs and Latin words, normalised
            over them."""
            counts = {t: c for t, c in Counter(terms(text, analyzer)).items() if not (pairs_only and _single_character(t))}
            ids = np.array([index[t] for t in counts if t in index], dtype=np.int64)
            all_w = {t: (1.0 + math.log(c)) * (math.log((1 + n_docs) / (1 + df[t])) + 1.0) for t, c in counts.items()}
            norm = math.sqrt(sum(v * v for v in all_w.values()))
            w = np.array([all_w[t] for t in counts if t in index], dtype=np.float32) / max(norm, 1e-12)
            return ids, w, max(norm, 1e-12), [counts[t] for t in counts if t in index]

        row_postings: list[list[tuple[int, float, int]]] = [[] for _ in vocab]
        row_labels: list[int] = []
        row_norms: list[float] = []
        for text, label, may_match in zip(texts, label_ids, eligible):
            ids, w, norm, term_counts = row_vector(text)
            if not len(ids):
                continue
            bucket = acc[label]
            for i, v in zip(ids.tolist(), w.tolist()):
                bucket[i] = bucket.get(i, 0.0) + v
            if may_match and len(text.split()) <= SHORT_ROW_WORDS:
                row_ids, row_w, norm, term_counts = (ids, w, norm, term_counts) if analyzer == "words" else row_vector(text, pairs_only=True)
                for i, v, c in zip(row_ids.tolist(), row_w.tolist(), term_counts):
                    row_postings[i].append((len(row_labels), v, c))
                row_labels.append(label)
                row_norms.append(norm)
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
        row_indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        row_indptr[1:] = np.cumsum([len(p) for p in row_postings])
        row_ids = np.array([r for p in row_postings for r, _, _ in p], dtype=np.int64)
        row_weights = np.array([w for p in row_postings for _, w, _ in p], dtype=np.float32)
        row_counts = np.array([c for p in row_postings for _, _, c in p], dtype=np.int64)
        return cls(vocab, idf, indptr, labels, weights, n_labels, row_indptr, row_ids, row_weights, np.array(row_labels, dtype=np.int64),
                   analyzer=analyzer, row_norms=np.array(row_norms, dtype=np.float32), row_counts=row_counts)

    def save(self, path: str | Path) -> None:
        """Compressed npz. Label-centroid weights (entries of L2-normalised vectors, so in [0, 1]) are stored as 8-bit
        codes (step 1/255, far below the score gaps that decide a label); short-row weights as each row's norm and the
        counts above 1 when the index was built here, else as 8-bit codes too; the vocabulary as UTF-8 bytes: this keeps
        the index small as the training texts grow (see docs/model.md, round 4). The integer arrays are packed
        (``_pack``): list offsets as list lengths, label and short-row ids as differences within each term's list
        (they increase there), each as byte planes, which compress far better than whole integers."""
        extra: dict[str, np.ndarray] = {"analyzer": np.array(self.analyzer)} if self.analyzer != "words" else {}
        if self.row_norms is not None and self.row_counts is not None:
            # The short-row weights are (1 + ln count) x idf / row norm: a norm per row and the few counts above 1 take a
            # third of the room of the weights themselves, and give them back more exactly than 8-bit codes.
            repeated = np.flatnonzero(self.row_counts > 1)
            extra.update(row_norms=self.row_norms.astype(np.float16), row_repeated=_pack(np.diff(repeated, prepend=0)),
                         row_repeated_counts=_pack(self.row_counts[repeated]))
        else:
            extra["row_weights"] = _to_codes(self.row_weights)
        np.savez_compressed(
            path,
            **extra,
            packed=np.array(1),
            vocab_utf8=np.frombuffer("\n".join(self.terms).encode("utf-8"), dtype=np.uint8),
            idf=self.idf.astype(np.float16),
            indptr=_pack(np.diff(self.indptr)),
            labels=_pack(_delta_encode(self.labels, self.indptr)),
            weights=_to_codes(self.weights),
            n_labels=np.array(self.n_labels),
            row_indptr=_pack(np.diff(self.row_indptr)),
            row_ids=_pack(_delta_encode(self.row_ids, self.row_indptr)),
            row_labels=_pack(self.row_labels),
        )

    @classmethod
    def load(cls, path: str | Path) -> "LexicalIndex":
        with np.load(path) as z:
            vocab = (bytes(z["vocab_utf8"]).decode("utf-8") if "vocab_utf8" in z.files else str(z["vocab"])).split("\n")
            analyzer = str(z["analyzer"]) if "analyzer" in z.files else "words"
            if "packed" in z.files:
                indptr = np.concatenate([[0], np.cumsum(_unpack(z["indptr"]))])
                row_indptr = np.concatenate([[0], np.cumsum(_unpack(z["row_indptr"]))])
                row_ids = _delta_decode(_unpack(z["row_ids"]), row_indptr)
                rows = {"row_indptr": row_indptr, "row_ids": row_ids, "row_labels": _unpack(z["row_labels"])}
                if "row_norms" in z.files:
                    counts = np.ones(len(row_ids), dtype=np.int64)
                    counts[np.cumsum(_unpack(z["row_repeated"]))] = _unpack(z["row_repeated_counts"])
                    norms = z["row_norms"].astype(np.float32)
                    term_of = np.repeat(np.arange(len(row_indptr) - 1), np.diff(row_indptr))  # ("" splits to [""]: no len(vocab))
                    rows.update(row_norms=norms, row_counts=counts,
                                row_weights=(1.0 + np.log(counts)) * z["idf"].astype(np.float32)[term_of] / norms[row_ids])
                else:
                    rows["row_weights"] = _from_codes(z["row_weights"])
                return cls(vocab, z["idf"], indptr, _delta_decode(_unpack(z["labels"]), indptr), _from_codes(z["weights"]),
                           int(z["n_labels"]), **rows, analyzer=analyzer)
            # indexes saved before the packed format
            rows = {k: z[k] for k in ("row_indptr", "row_ids", "row_weights", "row_labels")} if "row_ids" in z.files else {}
            if "row_weights" in rows:
                rows["row_weights"] = _from_codes(rows["row_weights"])
            if "row_ids_delta" in z.files:
                rows["row_ids"] = _delta_decode(rows["row_ids"], rows["row_indptr"])
            return cls(vocab, z["idf"], z["indptr"], z["labels"], _from_codes(z["weights"]), int(z["n_labels"]), **rows, analyzer=analyzer)


def _pack(values: np.ndarray) -> np.ndarray:
    """Non-negative integers as byte planes (least significant first), as many as the largest value needs: shape
    (bytes, n). Small numbers leave whole planes of zeros, which compress to almost nothing."""
    values = np.asarray(values, dtype=np.int64)
    n_bytes = max(1, (int(values.max()).bit_length() + 7) // 8) if len(values) else 1
    return np.ascontiguousarray(values.astype("<u8").view(np.uint8).reshape(-1, 8)[:, :n_bytes].T)


def _unpack(planes: np.ndarray) -> np.ndarray:
    planes = np.asarray(planes, dtype=np.int64)
    return (planes << (8 * np.arange(len(planes), dtype=np.int64))[:, None]).sum(0) if planes.size else np.zeros(planes.shape[-1], np.int64)


def _to_codes(weights: np.ndarray) -> np.ndarray:
    """Weights in [0, 1] as uint8 codes (round(w * 255))."""
    return np.clip(np.rint(np.asarray(weights, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def _from_codes(stored: np.ndarray) -> np.ndarray:
    """Inverse of _to_codes; float16/float32 arrays (indexes saved before round 4) pass through."""
    return stored.astype(np.float32) / 255.0 if stored.dtype == np.uint8 else stored.astype(np.float32)


def _delta_encode(ids: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Increasing ids within each [indptr[t], indptr[t+1]) list -> first id, then differences."""
    ids = np.asarray(ids, dtype=np.int64)
    deltas = np.diff(ids, prepend=0)
    starts = np.asarray(indptr[:-1], dtype=np.int64)
    starts = starts[starts < len(ids)]
    deltas[starts] = ids[starts]
    if (deltas < 0).any():
        raise ValueError("ids must increase within each list")
    return deltas


def _delta_decode(deltas: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    deltas = np.asarray(deltas, dtype=np.int64)
    if not len(deltas):
        return deltas
    total = np.cumsum(deltas)
    starts = np.asarray(indptr[:-1], dtype=np.int64)
    starts = starts[starts < len(deltas)]
    # subtract, for every element, the running total before its list started
    offset = np.zeros(len(deltas), dtype=np.int64)
    offset[starts] = total[starts] - deltas[starts]
    return total - np.maximum.accumulate(offset)
