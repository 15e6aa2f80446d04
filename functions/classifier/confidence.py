"""Fitting the softmax temperature that turns final scores into probabilities (numpy only).

Used by the export (``scripts/train_classifier.py``, on held-out training rows, together with the scoring weights)
and by ``scripts/fit_confidence.py``, which refits the temperature alone on written declarations and harder views
of them, because the held-out rows are easier than real declarations (docs/model.md, Calibration). A temperature
never changes the ranking of the codes; only how sure the service says it is.
"""

from __future__ import annotations

import math

import numpy as np


def softmax_rows(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = np.exp(z - z.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def nll_and_accuracy(scores: np.ndarray, gold: np.ndarray, temperature: float) -> tuple[float, float]:
    """Mean negative log-likelihood of the gold labels and top-1 accuracy at one temperature."""
    probs = softmax_rows(scores, temperature)
    p_true = probs[np.arange(len(gold)), gold]
    return float(-np.log(np.clip(p_true, 1e-9, 1)).mean()), float((probs.argmax(1) == gold).mean())


def fit_temperature(scores: np.ndarray, gold: np.ndarray, low: float = 0.005, high: float = 0.3,
                    iterations: int = 14) -> tuple[float, float, float]:
    """(temperature, NLL, accuracy) minimising NLL: golden-section search of log temperature (NLL is unimodal in it)."""
    lo, hi = math.log(low), math.log(high)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll_and_accuracy(scores, gold, math.exp(a))[0], nll_and_accuracy(scores, gold, math.exp(b))[0]
    for _ in range(iterations):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll_and_accuracy(scores, gold, math.exp(a))[0]
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll_and_accuracy(scores, gold, math.exp(b))[0]
    temperature = math.exp((lo + hi) / 2)
    return temperature, *nll_and_accuracy(scores, gold, temperature)
