"""Simplified to Traditional (Taiwan) Chinese, before the character-pair index reads a text.

The Chinese index (``lexical_cjk.npz``) is built from Traditional Chinese names, so a description written in
Simplified characters (笔记本电脑) shares few character pairs with them (筆記型電腦). ``zh_s2t.json`` holds
OpenCC's character table (STCharacters, first reading of each Simplified-only character, in its Taiwan variant) and its Taiwan phrase table (TWPhrases:
mainland words to the words used in Taiwan, e.g. 软件 -> 軟體 after the character step); both are
Apache-2.0 data from the OpenCC project (``opencc-python-reimplemented``), written into the model folder by
``scripts/build_cjk_index.py``. Characters only, no word segmentation: enough for a lexical match, not a translator.

One Simplified character often stands for several Traditional ones (干: 乾 dried, 幹, 干; 发: 發, 髮 hair; 面: 麵
noodles, 面 face; 表: 錶 watch, 表), and the usual reading is wrong for many goods ("干香菇" is 乾香菇, "假发" 假髮).
``alternatives`` keeps each such character's readings; given the character pairs the index knows, ``convert`` picks
the reading that makes a known pair with its neighbours (the usual one on a tie). The names are converted as the
queries are, so a Taiwan phrase only matters where the names use one of its two forms; the table keeps those phrases
alone (OpenCC's 膝上型電腦 for 笔记本电脑, a word the names use in neither form, where they say 筆記型電腦, would only
lose the pairs 筆記 and 電腦).

Mainland and Taiwan also name many goods with different words (数据线 / 傳輸線 data cable, 充电宝 / 行動電源 power bank,
方便面 / 泡麵 instant noodles, 塑料 / 塑膠 plastic), which no character table bridges. ``mainland`` holds such words
(``data/chinese/mainland_taiwan_words.csv``, written by the team, kept where the names use the Taiwan word) and is
applied first, to the Simplified text as written.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

FILE_NAME = "zh_s2t.json"


class TraditionalChinese:
    def __init__(self, characters: dict[str, str], phrases: dict[str, str], alternatives: dict[str, str] | None = None,
                 mainland: dict[str, str] | None = None) -> None:
        self.characters = characters
        self.phrases = phrases
        # Simplified character -> its Traditional readings, the usual one first ("干" -> "干幹乾")
        self.alternatives = alternatives or {}
        # mainland word as written in Simplified characters -> the Taiwan word ("方便面" -> "泡麵")
        self.mainland = mainland or {}
        self._table = str.maketrans(characters)
        self._phrase_re = _longest_first(phrases)
        self._mainland_re = _longest_first(self.mainland)

    def convert(self, text: str, known: Callable[[str], bool] | None = None) -> str:
        """``text`` in Taiwan Traditional characters. With ``known`` (is this character pair in the index?), a character
        of several readings takes the one that makes known pairs with its neighbours (the usual reading on a tie)."""
        if self._mainland_re is not None:
            text = self._mainland_re.sub(lambda m: self.mainland[m.group(0)], text)
        converted = text.translate(self._table)
        if known is not None and self.alternatives:
            chars = list(converted)
            for i, original in enumerate(text):
                readings = self.alternatives.get(original)
                if not readings:
                    continue
                left, right = chars[i - 1] if i else "", chars[i + 1] if i + 1 < len(chars) else ""

                def support(reading: str) -> int:
                    return int(bool(left) and known(left + reading)) + int(bool(right) and known(reading + right))

                chars[i] = max(readings, key=support)  # max keeps the first (usual) reading on a tie
            converted = "".join(chars)
        text = converted
        if self._phrase_re is not None:
            text = self._phrase_re.sub(lambda m: self.phrases[m.group(0)], text)
        return text

    # ------------------------------------------------------------------ build / save / load
    @classmethod
    def from_opencc(cls, dictionary_dir: Path, names: Iterable[str] | None = None,
                    mainland: dict[str, str] | None = None) -> "TraditionalChinese":
        """From OpenCC's text dictionaries (``key<TAB>value value ...``; the first value is the usual reading).

        Only characters that exist in Simplified writing alone are mapped (a key whose readings do not include the
        key itself): Traditional text passes through unchanged (面, 台, 后 stay as written) unless ``convert`` is told
        which pairs are known. With ``names`` (the index's Chinese names), a Taiwan phrase is kept only where the names
        use it or the words it replaces, and a ``mainland`` word only where the names use its Taiwan word."""
        def read(name: str) -> dict[str, list[str]]:
            table = {}
            for line in (dictionary_dir / name).read_text(encoding="utf-8").splitlines():
                key, _, values = line.partition("\t")
                if key and values.split():
                    table[key] = values.split()
            return table

        variants = {k: v[0] for k, v in read("TWVariants.txt").items() if len(k) == 1 and len(v[0]) == 1}
        st = {k: v for k, v in read("STCharacters.txt").items() if len(k) == 1 and all(len(r) == 1 for r in v)}
        characters = {k: variants.get(v[0], v[0]) for k, v in st.items() if k not in v}
        alternatives = {}
        for key, readings in st.items():
            usual = characters.get(key, key)
            # each reading in its Taiwan variant and as OpenCC's standard form (湿: 溼 and 濕; the names use both)
            ordered = "".join(dict.fromkeys([usual, *(variants.get(r, r) for r in readings), *readings]))
            if len(ordered) > 1:
                alternatives[key] = ordered
        phrases = {k: v[0] for k, v in read("TWPhrases.txt").items() if v[0] != k}
        mainland = dict(mainland or {})
        if names is not None:
            text = "\n".join(names)
            phrases = {k: v for k, v in phrases.items() if k in text or v in text}
            mainland = {k: v for k, v in mainland.items() if v in text}
        return cls(characters, phrases, alternatives, mainland)

    def save(self, path: Path) -> None:
        data = {"characters": self.characters, "phrases": self.phrases, "alternatives": self.alternatives, "mainland": self.mainland}
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "TraditionalChinese":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["characters"], data["phrases"], data.get("alternatives"), data.get("mainland"))


def read_mainland_words(path: Path) -> dict[str, str]:
    """mainland -> taiwan columns of ``data/chinese/mainland_taiwan_words.csv`` (the english column is for readers)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["mainland"].strip(): row["taiwan"].strip() for row in csv.DictReader(handle) if row.get("mainland") and row.get("taiwan")}


def _longest_first(table: dict[str, str]) -> re.Pattern[str] | None:
    """One pattern of all keys, longest first, so 筆記本電腦 wins over 筆記本."""
    return re.compile("|".join(map(re.escape, sorted(table, key=len, reverse=True)))) if table else None
