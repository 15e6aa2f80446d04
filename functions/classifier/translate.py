"""Goods described in French, German, Spanish or Dutch, read through a word lexicon learned from the EU tariff.

The encoder and the lexical index read English. The EU publishes its tariff (TARIC, the Combined Nomenclature) line
by line in each official language, so the same goods are worded in English and in French, German, Spanish and Dutch
under one code. ``scripts/build_translation_lexicon.py`` learns from those parallel lines which English word each
foreign word stands for (IBM Model 1) and keeps, per language, the words the English side does not already know
("crevettes" -> "shrimps", "gefroren" -> "frozen", "caucho" -> "rubber"). Here a description is put into English word
by word before it is scored: "Crevettes congelées décortiquées" is scored as "shrimps frozen shelled". The words the
English model knows (brands, cognates such as "T-shirt" or "laptop", numbers) stay as they are, and the response keeps
the user's text.

It is a lexicon, not a translator: word order and grammar stay foreign, which bag-of-words scoring and the encoder
tolerate; it knows the words of the tariff, not every word of trade. No third-party imports.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Container
from pathlib import Path

from functions.classifier.textprep import SHORTHAND_WORDS

#: The model file ``scripts/build_translation_lexicon.py`` writes.
LEXICON_FILE = "eu_lexicon.json.gz"

_WORD = re.compile(r"[^\W\d_]+")

# Function words, which name no goods but tell the language (a text of goods names alone is told by its nouns).
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the of and for with in on or not other by from to without".split()),
    "fr": frozenset("de des du la le les en pour et avec sans ou non au aux un une".split()),
    "de": frozenset("der die das den dem des und mit für aus von oder ohne nicht zum zur ein eine im".split()),
    "es": frozenset("de del la las los el con para sin en un una al por".split()),
    "nl": frozenset("de het van en met voor zonder niet een of in op uit".split()),
}


def words(text: str) -> list[str]:
    """Lower-cased letter runs, as the lexicon is keyed."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


class TariffLexicon:
    """Per language, foreign word -> English word; see the module docstring."""

    def __init__(self, lexicons: dict[str, dict[str, str]], english_vocabulary: Container[str] = frozenset()) -> None:
        self.lexicons = lexicons
        self.english = english_vocabulary  # any container: the engine passes its lexical index's term dictionary, uncopied

    @classmethod
    def load(cls, path: str | Path, english_vocabulary: Container[str] = frozenset()) -> "TariffLexicon":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return cls({lang: dict(entries) for lang, entries in data["lexicons"].items()}, english_vocabulary)

    def _known_in_english(self, word: str) -> bool:
        return word in self.english or word in STOPWORDS["en"] or word in SHORTHAND_WORDS

    def detect(self, text: str) -> str | None:
        """The language of a description, or None when it reads as English (or as none of the languages).

        Words of one letter do not count. Each language counts its function words and the words only its lexicon knows;
        English counts its function words, its declaration shorthand ("SUS", "GALV") and the words the English model
        knows. A foreign language must have more signs than English, or as many when it has at least two: so
        "Crevettes congelées" is French, while "SUS PIPE" (Spanish "sus" against English shorthand), "TORO mower" or
        an English declaration with a foreign brand stay English. The price: "Aspirateur robot" (one sign each) is read
        as English too."""
        tokens = [w for w in words(text) if len(w) > 1]
        if not tokens:
            return None
        english = sum(self._known_in_english(w) for w in tokens)
        best, best_score = None, 0
        for lang, lexicon in self.lexicons.items():
            stop = STOPWORDS.get(lang, frozenset())
            score = sum(w in stop or (not self._known_in_english(w) and any(f in lexicon for f in _forms(w))) for w in tokens)
            if score > best_score:
                best, best_score = lang, score
        return best if best_score > english or (best_score >= 2 and best_score == english) else None

    def _word(self, word: str, lexicon: dict[str, str]) -> str | None:
        """English for one foreign word: itself, an inflected form the lexicon has, or a compound of two known words."""
        for form in _forms(word):
            if form in lexicon:
                return lexicon[form]
        for cut in range(len(word) - 3, 2, -1):  # German and Dutch compounds: "tiefgefrorene", "bremsbeläge"
            head, tail = word[:cut], word[cut:]
            head_en = next((lexicon[f] for f in _forms(head) + ([head[:-1]] if head[-1:] in "sn" else []) if f in lexicon), None)
            tail_en = next((lexicon[f] for f in _forms(tail) if f in lexicon), None) if head_en else None
            if head_en and tail_en:
                return f"{head_en} {tail_en}"
        return None

    def to_english(self, text: str, lang: str | None = None) -> tuple[str, str | None]:
        """``text`` with its foreign words in English, and the language read (None: the text is returned as it is)."""
        lang = lang if lang in self.lexicons else self.detect(text)
        if lang is None:
            return text, None
        lexicon = self.lexicons[lang]

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            low = word.lower()
            if self._known_in_english(low) and low not in STOPWORDS.get(lang, ()):
                return word  # "auto", "airbags", "robot": the lexicon's guesses for English words are worse than the words
            english = self._word(low, lexicon)
            return english if english is not None else word

        return _WORD.sub(replace, unicodedata.normalize("NFKC", text)), lang


