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


# Abbreviations of parts catalogues and declarations ("BRKT ASSY-FR BUMPER LH"), written out so the encoder and the
# lexical scorer, trained on full words, can read them. Only unambiguous catalogue forms are listed.
_ABBREVIATIONS = {
    "assy": "assembly", "ass'y": "assembly", "brkt": "bracket", "mtg": "mounting", "reinf": "reinforcement",
    "upr": "upper", "lwr": "lower", "inr": "inner", "otr": "outer", "hsg": "housing", "gskt": "gasket", "pnl": "panel",
    "cvr": "cover", "mldg": "moulding", "compl": "complete", "lh": "left", "rh": "right", "fr": "front", "rr": "rear",
    "ctrl": "control", "cyl": "cylinder", "conn": "connector", "w/strip": "weatherstrip", "t/gate": "tailgate",
    # declaration shorthand: "SUS" is how Korean and Japanese trade write stainless steel (JIS grades SUS304, SUS316; a
    # grade with its number is left as it is, the model reads those), "GALV" galvanized, "W/" with, "W/O" without ("M/C" is left out: machine or motorcycle)
    "sus": "stainless steel", "galv": "galvanized", "w/": "with", "w/o": "without",
}
#: The letters-only abbreviations: words of English declarations even where no dictionary has them ("SUS PIPE").
SHORTHAND_WORDS = frozenset(k for k in _ABBREVIATIONS if k.isalpha())
_ABBREVIATION_RE = re.compile(
    r"(?<![\w/'])(" + "|".join(re.escape(k) for k in sorted(_ABBREVIATIONS, key=len, reverse=True)) + r")(?![\w/']|-\d)", re.IGNORECASE)


def expand_abbreviations(text: str) -> str:
    """Write out parts-catalogue abbreviations ("BRKT ASSY-FR" -> "bracket assembly-front")."""
    return _ABBREVIATION_RE.sub(lambda m: _ABBREVIATIONS[m.group(1).lower()], text)


# Words run together, as data entry and OCR leave them ("Pork meatfrozen", "SELFADHESIVE TAPE"): the encoder cuts an
# unknown word into word pieces that mean little, and the word index misses it. Such a word is split into two or three
# words the index knows well, only where it is not a word of its own.
_LETTERS = re.compile(r"[A-Za-z]+")
RUN_ON_MIN_LENGTH = 7  # shorter unknown words are more often names, codes or misspellings than two words
RUN_ON_MIN_PIECE = 3
RUN_ON_MAX_PIECES = 3


class RunOnWords:
    """Splits a word that no vocabulary knows into the fewest words of ``common`` that spell it ("meatfrozen" ->
    "meat frozen"); among as few pieces, the most common ones win (lowest sum of their idf: "ball screw", not "balls
    crew"). ``known``: words left as they are (the tokenizer's whole words and the word index's words: "germany" is not
    "germ any"). ``common``: the pieces a split may use, with their idf (the word index's frequent words, so that rare
    ones such as "ana" or "dam" cannot make up a split)."""

    def __init__(self, known: frozenset[str], common: dict[str, float]) -> None:
        self.known = known
        self.common = {w: idf for w, idf in common.items() if len(w) >= RUN_ON_MIN_PIECE}

    def pieces(self, word: str) -> list[str] | None:
        """The split of one word (its own letters, case kept), or None when it is known or no split exists."""
        lower = word.lower()
        if len(lower) < RUN_ON_MIN_LENGTH or lower in self.known:
            return None
        best: tuple[int, float, list[int]] | None = None  # (pieces, sum of the pieces' idf, cut positions)
        stack: list[list[int]] = [[0]]
        while stack:
            cuts = stack.pop()
            start = cuts[-1]
            for end in range(start + RUN_ON_MIN_PIECE, len(lower) + 1):
                if lower[start:end] not in self.common:
                    continue
                if end == len(lower):
                    done = cuts + [end]
                    if len(done) > 2:  # at least two pieces
                        key = (len(done) - 1, sum(self.common[lower[a:b]] for a, b in zip(done, done[1:])), done)
                        if best is None or key[:2] < best[:2]:
                            best = key
                elif len(cuts) < RUN_ON_MAX_PIECES:
                    stack.append(cuts + [end])
        if best is None:
            return None
        cuts = best[2]
        return [word[a:b] for a, b in zip(cuts, cuts[1:])]

    def split(self, text: str) -> str:
        """``text`` with each run-on word written as its words."""
        return _LETTERS.sub(lambda m: " ".join(self.pieces(m.group(0)) or [m.group(0)]), text)


_SEGMENT_SPLIT = re.compile(r"\s*[;|\n]+\s*")


def first_segment(text: str) -> str | None:
    """The first field of a structured declaration ("Frozen tuna; BRAND X; MODEL 12; VIETNAM" -> "Frozen
    tuna"): declarations put the goods description first and brand/model/origin after it. None when the
    text has a single field or its first field has no letter."""
    parts = [part for part in _SEGMENT_SPLIT.split(text) if part]
    if len(parts) < 2 or not any(ch.isalpha() for ch in parts[0]):
        return None
    return parts[0]


# Han (CJK unified ideographs, extension A, compatibility) and Hangul syllables: scripts written without spaces between
# words, which the English encoder cannot read; such text is scored by the character-pair lexical index (lexical.py).
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK = re.compile(f"[{CJK_CHARS}]")
_HANGUL = re.compile("[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")


def written_in_cjk(text: str) -> bool:
    """True when the goods are described in Han/Hangul characters: in the declaration's first field (the whole text when
    it has one field), those characters are at least as many as Latin letters. "12V 40A汽車繼電器": yes; "智慧型手機;
    SAMSUNG; SM-S921; KOREA": yes (English fields after Chinese goods); "Green tea; 天福": no (a Chinese brand after
    English goods); "LED TV 液晶": no. Digits do not count either way."""
    goods = first_segment(text) or text
    cjk = len(_CJK.findall(goods))
    return cjk > 0 and cjk >= len(_LATIN.findall(goods))


def written_in_hangul(text: str) -> bool:
    """True when the goods are described in Korean: written in Han/Hangul characters (:func:`written_in_cjk`) and
    more of them Hangul than Han, so Korean with Hanja in brackets ("육우(肉牛)") is Korean and Chinese is not."""
    if not written_in_cjk(text):
        return False
    goods = first_segment(text) or text
    hangul = len(_HANGUL.findall(goods))
    return hangul * 2 > len(_CJK.findall(goods))
