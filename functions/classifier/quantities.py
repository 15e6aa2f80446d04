"""Quantities that decide subheadings: "cylinder capacity over 1000 but not over 1500cc", "of an output not exceeding
750W", "maximum take-off weight of not more than 250g". The encoder reads "1,598 cc" as tokens and cannot compare
it with a threshold, so the engine does the arithmetic: each HS 2022 subheading whose own text sets one interval on a
dimension (engine capacity, mass, power, apparent power, voltage, grammage) keeps it, and a description that
states a quantity of that dimension lowers the score of the subheadings whose interval it falls outside.

Only the thresholds are read from the nomenclature; nothing here is learned. Percentages (composition), lengths and
dimensions a subheading states twice are left alone: which quantity of the description they concern cannot be told
from the units (a plywood's 18 mm is its thickness, a foil's 30 cm its width, a belt's 2,035 mm its circumference;
on the written declarations lengths broke more rows than they mended).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# unit (lower case) -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, float]] = {
    "cc": ("engine", 1.0), "cm3": ("engine", 1.0), "cm³": ("engine", 1.0),
    "mg": ("mass", 1e-3), "g": ("mass", 1.0), "kg": ("mass", 1e3), "kgs": ("mass", 1e3),
    "tonne": ("mass", 1e6), "tonnes": ("mass", 1e6), "ton": ("mass", 1e6), "tons": ("mass", 1e6),
    "lb": ("mass", 453.6), "lbs": ("mass", 453.6),
    "w": ("power", 1.0), "watt": ("power", 1.0), "watts": ("power", 1.0), "kw": ("power", 1e3), "hp": ("power", 745.7),
    "va": ("apparent_power", 1.0), "kva": ("apparent_power", 1e3),
    "v": ("voltage", 1.0), "volt": ("voltage", 1.0), "volts": ("voltage", 1.0), "kv": ("voltage", 1e3),
    "g/m2": ("grammage", 1.0), "g/m²": ("grammage", 1.0), "gsm": ("grammage", 1.0),
}
_UNIT_ALTERNATIVES = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# a quantity in a description: "1,598cc", "1.6 L" (engines), "750 W", "250g", "12V", "110lb/50kg"; the unit must end
# the word, a fraction's denominator is not a quantity ("1/10HP"), and "g/m2" or "g/cm3" is not a mass
QUANTITY = re.compile(rf"(?<![\w.])(?<!\d/)({_NUMBER})\s?(?:({_UNIT_ALTERNATIVES})|(l))(?![\w²³]|/\s?c?m)", re.IGNORECASE)

_BOUND_NUMBER = rf"({_NUMBER})\s?({_UNIT_ALTERNATIVES})?"
_UPPER = r"not exceeding|not over|not more than|less than|under|up to"
_LOWER = r"(?<!not )(?:exceeding|over|more than)"
# subheading wording: "exceeding 180cm but not exceeding 240 cm", "over 1000 but not over 1500cc", "not exceeding 750W",
# "of 600mm or more", "exceeding 7kg"
_BETWEEN = re.compile(rf"(?:(?:{_LOWER})\s+{_BOUND_NUMBER}|{_BOUND_NUMBER}\s+or\s+more)\s*,?\s*but\s+(?:{_UPPER})\s+{_BOUND_NUMBER}"
                      rf"|{_BOUND_NUMBER}\s*(?:to|-)\s*{_BOUND_NUMBER}", re.IGNORECASE)
_AT_MOST = re.compile(rf"(?:{_UPPER})\s+{_BOUND_NUMBER}|{_BOUND_NUMBER}\s+or\s+less", re.IGNORECASE)
_AT_LEAST = re.compile(rf"(?:{_LOWER})\s+{_BOUND_NUMBER}|{_BOUND_NUMBER}\s+or\s+more", re.IGNORECASE)
_MAY_BOUND = re.compile(r"\d(?:[\d,.]*)\s?(?:[a-z])", re.IGNORECASE)
_EXCLUDED = re.compile(r"\((?:excluding|other than)[^)]*\)", re.IGNORECASE)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _unit(name: str | None) -> tuple[str, float] | None:
    return UNITS.get(name.casefold()) if name else None


@dataclass(frozen=True)
class Interval:
    dimension: str
    low: float  # base units; -inf when open
    high: float  # +inf when open


def _bounds(match: re.Match) -> list[tuple[str, str | None]]:
    """The (number, unit) pairs a threshold pattern matched, in the order written (the patterns' groups come in pairs)."""
    groups = match.groups()
    return [(groups[i], groups[i + 1]) for i in range(0, len(groups), 2) if groups[i]]


def intervals_of(description: str) -> list[Interval]:
    """The intervals a subheading's text sets, one per clause, in base units ([] when it sets none)."""
    text = _EXCLUDED.sub(" ", description)
    found: list[Interval] = []
    spans: list[tuple[int, int]] = []
    for match in _BETWEEN.finditer(text):
        (low_n, low_u), (high_n, high_u) = _bounds(match)
        high_unit = _unit(high_u)
        low_unit = _unit(low_u) or high_unit  # "over 1000 but not over 1500cc"
        if high_unit and low_unit and low_unit[0] == high_unit[0]:
            found.append(Interval(high_unit[0], _number(low_n) * low_unit[1], _number(high_n) * high_unit[1]))
            spans.append(match.span())

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in spans)

    for pattern, upper in ((_AT_MOST, True), (_AT_LEAST, False)):
        for match in pattern.finditer(text):
            (number, name), = _bounds(match)
            unit = _unit(name)
            if unit and free(match.span()):
                value = _number(number) * unit[1]
                found.append(Interval(unit[0], float("-inf"), value) if upper else Interval(unit[0], value, float("inf")))
    return found


