"""Pure inference pieces of the classifier (no AWS / Powertools imports, so training can use them):
the int8 ONNX sentence encoder and the scorer that turns an embedding into HS6 probabilities.

The encoder runs ONE text per ONNX call: dynamic int8 quantization computes activation scales per
call, so padding a text into a batch changes its embedding. Serving, evaluation, the k-NN index and
calibration all go through :meth:`OnnxEncoder.encode`, so every measured number is the served path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def quantize_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row (unit vectors lose < 0.5 % of a cosine): (int8 matrix, float32 scales)."""
    scales = np.maximum(np.abs(matrix).max(1), 1e-8) / 127.0
    return np.clip(np.round(matrix / scales[:, None]), -127, 127).astype(np.int8), scales.astype(np.float32)


def _save_int8_rows(folder: Path, stem: str, matrix: np.ndarray) -> np.ndarray:
    """Write a matrix of unit vectors as ``stem.npy`` (int8) + ``stem_scales.npy``; returns what a load gives back."""
    q, scales = quantize_rows(np.asarray(matrix, dtype=np.float32))
    np.save(Path(folder) / f"{stem}.npy", q)
    np.save(Path(folder) / f"{stem}_scales.npy", scales)
    return q.astype(np.float32) * scales[:, None]


def _load_rows(folder: Path, stem: str) -> np.ndarray:
    """float32 rows of ``stem.npy``: int8 + scales, or the fp16 of earlier model versions."""
    matrix = np.load(Path(folder) / f"{stem}.npy")
    if matrix.dtype == np.int8:
        return matrix.astype(np.float32) * np.load(Path(folder) / f"{stem}_scales.npy").astype(np.float32)[:, None]
    return matrix.astype(np.float32)


def save_prototypes(folder: Path, prototypes: np.ndarray) -> np.ndarray:
    """Write the HS6 label vectors as int8 + scales; returns the dequantized matrix that the engine will load."""
    return _save_int8_rows(folder, "labels_hs6", prototypes)


def load_prototypes(folder: Path) -> np.ndarray:
    """HS6 label vectors as float32."""
    return _load_rows(folder, "labels_hs6")


def save_heading_vectors(folder: Path, vectors: np.ndarray) -> np.ndarray:
    """Write the trained HS4 (heading) head as int8 + scales; returns what the engine will load."""
    return _save_int8_rows(folder, "labels_hs4", vectors)


def load_heading_vectors(folder: Path) -> np.ndarray | None:
    """HS4 head as float32, or None for model versions exported without it."""
    return _load_rows(folder, "labels_hs4") if (Path(folder) / "labels_hs4.npy").exists() else None


class OnnxEncoder:
    def __init__(self, model_path: str | Path, tokenizer_path: str | Path, threads: int = 1) -> None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()

    def encode(self, text: str) -> np.ndarray:
        """L2-normalised float32 embedding of one (already normalised) text."""
        enc = self.tokenizer.encode(text)
        ids = np.asarray([enc.ids], dtype=np.int64)
        mask = np.asarray([enc.attention_mask], dtype=np.int64)
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0][0]


