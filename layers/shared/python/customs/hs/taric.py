"""Reader for EU TARIC goods-nomenclature exports (the xlsx files of the EU CIRCABC / odoo intrastat
module: Goods code = 10 digits + 2-digit product-line suffix, Hier. Pos., Indent, Description).

Build-time only (needs ``openpyxl``, a dev dependency, imported lazily): used by
``scripts/build_national_schedule.py`` to produce the bundled schedule and by ``scripts/build_corpus.py``
for the corpus in every EU language, so the tree rules are written once.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from customs.hs.text import TextNode, clean_text, contextual_texts

__all__ = ["TaricLine", "TaricTree", "load_taric_tree", "read_taric_rows"]

#: Product-line suffix of a real goods code; other suffixes (10, 20, ...) are grouping text lines.
CODE_LINE_SUFFIX = "80"
_COLUMNS = ("Goods code", "Hier. Pos.", "Indent", "Description")


@dataclass(frozen=True, slots=True)
class TaricLine:
    """One TARIC line. ``depth`` is 0 for a chapter, 1 for a heading, 1 + number of dashes below."""

    goods_code: str  # 10 digits
    suffix: str  # product-line suffix, "80" for a code line
    hier_pos: int  # 2, 4, 6, 8 or 10: significant digits of the code
    depth: int
    description: str

    @property
    def code(self) -> str:
        """Significant digits, e.g. ``"01012910"`` for an 8-digit CN line."""
        return self.goods_code[: self.hier_pos]


class TaricTree:
    """TARIC lines in file order with parent links rebuilt from the indents."""

    def __init__(self, lines: Iterable[TaricLine], lang: str) -> None:
        self.lines: list[TaricLine] = list(lines)
        self.lang = lang
        self.parents: list[int | None] = []
        stack: list[int] = []
        for index, line in enumerate(self.lines):
            while stack and self.lines[stack[-1]].depth >= line.depth:
                stack.pop()
            self.parents.append(stack[-1] if stack else None)
            stack.append(index)
        self._has_children = [False] * len(self.lines)
        for parent in self.parents:
            if parent is not None:
                self._has_children[parent] = True

    def is_declarable(self, index: int) -> bool:
        """A leaf code line: the lines a declarant can actually use (a heading without subdivisions,
        e.g. 0501 00 00 00, is one too)."""
        line = self.lines[index]
        return line.suffix == CODE_LINE_SUFFIX and not self._has_children[index] and line.hier_pos >= 4

    def hs6(self, index: int) -> str | None:
        """HS subheading a line belongs to, or None for chapters, subdivided headings and the
        one-dash grouping lines (suffix != 80 at level 6) that span several subheadings."""
        line = self.lines[index]
        if line.hier_pos >= 8 or (line.hier_pos == 6 and line.suffix == CODE_LINE_SUFFIX):
            return line.goods_code[:6]
        return line.goods_code[:6] if line.hier_pos == 4 and self.is_declarable(index) else None

    def contextual_texts(self) -> list[str]:
        """Self-describing text of each line, with ancestors from the heading down (the chapter title is
        too broad to help and would only lengthen every line)."""
        nodes = [
            TextNode(
                text="" if line.depth == 0 else line.description,
                parent=None if parent is not None and self.lines[parent].depth == 0 else parent,
            )
            for line, parent in zip(self.lines, self.parents, strict=True)
        ]
        return contextual_texts(nodes, self.lang)

    def parent_code(self, index: int) -> str | None:
        parent = self.parents[index]
        return None if parent is None else self.lines[parent].code


def _depth(hier_pos: int, indent: str | None) -> int:
    dashes = (indent or "").count("-")
    return 0 if hier_pos == 2 and not dashes else 1 + dashes


def read_taric_rows(source: str | Path | IO[bytes]) -> tuple[str, list[TaricLine]]:
    """Language (lower case, e.g. ``"en"``) and lines of a TARIC xlsx export (first sheet that has the
    expected header). Raises ValueError for a workbook without the TARIC columns."""
    from openpyxl import load_workbook  # build-time dependency only

    if isinstance(source, (str, Path)):
        source = io.BytesIO(Path(source).read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Workbook contains no default style"
        workbook = load_workbook(source, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # the exports declare a wrong A1:A1 dimension
            rows = sheet.iter_rows(values_only=True)
            header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
            if all(col in header for col in _COLUMNS):
                break
        else:
            raise ValueError(f"no sheet with columns {_COLUMNS} in {source!r}")
        col = {name: header.index(name) for name in (*_COLUMNS, "Language")}
        lang = ""
        lines: list[TaricLine] = []
        for row in rows:
            raw_code = str(row[col["Goods code"]] or "").strip()
            if not raw_code:
                continue
            goods_code, _, suffix = raw_code.partition(" ")
            lang = lang or str(row[col["Language"]] or "").strip().lower()
            hier_pos = int(float(row[col["Hier. Pos."]]))
            lines.append(
                TaricLine(
                    goods_code=goods_code,
                    suffix=suffix or CODE_LINE_SUFFIX,
                    hier_pos=hier_pos,
                    depth=_depth(hier_pos, row[col["Indent"]]),
                    description=clean_text(str(row[col["Description"]] or "")),
                )
            )
    finally:
        workbook.close()
    lines.sort(key=lambda line: (line.goods_code, line.suffix))  # tree order, whatever the export order
    return lang, lines


def load_taric_tree(source: str | Path | IO[bytes], lang: str | None = None) -> TaricTree:
    """Read a TARIC export into a :class:`TaricTree`; ``lang`` overrides the file's Language column."""
    file_lang, lines = read_taric_rows(source)
    return TaricTree(lines, lang or file_lang or "en")
