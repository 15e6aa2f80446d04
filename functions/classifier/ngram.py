"""A bag-of-words classifier beside the encoder (fastText-style): words and adjacent word pairs of the text, each
known one a small vector (the vocabulary: those seen at least ``--min-count`` times in the training texts); the text's
vector is their mean, and one linear layer gives a log-probability per HS6 subheading.

Why: the encoder reads a text as a whole and blurs single decisive words; the word index (``lexical.py``) puts them
back by TF-IDF similarity, which weighs a word by its rarity, not by what it tells about the code. This model is
trained on the encoder's training rows and views (``scripts/train_ngram.py``) to weigh each word and word pair by
how much it decides the code, and its log-probabilities are added to the engine's scores (``ngram_weight``). Numpy
only, as the rest of the served path. (Hashing every feature into 65,536 buckets instead, to store no vocabulary,
lost 10 points of held-out accuracy to collisions at the same size: docs/model.md, round 16.)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from functions.classifier.encoder import quantize_rows
from functions.classifier.textprep import expand_abbreviations, normalize_query

FILE_NAME = "ngram.npz"
_WORD = re.compile(r"[a-z0-9]+")
_QUANTITY = re.compile(r"\d+(?:mm|cm|m|ml|l|g|kg|t|w|kw|v|a|cc|hp|pcs)")


def words(text: str) -> list[str]:
    """Lower-cased words of the text as the engine reads it (catalogue abbreviations written out), as the word index
    splits them. Part and model numbers ("86513", "2s000", "sm-g991b": five or more characters, three or more of them
    digits) say nothing about the goods and would only fill buckets: dropped, but quantities ("1000w", "500ml") kept."""
    found = _WORD.findall(expand_abbreviations(normalize_query(text)).lower())
    return [w for w in found if len(w) < 5 or sum(c.isdigit() for c in w) < 3 or _QUANTITY.fullmatch(w)]


def features(text: str) -> list[str]:
    """Each word ("w:...") and each adjacent word pair ("b:... ...") of the text."""
    found = words(text)
    return [f"w:{w}" for w in found] + [f"b:{a} {b}" for a, b in zip(found, found[1:])]


def feature_rows(text: str, vocab: dict[str, int]) -> list[int]:
    """The rows of the text's known features (none: the model answers with its prior)."""
    return [vocab[f] for f in features(text) if f in vocab]


def quantize4(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric 4-bit per row (values -7..7, held in int8), with float16 scales: the word vectors are averaged over a
    text's words, so their rounding averages out; 4 bits halve the model's bulk (docs/model.md, round 16)."""
    scales = np.maximum(np.abs(matrix).max(1), 1e-8) / 7.0
    return np.clip(np.round(matrix / scales[:, None]), -7, 7).astype(np.int8), scales.astype(np.float16)


def pack4(values: np.ndarray) -> np.ndarray:
    """Two 4-bit values (-7..7) per byte: even columns in the low half, odd ones in the high half."""
    shifted = (values + 8).astype(np.uint8)
    return shifted[:, 0::2] | (shifted[:, 1::2] << 4)


def unpack4(packed: np.ndarray) -> np.ndarray:
    out = np.empty((packed.shape[0], packed.shape[1] * 2), dtype=np.int8)
    out[:, 0::2] = (packed & 0x0F).astype(np.int8) - 8
    out[:, 1::2] = (packed >> 4).astype(np.int8) - 8
    return out


class NgramClassifier:
    """The served model: word and word-pair vectors (4-bit), the output layer (int8 rows) and its bias."""

    def __init__(self, vocab: list[str], table: np.ndarray, table_scales: np.ndarray, weights: np.ndarray,
                 weight_scales: np.ndarray, bias: np.ndarray) -> None:
        self.terms = list(vocab)
        self.vocab = {f: i for i, f in enumerate(self.terms)}
        self.table = np.asarray(table, dtype=np.int8)
        self.table_scales = np.asarray(table_scales, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32) * np.asarray(weight_scales, dtype=np.float32)[:, None]
        self.bias = np.asarray(bias, dtype=np.float32)

    @classmethod
    def from_float(cls, vocab: list[str], table: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> "NgramClassifier":
        t, ts = quantize4(np.asarray(table, dtype=np.float32))
        w, ws = quantize_rows(np.asarray(weights, dtype=np.float32))
        return cls(vocab, t, ts, w, ws.astype(np.float16), bias)  # the scales as stored

    def hidden(self, text: str) -> np.ndarray:
        rows = feature_rows(text, self.vocab)
        if not rows:
            return np.zeros(self.table.shape[1], dtype=np.float32)
        return (self.table[rows].astype(np.float32) * self.table_scales[rows, None]).mean(0)

    def log_probs(self, text: str) -> np.ndarray:
        """log P(HS6 | words of the text), one value per label of the model's label map."""
        z = self.weights @ self.hidden(text) + self.bias
        z -= z.max()
        return z - np.log(np.exp(z).sum())

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / FILE_NAME
        weights, weight_scales = quantize_rows(self.weights)
        vocab = np.frombuffer("\n".join(self.terms).encode("utf-8"), dtype=np.uint8)
        np.savez_compressed(path, vocab_utf8=vocab, table4=pack4(self.table), table_scales=self.table_scales.astype(np.float16),
                            weights=weights, weight_scales=weight_scales.astype(np.float16), bias=self.bias.astype(np.float16))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "NgramClassifier":
        with np.load(path) as z:
            vocab = bytes(z["vocab_utf8"]).decode("utf-8").split("\n")
            return cls(vocab, unpack4(z["table4"]), z["table_scales"], z["weights"], z["weight_scales"], z["bias"])