class Scorer:
    """HS6 probabilities = softmax(fused / temperature), where ``fused`` mixes the cosine to each HS6
    label prototype with a k-NN score over training texts ("exemplars") of the best candidate labels:
    for a candidate label, the best cosine of one of its exemplars (labels without an exemplar among
    the candidates keep their prototype score). With a heading head (the HS4 vectors trained beside
    the HS6 ones), each HS6 also gets ``heading_weight`` x the cosine to its heading's vector: a second
    opinion on the heading, learned from all the heading's texts together."""

    K = 10  # exemplars returned as evidence
    CANDIDATES = 48  # labels whose exemplars are searched

    def __init__(self, prototypes: np.ndarray, exemplars: np.ndarray | None, exemplar_labels: np.ndarray | None,
                 temperature: float = 0.05, knn_weight: float = 0.0, segment_weight: float = 0.0,
                 lexical_weight: float = 0.0, headings: np.ndarray | None = None, heading_of: np.ndarray | None = None,
                 heading_weight: float = 0.0) -> None:
        self.prototypes = np.ascontiguousarray(prototypes, dtype=np.float32)
        self.headings = None if headings is None else np.ascontiguousarray(headings, dtype=np.float32)
        self.heading_of = None if heading_of is None else np.asarray(heading_of, dtype=np.int64)
        self.heading_weight = float(heading_weight) if self.headings is not None and self.heading_of is not None else 0.0
        self.temperature = float(temperature)
        self.segment_weight = float(segment_weight)
        self.lexical_weight = float(lexical_weight)
        self.knn_weight = float(knn_weight) if exemplars is not None and len(exemplars) else 0.0
        n_labels = len(self.prototypes)
        if exemplars is not None and len(exemplars):
            order = np.argsort(exemplar_labels, kind="stable")
            self.ex_order = order
            self.exemplars = np.ascontiguousarray(exemplars[order], dtype=np.float32)
            self.ex_labels = np.asarray(exemplar_labels)[order]
            self.offsets = np.searchsorted(self.ex_labels, np.arange(n_labels + 1))
        else:
            self.ex_order = np.zeros(0, dtype=np.int64)
            self.exemplars = np.zeros((0, self.prototypes.shape[1]), dtype=np.float32)
            self.ex_labels = np.zeros(0, dtype=np.int64)
            self.offsets = np.zeros(n_labels + 1, dtype=np.int64)

    def fused(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fused scores for one embedding, plus (exemplar rows, their cosines) of the candidate labels."""
        proto = self.prototypes @ q
        if self.heading_weight:
            proto = proto + self.heading_weight * (self.headings @ q)[self.heading_of]
        if not self.knn_weight and not len(self.exemplars):
            return proto, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cand = np.argpartition(-proto, self.CANDIDATES)[: self.CANDIDATES]
        rows = np.concatenate([np.arange(self.offsets[c], self.offsets[c + 1]) for c in cand])
        sims = self.exemplars[rows] @ q if len(rows) else np.zeros(0, dtype=np.float32)
        fused = proto.copy()
        if len(rows) and self.knn_weight:
            best = np.full(len(proto), -np.inf, dtype=np.float32)
            np.maximum.at(best, self.ex_labels[rows], sims)
            has = np.isfinite(best)
            fused[has] = (1 - self.knn_weight) * proto[has] + self.knn_weight * best[has]
        return fused, rows, sims

    def combine(self, fused: np.ndarray, segment_fused: np.ndarray | None = None, lexical: np.ndarray | None = None,
                segment_lexical: np.ndarray | None = None) -> np.ndarray:
        """Final scores: the neural scores of the whole text, averaged with those of the declaration's first
        field (weight ``segment_weight``) when it has several fields, plus ``lexical_weight`` x the lexical
        cosine, itself averaged the same way with the first field's when that is given (brand, model and origin
        words pull the word match away from the goods as they pull the embedding). Weights and temperature are
        fitted together on held-out data by the training script."""
        total = fused
        if segment_fused is not None and self.segment_weight:
            total = (fused + self.segment_weight * segment_fused) / (1.0 + self.segment_weight)
            if lexical is not None and segment_lexical is not None:
                lexical = (lexical + self.segment_weight * segment_lexical) / (1.0 + self.segment_weight)
        if lexical is not None and self.lexical_weight:
            total = total + self.lexical_weight * lexical
        return total

    def softmax(self, fused: np.ndarray, temperature: float | None = None) -> np.ndarray:
        z = fused / (temperature or self.temperature)
        z = np.exp(z - z.max())
        return z / z.sum()

    def probabilities(self, queries: np.ndarray) -> np.ndarray:
        """Row-wise probabilities for a matrix of embeddings (used for calibration/evaluation)."""
        return np.stack([self.softmax(self.fused(q)[0]) for q in queries])