def _forms(word: str) -> list[str]:
    """The word and, for words of four letters or more, the inflections the tariff more often uses (plural, feminine,
    German and Dutch endings): "aspirateur" finds "aspirateurs", "gefrorene" finds "gefroren"."""
    if len(word) < 4:
        return [word]
    forms = [word] + [word + ending for ending in ("s", "e", "es", "n", "en", "x")]
    forms += [word[: -len(ending)] for ending in ("s", "e", "es", "n", "en", "er", "x") if word.endswith(ending) and len(word) - len(ending) >= 3]
    return forms


#: The model file ``scripts/build_korean_index.py`` writes: Korean word -> English words.
KOREAN_LEXICON_FILE = "ko_lexicon.json.gz"
HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_SPACES = re.compile(r"\s+")
_CLOSING_SPACE = re.compile(r"\s+([;,.:)\]])")
_OPENING_SPACE = re.compile(r"([(\[])\s+")


def hangul_words(text: str) -> list[str]:
    """The runs of Hangul syllables of a text, as the Korean lexicon is keyed ("냉동참치(원산지: 베트남)" ->
    ["냉동참치", "원산지", "베트남"])."""
    return HANGUL_RUN.findall(unicodedata.normalize("NFKC", text))


class _ScriptLexicon:
    """Goods names of one script put into English run by run (``RUN``: the characters of that script); subclasses say
    how one run is translated. Latin words, numbers and punctuation stay as written."""

    RUN: re.Pattern[str]

    def __init__(self, lexicon: dict[str, str]) -> None:
        self.lexicon = lexicon

    @classmethod
    def load(cls, path: str | Path):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return cls(json.load(handle))

    def translate_run(self, run: str) -> str:
        raise NotImplementedError

    def to_english(self, text: str) -> str:
        """``text`` with its runs of the script in English; "" when no run is known (the caller keeps the text)."""
        known = False

        def replace(match: re.Match[str]) -> str:
            nonlocal known
            english = self.translate_run(match.group(0))
            known = known or bool(english)
            return f" {english} " if english else " "

        out = self.RUN.sub(replace, unicodedata.normalize("NFKC", text))
        return _tidy(out) if known else ""


