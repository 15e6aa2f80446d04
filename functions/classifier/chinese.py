"""Simplified to Traditional (Taiwan) Chinese, before the character-pair index reads a text.

The Chinese index (``lexical_cjk.npz``) is built from Traditional Chinese names, so a description written in
Simplified characters (笔记本电脑) shares few character pairs with them (筆記型電腦). ``zh_s2t.json`` holds
OpenCC's character table (STCharacters, first reading of each Simplified-only character, in its Taiwan variant) and its Taiwan phrase table (TWPhrases:
mainland words to the words used in Taiwan, e.g. 笔记本电脑 -> 筆記型電腦 after the character step); both are
Apache-2.0 data from the OpenCC project (``opencc-python-reimplemented``), written into the model folder by
``scripts/build_cjk_index.py``. Characters only, no word segmentation: enough for a lexical match, not a translator.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

FILE_NAME = "zh_s2t.json"


class TraditionalChinese:
    def __init__(self, characters: dict[str, str], phrases: dict[str, str]) -> None:
        self.characters = characters
        self.phrases = phrases
        self._table = str.maketrans(characters)
        # Longest phrase first, so 筆記本電腦 wins over 筆記本.
        self._phrase_re = re.compile("|".join(map(re.escape, sorted(phrases, key=len, reverse=True)))) if phrases else None

    def convert(self, text: str) -> str:
        text = text.translate(self._table)
        if self._phrase_re is not None:
            text = self._phrase_re.sub(lambda m: self.phrases[m.group(0)], text)
        return text

    # ------------------------------------------------------------------ build / save / load
    @classmethod
    def from_opencc(cls, dictionary_dir: Path) -> "TraditionalChinese":
        """From OpenCC's text dictionaries (``key<TAB>value value ...``; the first value is the usual reading).

        Only characters that exist in Simplified writing alone are mapped (a key whose readings do not include the
        key itself): Traditional text passes through unchanged (面, 台, 后 stay as written)."""
        def read(name: str) -> dict[str, list[str]]:
            table = {}
            for line in (dictionary_dir / name).read_text(encoding="utf-8").splitlines():
                key, _, values = line.partition("\t")
                if key and values.split():
                    table[key] = values.split()
            return table

        variants = {k: v[0] for k, v in read("TWVariants.txt").items() if len(k) == 1 and len(v[0]) == 1}
        characters = {k: variants.get(v[0], v[0]) for k, v in read("STCharacters.txt").items()
                      if len(k) == 1 and len(v[0]) == 1 and k not in v}
        phrases = {k: v[0] for k, v in read("TWPhrases.txt").items() if v[0] != k}
        return cls(characters, phrases)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"characters": self.characters, "phrases": self.phrases}, ensure_ascii=False, separators=(",", ":")),
                        encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "TraditionalChinese":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["characters"], data["phrases"])