def quantities_of(text: str) -> dict[str, list[float]]:
    """Quantities stated in a description, by dimension, in base units. A bare "L" counts as litres of engine
    capacity only after a number with a decimal point of at most 10 ("1.6L", "2.0 L"): "5L bottle" is not an engine."""
    out: dict[str, list[float]] = {}
    for match in QUANTITY.finditer(text):
        number, name, litre = match.groups()
        value = _number(number)
        if litre:
            if "." not in number or value > 10:
                continue
            out.setdefault("engine", []).append(value * 1000.0)
            continue
        dimension, factor = UNITS[name.casefold()]
        out.setdefault(dimension, []).append(value * factor)
    return out


class QuantityRule:
    """Per-label intervals (one per dimension, only where the label's text sets exactly one) and the penalty applied
    to a label whose interval every stated quantity of that dimension falls outside."""

    def __init__(self, descriptions: list[str], penalty: float) -> None:
        self.penalty = float(penalty)
        self.by_dimension: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        rows: dict[str, list[tuple[int, float, float]]] = {}
        for label, description in enumerate(descriptions):
            if not _MAY_BOUND.search(description):  # most subheadings set no threshold: skip the slower patterns
                continue
            per_dimension: dict[str, list[Interval]] = {}
            for interval in intervals_of(description):
                per_dimension.setdefault(interval.dimension, []).append(interval)
            for dimension, found in per_dimension.items():
                if len(found) == 1:
                    rows.setdefault(dimension, []).append((label, found[0].low, found[0].high))
        for dimension, items in rows.items():
            labels, lows, highs = zip(*items)
            self.by_dimension[dimension] = (np.array(labels, dtype=np.int64), np.array(lows), np.array(highs))

    @property
    def n_labels(self) -> int:
        return len({int(i) for labels, _, _ in self.by_dimension.values() for i in labels})

    def adjust(self, scores: np.ndarray, text: str) -> np.ndarray:
        """Scores with the penalty subtracted from every label a stated quantity contradicts (a copy; the input
        when the text states none)."""
        if not self.penalty or not self.by_dimension:
            return scores
        stated = quantities_of(text)
        out = scores
        for dimension, values in stated.items():
            if dimension not in self.by_dimension:
                continue
            labels, lows, highs = self.by_dimension[dimension]
            # bounds count as inside on both sides: "not exceeding 250 g" and "exceeding 250 g" both keep 250 g, so a
            # quantity on a boundary never counts against either subheading
            v = np.asarray(values)[:, None]
            inside = ((v >= lows[None, :]) & (v <= highs[None, :])).any(axis=0)
            if (~inside).any():
                if out is scores:
                    out = scores.copy()
                out[labels[~inside]] -= self.penalty
        return out