class KoreanLexicon(_ScriptLexicon):
    """Korean goods names put into English word by word, with a lexicon learned from the Korean names of the commercial
    names index and their English entries (IBM Model 1, ``scripts/build_korean_index.py``): "냉동 황다랑어" ->
    "frozen yellowfin tuna". The English encoder and word index then read the goods, which the Korean character index
    alone matches only by shared syllables. Korean writes compounds with or without spaces ("냉동참치", "냉동 참치"), so
    a word the lexicon lacks is cut into the longest words it has. Words it cannot place are dropped (the character
    index still reads them)."""

    RUN = HANGUL_RUN

    def __init__(self, lexicon: dict[str, str]) -> None:
        super().__init__(lexicon)
        self.longest = max((len(w) for w in lexicon), default=0)

    def translate_run(self, word: str) -> str:
        """English for one run of Hangul: the word itself, or the longest known words it is made of, left to right.
        A word that leaves more than one syllable unexplained is dropped whole: it is most often a loanword the lexicon
        lacks ("브라트부어스트", bratwurst), and the pieces found in it would be noise ("bra", "earth")."""
        if word in self.lexicon:
            return self.lexicon[word]
        found, start, unexplained = [], 0, 0
        while start < len(word):
            for end in range(min(len(word), start + self.longest), start, -1):
                piece = word[start:end]
                # one-syllable pieces only as a whole remainder: "류" (kind) or "용" (for) alone would match anywhere
                if piece in self.lexicon and (end - start >= 2 or end == len(word) and start > 0):
                    found.append(self.lexicon[piece])
                    start = end
                    break
            else:
                start += 1
                unexplained += 1
        return " ".join(found) if unexplained <= 1 else ""


def _tidy(text: str) -> str:
    """Spaces as English writes them, and a word the lexicon gave twice in a row said once ("뼈 없는" -> "boneless
    boneless" -> "boneless"; "不鏽|鏽鋼" -> "stainless steel steel" -> "stainless steel")."""
    tokens = _SPACES.split(text.strip())
    text = " ".join(t for i, t in enumerate(tokens) if i == 0 or t.lower() != tokens[i - 1].lower())
    return _OPENING_SPACE.sub(r"\1", _CLOSING_SPACE.sub(r"\1", text))  # "( bone-in )" -> "(bone-in)"


#: The model file ``scripts/build_cjk_index.py`` writes: Traditional Chinese character pair -> English words.
CHINESE_LEXICON_FILE = "zh_lexicon.json.gz"
HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def han_trigrams(text: str) -> list[str]:
    """The overlapping runs of three Han characters: the words of three characters (電磁爐 induction cooker, 保溫杯
    vacuum cup), whose pairs alone read as other words (電磁 solenoid, 磁爐)."""
    return [run[i : i + 3] for run in HAN_RUN.findall(unicodedata.normalize("NFKC", text)) for i in range(len(run) - 2)]


def han_tokens(text: str) -> list[str]:
    """The tokens the Chinese lexicon is keyed by: each run of Han characters as its overlapping character pairs (a
    run of one character as itself). Chinese writes no spaces and most words are two characters long, so the pairs
    hold the words; the pairs across a word boundary are rare and seldom reach the lexicon."""
    tokens: list[str] = []
    for run in HAN_RUN.findall(unicodedata.normalize("NFKC", text)):
        tokens += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return tokens


class ChineseLexicon(_ScriptLexicon):
    """Traditional Chinese goods names put into English, pair by pair, with a lexicon learned from the Chinese names of
    the commercial names index and their English entries (IBM Model 1, ``scripts/build_cjk_index.py``): "冷凍蝦仁" ->
    "frozen shrimp". Words of three characters the lexicon knows are read whole, in place of their two pairs
    ("電磁爐" -> "induction cooker", where the pairs say "solenoid valve induction"). Chinese names put the head noun
    last (塑膠矮凳: plastic low stool), so when a run of three characters or more ends in a pair the lexicon lacks, its last
    character is read alone ("凳" -> "stool"); a run of two is left alone, being as often a name or a brand (天福) as a
    word. The caller converts Simplified text to Traditional first."""

    RUN = HAN_RUN

    def translate_run(self, run: str) -> str:
        if len(run) == 1:
            return self.lexicon.get(run, "")
        words, i, last_known = [], 0, False
        while i < len(run) - 1:
            if i + 3 <= len(run) and run[i : i + 3] in self.lexicon:
                words.append(self.lexicon[run[i : i + 3]])
                last_known = i + 3 == len(run)
                i += 2  # the next pair starts at the trigram's last character
                continue
            if run[i : i + 2] in self.lexicon:
                words.append(self.lexicon[run[i : i + 2]])
                last_known = i + 2 == len(run)
            i += 1
        if not last_known and len(run) > 2 and run[-1] in self.lexicon:
            words.append(self.lexicon[run[-1]])
        return " ".join(words)
