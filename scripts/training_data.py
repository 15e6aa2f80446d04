"""Training data for the HS6 classifier, free of PyTorch so it can be tested anywhere: reading the corpus,
the commercial names index and the nomenclature, the declaration-style text synthesis used while training
(noise fields, part numbers, parts-catalogue names, composed declarations), and the held-out split."""

from __future__ import annotations

import csv
import gzip
import json
import queue
import random
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from functions.classifier.textprep import normalize_query
from model_card import sha256

REPO = Path(__file__).resolve().parents[1]

GENERIC = {"other", "others", "other:", "others:", "n.e.s.", "nes", "기타"}


# --------------------------------------------------------------------------------------------- data
def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", (text or "").replace("\u00a0", " ")).strip()
    return text.strip(" :;-")


def _is_generic(text: str) -> bool:
    t = _clean(text).lower().rstrip(".:")
    return t in GENERIC or t.startswith("other") and len(t) < 8


def load_hs2022(shared: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """hs6 -> description, hs4 -> description, hs2 -> description (HS 2022)."""
    h6, h4, h2 = {}, {}, {}
    with open(shared / "nomenclature/hs2022/harmonized-system.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code, desc = row["hscode"], _clean(row["description"])
            {2: h2, 4: h4, 6: h6}.get(len(code), {})[code] = desc
    return h6, h4, h2


def short_heading(desc: str) -> str:
    return re.split(r"[;:(]", desc)[0].strip()[:80]


def source_rows(shared: Path, h6: dict[str, str], h4: dict[str, str]) -> list[dict]:
    """Training rows read straight from the public nomenclature sources (fallback when the corpus of
    scripts/build_corpus.py is absent)."""
    rows: list[dict] = []
    for code, desc in h6.items():
        rows.append({"text": desc, "hs6": code, "source": "hs2022"})
        rows.append({"text": f"{short_heading(h4[code[:4]])}: {desc}", "hs6": code, "source": "hs2022"})
    # Korean HSK English names: own-line texts, context rebuilt from header-row prefixes.
    names: dict[str, str] = {}
    with open(shared / "nomenclature/kr-hsk/hscode.csv", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader)
        for code, _ko, en in reader:
            names[code.strip()] = _clean(en)
    for code, en in names.items():
        if len(code) != 10 or code[:6] not in h6:
            continue
        parts = [names[p] for p in (code[:7], code[:8], code[:9]) if p in names and not _is_generic(names[p])]
        if not _is_generic(en):
            parts.append(en)
        parts = list(dict.fromkeys(p for p in parts if p))
        if not parts:
            continue
        text = "; ".join(parts)
        rows.append({"text": text, "hs6": code[:6], "source": "kr-hsk"})
        rows.append({"text": f"{short_heading(h4[code[:4]])}, {text}", "hs6": code[:6], "source": "kr-hsk"})
    # EU CN 2023 self-explanatory texts (English).
    with open(shared / "nomenclature/eu-cn2023-taric2025/2023_en_intrastat_codes.csv", encoding="cp1252") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            code = row["code"].strip()
            if code[:6] in h6:
                rows.append({"text": _clean(row["description"]), "hs6": code[:6], "source": "eu-cn2023"})
    # EU TARIC 2025 declarable lines (English) bundled with customs.hs: own text of each line that is
    # not just "Other", with its heading for context.
    try:
        from customs.hs.national import get_bundled_schedule

        for line in get_bundled_schedule("eu-taric-en"):
            own = _clean(line.description)
            if line.hs6 in h6 and own and not _is_generic(own) and not own.lower().startswith("other"):
                rows.append({"text": f"{short_heading(h4[line.hs6[:4]])}, {own}", "hs6": line.hs6, "source": "eu-taric2025"})
    except Exception as exc:  # pragma: no cover - the schedule is optional
        print(f"[data] TARIC schedule unavailable: {exc}", flush=True)
    return rows


def corpus_rows(path: Path, h6: dict[str, str]) -> list[dict]:
    rows = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("lang", "en") != "en" or str(rec.get("hs6")) not in h6:
                continue
            rows.append({"text": _clean(rec["text"]), "hs6": str(rec["hs6"]), "source": rec.get("source", "corpus")})
    return rows


def chinese_index_entries(folder: Path) -> list[tuple[str, str, str]]:
    """(hs6 digits, Traditional Chinese name, condition) of each index entry that has a Chinese name, as written in
    the CSVs (callers normalise); read by scripts/build_cjk_index.py and scripts/build_examples.py."""
    entries = []
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for rec in csv.DictReader(handle):
                if rec.get("term_zh_tw"):
                    entries.append((re.sub(r"\D", "", rec.get("hs6") or ""), rec["term_zh_tw"], rec.get("condition") or ""))
    return entries


def commercial_rows(folder: Path, h6: dict[str, str]) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("ch*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                term, code = _clean(rec.get("term_en", "")), (rec.get("hs6") or "").strip()
                if not term or code not in h6:
                    continue
                rows.append({"text": term, "hs6": code, "source": "commercial-names"})
                cond = _clean(rec.get("condition", ""))
                if cond:
                    rows.append({"text": f"{term}, {cond}", "hs6": code, "source": "commercial-names"})
    return rows


_SYLL = ["ka", "lo", "mi", "tek", "zen", "vo", "ra", "sun", "pro", "max", "bel", "tor", "nix", "dia", "co"]
_COUNTRIES = ["China", "Korea", "Japan", "Vietnam", "Germany", "USA", "Italy", "Taiwan", "India", "Thailand", "Turkey", "Mexico"]
_UNITS = ["pcs", "ml", "kg", "g", "mm", "cm", "sets", "pairs", "L", "W", "V"]


def noise_field(rng: random.Random) -> str:
    """One random declaration-style extra: a brand-like word, a model number, an origin, a quantity or size,
    or a trade remark (all random, not taken from any real data)."""
    kind = rng.randrange(5)
    if kind == 0:
        word = "".join(rng.choice(_SYLL) for _ in range(rng.randint(2, 3)))
        return word.upper() if rng.random() < 0.5 else word.capitalize()
    if kind == 1:
        if rng.random() < 0.4:
            return part_number(rng)
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.randint(1, 3)))
        return f"{rng.choice(['', 'MODEL ', 'Model: ', 'P/N '])}{letters}{rng.choice(['', '-'])}{rng.randint(1, 99999)}"
    if kind == 2:
        return f"{rng.choice(['made in ', 'origin: ', ''])}{rng.choice(_COUNTRIES)}"
    if kind == 3:
        return f"{rng.randint(1, 500)}{rng.choice(['', ' '])}{rng.choice(_UNITS)}"
    return rng.choice(["(for industrial use)", "new", "sample", "assorted", "brand new", "OEM", "for export"])


def part_number(rng: random.Random) -> str:
    """A random part number in the shapes parts catalogues use ("86513-2S000", "90915-YZZD3", "4P0-123-456")."""
    alnum = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
    shape = rng.randrange(3)
    if shape == 0:
        return f"{rng.randint(10000, 99999)}-{''.join(rng.choice(alnum) for _ in range(5))}"
    if shape == 1:
        return f"{''.join(rng.choice(alnum) for _ in range(3))}-{rng.randint(100, 999)}-{rng.randint(100, 999)}"
    return f"{rng.choice(['P/N ', 'PART NO. ', ''])}{''.join(rng.choice(alnum) for _ in range(rng.randint(6, 10)))}"


_CATALOG_SKIP = re.compile(r"[\d,;()/&+]|\b(?:and|or|with|without|of|in|not|other|excl|incl)\b", re.IGNORECASE)


def catalog_name(term: str, rng: random.Random) -> str:
    """A trade name written the way parts catalogues and many declarations list it: the head noun first,
    then what it is for ("oil seal" -> "SEAL-OIL", "brake pad for trucks" -> "PAD-BRAKE TRUCKS",
    "front door panel" -> "PANEL ASSY-FRONT DOOR"). "" when the name does not have that shape (one word,
    digits, lists or clauses)."""
    head_part, _, purpose = term.partition(" for ")
    if _CATALOG_SKIP.search(head_part) or _CATALOG_SKIP.search(purpose):
        return ""
    words = head_part.split()
    if not 1 <= len(words) <= 4 or (len(words) == 1 and not purpose) or len(purpose.split()) > 3:
        return ""
    head, qualifier = words[-1], " ".join(words[:-1] + purpose.split())
    if rng.random() < 0.25:
        head += rng.choice([" ASSY", " ASSEMBLY", " KIT", " SET", " SUB ASSY"])
    text = f"{head}{rng.choice(['-', '-', ' - ', ', ', ' '])}{qualifier}"
    return text.upper() if rng.random() < 0.7 else text


def augment(text: str, rng: random.Random) -> str:
    """Declaration-style noise around a training text, so the encoder learns to look past it."""
    extras = [noise_field(rng) for _ in range(rng.choice((1, 1, 2, 3)))]
    sep = rng.choice([", ", " ", " / ", "; "])
    if rng.random() < 0.8:
        return text + sep + sep.join(extras)
    return sep.join(extras) + sep + text


_TYPO_WORD = re.compile(r"[A-Za-z]{5,}")
_TYPO_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def misspell(text: str, rng: random.Random) -> str:
    """``text`` with one typing slip in one word of 5+ letters (a letter dropped, doubled letters swapped, a letter
    replaced or one slipped in; never the first letter), as declarations are typed. The text as it is when it has no
    such word. Real declarations carry such slips ("Gound seasoned pork"), and a word index cannot mend them without
    a dictionary (docs/model.md, round 10), so the encoder is taught to read past them."""
    words = list(_TYPO_WORD.finditer(text))
    if not words:
        return text
    match = rng.choice(words)
    word, i = match.group(0), rng.randrange(1, len(match.group(0)) - 1)
    letter = rng.choice(_TYPO_LETTERS)
    letter = letter.upper() if word[i].isupper() else letter
    slip = rng.randrange(4)
    if slip == 0:
        word = word[:i] + word[i + 1 :]
    elif slip == 1:
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif slip == 2:
        word = word[:i] + letter + word[i + 1 :]
    else:
        word = word[:i] + letter + word[i:]
    return text[: match.start()] + word + text[match.end() :]


_GLUE_SPACE = re.compile(r"\b[A-Za-z]{3,}( )(?=[A-Za-z]{3,}\b)")  # the space only, so neighbouring pairs overlap


def glue_words(text: str, rng: random.Random) -> str:
    """``text`` with the space between two neighbouring words of 3+ letters dropped ("pork meat frozen" -> "pork
    meatfrozen"), as declarations typed into fixed-width fields or pasted from PDFs run words together. The text as it
    is when no two such words stand side by side. Serving splits run-on words it can read (textprep.RunOnWords); this
    teaches the encoder to read the ones it cannot."""
    spaces = [match.start(1) for match in _GLUE_SPACE.finditer(text)]
    if not spaces:
        return text
    at = rng.choice(spaces)
    return text[:at] + text[at + 1 :]


NAME_SOURCES = {"commercial-names", "commercial_index"}
_TARIFF_SOURCES = {"hs2022", "kr_hsk", "kr-hsk", "eu_cn2023", "eu-cn2023", "us_hts2017", "eu_taric2025", "eu-taric2025"}


def own_line_text(text: str) -> str:
    """The line's own wording of a corpus path text ("Prunes — under: Fruit, dried > ..." -> "Prunes"),
    or "" when that wording is generic ("Other", "Other (excl. ...)") or too long for a declaration."""
    own = _clean(text.split(" — under:")[0])
    if _is_generic(own) or "(excl." in own or len(own) > 90 or len(own) < 3:
        return ""
    return own


class DeclarationComposer:
    """Builds synthetic declarations the way goods are declared: tariff wording, then the trade name, then
    model/brand/origin, separated by semicolons ("<tariff line text>; <commercial name>; <model>; <origin>").
    Both parts come from the same label's training texts (tariff sources and the commercial names index),
    so the label stays right; the noise is random."""

    def __init__(self, rows: list[dict], seed: int) -> None:
        self.rng = random.Random(seed)
        self.tariff: dict[str, list[str]] = defaultdict(list)
        self.terms: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            if r["source"] in NAME_SOURCES:  # the index read directly or via the corpus
                self.terms[r["hs6"]].append(r["text"])
            elif r["source"] in _TARIFF_SOURCES and (own := own_line_text(r["text"])):
                self.tariff[r["hs6"]].append(own)

    def compose(self, hs6: str, fallback: str) -> str:
        rng = self.rng
        tariff = rng.choice(self.tariff[hs6]) if self.tariff.get(hs6) else ""
        term = rng.choice(self.terms[hs6]) if self.terms.get(hs6) else ""
        if term and rng.random() < 0.3:
            term = catalog_name(term, rng) or term
        roll = rng.random()
        if tariff and term and roll < 0.7:
            parts = [tariff, term]
        elif term and roll < 0.85:
            parts = [term]
        elif tariff:
            parts = [tariff]
        else:
            parts = [term or fallback]
        parts += [noise_field(rng) for _ in range(rng.choice((0, 1, 1, 2, 3)))]
        if rng.random() < 0.3:
            parts = [p.upper() if rng.random() < 0.5 else p for p in parts]
        return rng.choice(["; ", " ; ", ";", ";;"]).join(parts)


def entry_key(text: str) -> str:
    """The index entry or tariff line a training text comes from: "term", "term, condition" and the corpus
    copy "term (condition)" share one key, as do a tariff line's texts with and without their path. The
    held-out split keeps each key on one side, so a held-out text never has a near-copy in training."""
    key = normalize_query(text).lower().split(" — under:")[0]
    key = re.sub(r"\s*\([^)]*\)\s*$", "", key)
    return key.split(", ")[0].strip()


def split_heldout(rows: list[dict], share: float, rng: random.Random,
                  pinned: set[str] | None = None) -> tuple[list[dict], list[dict]]:
    """Hold out whole entries (see entry_key), never HS 2022 subheading texts, and only while every label
    keeps at least two training rows. With ``pinned`` (entry keys an earlier run held out, see
    read_heldout_keys) exactly those entries are held out, so a warm start from that run never trains on
    its calibration rows, however the data grew since (new entries all go to training)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[entry_key(r["text"])].append(i)
    per_label = Counter(r["hs6"] for r in rows)
    held_ids: set[int] = set()
    for key in sorted(groups):
        members = groups[key]
        drawn = rng.random() < share  # drawn for every key, pinned or not, so the default split stays as it was
        if not (key in pinned if pinned is not None else drawn) or any(rows[i]["source"] == "hs2022" for i in members):
            continue
        need = Counter(rows[i]["hs6"] for i in members)
        if all(per_label[lab] - n >= 2 for lab, n in need.items()):
            held_ids.update(members)
            per_label.subtract(need)
    held = [r for i, r in enumerate(rows) if i in held_ids]
    train = [r for i, r in enumerate(rows) if i not in held_ids]
    return held, train


def write_heldout_keys(path: Path, held: list[dict]) -> None:
    """The entry keys of a run's held-out rows (gzip text, one per line), for --heldout-keys of a later warm start."""
    keys = sorted({entry_key(r["text"]) for r in held})
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("".join(k + "\n" for k in keys))


def read_heldout_keys(path: Path) -> set[str]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return {line.rstrip("\n") for line in fh if line.strip()}


def dedupe(rows: list[dict]) -> list[dict]:
    """One row per (normalized text, hs6); texts with conflicting labels keep every label (the
    cross-entropy then spreads probability, which is the honest answer)."""
    seen, out = set(), []
    for r in rows:
        key = (normalize_query(r["text"]).lower(), r["hs6"])
        if key[0] and key not in seen:
            seen.add(key)
            out.append(r)
    return out


class Prefetcher:
    """Items of a generator made ahead in one background thread, at most ``depth`` waiting; ``close`` stops it and waits
    for it to end (so that nothing else runs the generator's tokenizer at the same time). An error in the generator is
    raised by ``next``."""

    _END = object()

    def __init__(self, items, depth: int = 4) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, args=(items,), name="batches", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        """Waits for room, or for ``close``; False once closed."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _fill(self, items) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer
            self._put(exc)
            return
        self._put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get()
        if item is self._END:
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class TrainingSplit:
    """The rows one training run sees: all of them (de-duplicated, shuffled), the held-out and the training rows, the
    index rows among them, the run's random generator after the split (training draws from it next), and a line
    naming where the rows came from."""

    rows: list[dict]
    held: list[dict]
    train: list[dict]
    names: list[dict]
    rng: random.Random
    source: str


def training_split(shared: Path, corpus: Path, names_dir: Path, h6: dict[str, str], h4: dict[str, str], seed: int,
                   holdout: float, heldout_keys: Path | None = None) -> TrainingSplit:
    """The corpus's English rows (or the nomenclature sources when no corpus was built) and the commercial names index,
    de-duplicated, shuffled with ``seed`` and split by whole entry (``split_heldout``; ``heldout_keys`` pins an
    earlier run's held-out entries). Training and ``scripts/refresh_lexical.py`` share it, so both see the same rows."""
    if corpus.exists():
        base = corpus_rows(corpus, h6)
        shown = corpus.relative_to(REPO) if corpus.is_relative_to(REPO) else corpus
        source = f"corpus {shown} (sha256 {sha256(corpus)[:12]}, English rows)"
    else:
        base = source_rows(shared, h6, h4)
        source = "nomenclature sources (HS 2022, KR HSK EN, EU CN 2023 EN) read directly"
    names = commercial_rows(names_dir, h6)
    rows = dedupe(base + names)
    rng = random.Random(seed)
    rng.shuffle(rows)
    pinned = read_heldout_keys(heldout_keys) if heldout_keys else None
    held, train = split_heldout(rows, holdout, rng, pinned)
    return TrainingSplit(rows, held, train, names, rng, source)


def add_export_split_arguments(ap, repo: Path = REPO) -> None:
    """The options that gather an export's rows again (``training_split``): the sources, the export's pinned held-out
    entries and its seed. Scripts that work on an exported model's rows share them, so their defaults cannot drift."""
    ap.add_argument("--shared-data", default=str(repo.parent / "shared" / "data"))
    ap.add_argument("--corpus", default=str(repo / "build" / "corpus" / "corpus.jsonl"), help="make corpus writes it")
    ap.add_argument("--names", default=str(repo / "data" / "commercial_names"))
    ap.add_argument("--heldout-keys", default="", help="the export's pinned held-out entries (--heldout-keys of the export)")
    ap.add_argument("--seed", type=int, default=None, help="the export's seed (default: config.json's)")
    ap.add_argument("--holdout", type=float, default=0.04)
