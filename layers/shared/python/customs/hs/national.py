"""National tariff schedules below HS6 (8- and 10-digit lines), generic over any country's file.

A schedule file is a CSV (optionally gzip-compressed) preceded by ``# key: value`` metadata lines
(``name``, ``version``, ``lang``, ``source``...). Columns:

* ``code`` (required): the national code, digits only;
* ``description`` (required): the line's own text;
* ``hs6``: HS subheading (defaults to the first six digits of ``code``);
* ``self_describing_text``: text that stands alone; computed from ``parent_code`` links when absent;
* ``indent``, ``parent_code``, ``unit``: optional structure;
* any other column is a duty column (``mfn``, ``vat``, ``gsp``...), kept as text in ``duty_columns``
  so each country can bring its own rate columns without a code change.

The EU TARIC 2025-05-01 tree (English, declarable lines only) ships with the package; build it with
``scripts/build_national_schedule.py``.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from customs.hs.codes import normalize_code
from customs.hs.text import TextNode, contextual_texts

__all__ = [
    "BUNDLED_SCHEDULES",
    "NationalLine",
    "NationalSchedule",
    "get_bundled_schedule",
    "load_schedule",
    "write_schedule",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
#: Schedules shipped with the package: key -> file name under ``customs/hs/data``.
BUNDLED_SCHEDULES: Mapping[str, str] = MappingProxyType({"eu-taric-en": "eu_taric_2025-05-01_en.csv.gz"})

_STRUCTURE_COLUMNS = ("code", "hs6", "indent", "parent_code", "unit", "description", "self_describing_text")


@dataclass(frozen=True, slots=True)
class NationalLine:
    """One national tariff line under an HS subheading."""

    code: str
    description: str
    self_describing_text: str
    hs6: str
    indent: int = 0
    parent_code: str | None = None
    duty_columns: Mapping[str, str] = field(default_factory=dict, hash=False)
    unit: str | None = None


def _digits(code: str) -> str:
    return "".join(ch for ch in str(code) if ch.isdigit())


class NationalSchedule:
    """Lines of one national schedule, indexed by code and by HS6."""

    def __init__(
        self, lines: Iterable[NationalLine], name: str, version: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.version = version
        self.metadata: Mapping[str, str] = MappingProxyType(dict(metadata or {}))
        self._lines: tuple[NationalLine, ...] = tuple(sorted(lines, key=lambda line: line.code))
        self._by_code: dict[str, NationalLine] = {}
        for line in self._lines:
            if line.code in self._by_code:
                raise ValueError(f"{name}: duplicate national code {line.code}")
            self._by_code[line.code] = line
        self._by_hs6: dict[str, list[NationalLine]] = {}
        for line in self._lines:
            self._by_hs6.setdefault(line.hs6, []).append(line)
        self._hs6_sorted = sorted(self._by_hs6)

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[NationalLine]:
        return iter(self._lines)

    def __repr__(self) -> str:
        return f"NationalSchedule(name={self.name!r}, version={self.version!r}, lines={len(self)})"

    @property
    def hs6_codes(self) -> tuple[str, ...]:
        return tuple(self._hs6_sorted)

    def get(self, code: str) -> NationalLine | None:
        """Line with this national code (separators such as dots and spaces ignored), or None."""
        return self._by_code.get(_digits(code))

    def lines_under(self, hs_code: str) -> list[NationalLine]:
        """National lines under an HS subheading (or under a heading / chapter when given 4 or 2
        digits), in code order. Accepts any format of :func:`customs.hs.normalize_code`."""
        prefix = normalize_code(hs_code)
        if len(prefix) == 6:
            return list(self._by_hs6.get(prefix, ()))
        start = bisect.bisect_left(self._hs6_sorted, prefix)
        result: list[NationalLine] = []
        for hs6 in self._hs6_sorted[start:]:
            if not hs6.startswith(prefix):
                break
            result.extend(self._by_hs6[hs6])
        return result


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig")


def _fill_self_describing(rows: Sequence[dict[str, str]], lang: str) -> None:
    """Compute missing self-describing texts from the ``parent_code`` links present in the file."""
    index = {_digits(row["code"]): i for i, row in enumerate(rows)}
    nodes = [TextNode(row["description"], index.get(_digits(row.get("parent_code") or ""))) for row in rows]
    for row, text in zip(rows, contextual_texts(nodes, lang), strict=True):
        if not row.get("self_describing_text"):
            row["self_describing_text"] = text


def load_schedule(path: str | Path, name: str | None = None, version: str | None = None) -> NationalSchedule:
    """Read a schedule file (see module docstring); ``name``/``version`` override its metadata."""
    path = Path(path)
    text = _read_text(path)
    metadata: dict[str, str] = {}
    lines = text.splitlines(keepends=True)
    header_lines = next((i for i, raw in enumerate(lines) if not raw.startswith("#")), len(lines))
    for raw in lines[:header_lines]:
        key, _, value = raw[1:].partition(":")
        metadata[key.strip()] = value.strip()
    reader = csv.DictReader(io.StringIO("".join(lines[header_lines:])))
    missing = {"code", "description"} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{path}: schedule file lacks required column(s) {sorted(missing)}")
    duty_names = [c for c in reader.fieldnames or () if c not in _STRUCTURE_COLUMNS]
    rows = [dict(row) for row in reader]
    if any(not row.get("self_describing_text") for row in rows):
        _fill_self_describing(rows, metadata.get("lang", "en"))
    result: list[NationalLine] = []
    for row in rows:
        code = _digits(row["code"])
        hs6 = _digits(row.get("hs6") or code[:6])
        if len(hs6) != 6 or not code:
            raise ValueError(f"{path}: line {code!r} has no valid 6-digit HS code (hs6={hs6!r})")
        result.append(
            NationalLine(
                code=code,
                description=row["description"],
                self_describing_text=row["self_describing_text"],
                hs6=hs6,
                indent=int(row.get("indent") or 0),
                parent_code=_digits(row.get("parent_code") or "") or None,
                duty_columns={k: row[k] for k in duty_names if row.get(k)},
                unit=row.get("unit") or None,
            )
        )
    return NationalSchedule(
        result,
        name=name or metadata.get("name") or path.name.split(".")[0],
        version=version or metadata.get("version", ""),
        metadata=metadata,
    )


def write_schedule(
    path: str | Path, lines: Iterable[NationalLine], metadata: Mapping[str, str], duty_names: Sequence[str] = ()
) -> None:
    """Write a schedule file readable by :func:`load_schedule`; gzip-compressed (deterministically,
    mtime 0) when the name ends in ``.gz``."""
    buffer = io.StringIO()
    for key, value in metadata.items():
        buffer.write(f"# {key}: {value}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*_STRUCTURE_COLUMNS, *duty_names])
    for line in lines:
        writer.writerow(
            [
                line.code,
                line.hs6,
                line.indent,
                line.parent_code or "",
                line.unit or "",
                line.description,
                line.self_describing_text,
                *(line.duty_columns.get(name, "") for name in duty_names),
            ]
        )
    data = buffer.getvalue().encode("utf-8")
    path = Path(path)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)


_cache: dict[str, NationalSchedule] = {}
_cache_lock = threading.Lock()


def get_bundled_schedule(key: str = "eu-taric-en") -> NationalSchedule:
    """A schedule shipped with the package (see :data:`BUNDLED_SCHEDULES`), loaded once per process."""
    if key not in BUNDLED_SCHEDULES:
        raise KeyError(f"unknown bundled schedule {key!r}; available: {sorted(BUNDLED_SCHEDULES)}")
    with _cache_lock:
        if key not in _cache:
            _cache[key] = load_schedule(DATA_DIR / BUNDLED_SCHEDULES[key])
        return _cache[key]
