"""Build the Chinese character-pair index of the classifier and fit its weight and temperature.

    PYTHONPATH=layers/shared/python:. .venv/bin/python scripts/build_cjk_index.py [--model-dir DIR] [--write]

Why: the encoder is English MiniLM and cannot read Chinese, yet Taiwanese traders describe goods in Chinese and
the guided dialogue already speaks zh-TW. The commercial names index (``data/commercial_names/*.csv``) gives most
entries a Traditional Chinese name (``term_zh_tw``), so a lexical index over those names, on characters and
character pairs (``lexical.LexicalIndex``, analyzer ``cjk``), scores Chinese text; the engine adds it to the scores
of text written mostly in Han or Hangul characters (``textprep.written_in_cjk``), after turning Simplified characters
into Traditional ones (``chinese.TraditionalChinese``, from OpenCC's dictionaries: ``zh_s2t.json``).

Measured honestly: 5 % of the Chinese names (by a hash of the name) are held out of the index. Half of them fit the
weight of the index and the temperature by NLL; the other half reports HS6@1 / HS4@1 / HS6@5 and ECE. Queries are
the bare names, without the English condition the index rows carry in brackets; they are measured once more written
in Simplified characters (OpenCC t2s), read with and without the conversion back. ``--write`` then builds the index
from all names, saves ``lexical_cjk.npz`` and ``zh_s2t.json`` into the model folder, stores ``cjk_weight`` and
``cjk_temperature`` in config.json and redoes the model card's file table. The last stdout line is one JSON object.

The same names, beside their English entries, teach a Chinese -> English lexicon (``zh_lexicon.json.gz``: overlapping
character pairs -> English words, IBM Model 1 as in ``build_translation_lexicon.py``, held-out names kept out when
measuring): the engine puts Chinese goods into English (``translate.ChineseLexicon``), scores the translation on the
English path and adds the weighted character index. The report says what the translation adds.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import shutil
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "layers" / "shared" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from evaluate import expected_calibration_error  # noqa: E402
from functions.classifier.chinese import FILE_NAME as CHINESE_TABLE  # noqa: E402
from functions.classifier.chinese import TraditionalChinese, read_mainland_words  # noqa: E402
from functions.classifier.confidence import fit_temperature, softmax_rows  # noqa: E402
from functions.classifier.engine import ClassifierEngine, model_dir  # noqa: E402
from functions.classifier.lexical import LexicalIndex  # noqa: E402
from functions.classifier.textprep import normalize_query, written_in_cjk  # noqa: E402
from functions.classifier.translate import CHINESE_LEXICON_FILE, HAN_RUN, ChineseLexicon, han_tokens, han_trigrams  # noqa: E402
from model_card import rewrite_card  # noqa: E402
from training_data import chinese_index_entries  # noqa: E402
from build_translation_lexicon import learn_word_lexicon, save_lexicon  # noqa: E402

INDEX_FILE = "lexical_cjk.npz"
WEIGHTS = (0.5, 1.0, 2.0, 4.0, 8.0)
HELD_OUT_BUCKETS = 20  # 1 in 20 names held out; of those, even hashes fit and odd hashes report
TRIGRAM_MIN_NAMES = 4  # a run of three characters joins the lexicon when at least this many names hold it


def chinese_names(folder: Path) -> list[dict]:
    """Rows of the index's Chinese names: the name alone and, when the entry has one, the name with its (English)
    condition in brackets, as the corpus has it. The name alone lets a bare name that users type match exactly."""
    rows = []
    for hs6, zh_name, zh_condition in chinese_index_entries(folder):
        name = normalize_query(zh_name)
        if name and written_in_cjk(name):
            rows.append({"name": name, "text": name, "hs6": hs6})
            condition = normalize_query(zh_condition)
            if condition:
                rows.append({"name": name, "text": f"{name} ({condition})", "hs6": hs6})
    return rows


def chinese_english_names(folder: Path) -> list[tuple[str, str]]:
    """(normalised Traditional Chinese name, English term) of each index entry with a Chinese name."""
    pairs = []
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for rec in csv.DictReader(handle):
                name = normalize_query(rec.get("term_zh_tw") or "")
                if name and rec.get("term_en") and written_in_cjk(name):
                    pairs.append((name, rec["term_en"]))
    return pairs


def learn_lexicon(pairs: list[tuple[str, str]], to_traditional: TraditionalChinese) -> dict[str, str]:
    """Character pair -> English word(s), from the names (as the engine rewrites queries) beside their English terms,
    plus the runs of three characters that stand for a word of their own, learned the same way apart from the pairs and
    kept where at least TRIGRAM_MIN_NAMES names hold them (3, 4 and 6 were tried on the held-out names: 4 read best, and
    it keeps the file within the 30 MB budget)."""
    names = [(to_traditional.convert(name), term) for name, term in pairs]
    lexicon = learn_word_lexicon([(han_tokens(name), term) for name, term in names])
    trigrams = learn_word_lexicon([(han_trigrams(name), term) for name, term in names])
    held_by = Counter(t for name, _ in names for t in set(han_trigrams(name)))
    lexicon.update({t: english for t, english in trigrams.items() if held_by[t] >= TRIGRAM_MIN_NAMES})
    # The last character of each run, aligned alone: the head noun a name ends with (凳 stool, 鍋 pot), read when the run's
    # last pair is unknown. A character that is also a name of its own keeps that name's word.
    heads = learn_word_lexicon([([run[-1] for run in HAN_RUN.findall(name) if len(run) > 1], term) for name, term in names])
    return {**heads, **lexicon}


def held_out_part(name: str) -> str | None:
    """'fit', 'report' or None (in the index), from a hash of the name, so one name never sits on two sides."""
    h = int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16)
    if h % HELD_OUT_BUCKETS:
        return None
    return "fit" if (h // HELD_OUT_BUCKETS) % 2 == 0 else "report"


def build_index(rows: list[dict], label_index: dict[str, int], to_traditional: TraditionalChinese) -> LexicalIndex:
    """Names written the way the engine rewrites queries (Taiwan phrasing: 自行車 -> 腳踏車), so both sides meet. The
    rows with an English condition count in their label's centroid; short-name matches are on bare names."""
    rows = [r for r in rows if r["hs6"] in label_index]
    return LexicalIndex.build([to_traditional.convert(r["text"]) for r in rows], [label_index[r["hs6"]] for r in rows], len(label_index),
                              analyzer="cjk", short_rows=[r["text"] == r["name"] for r in rows])  # bare names only: users type no English


def split_names(rows: list[dict]) -> tuple[list[dict], dict[str, list[dict]]]:
    """The rows that go into the index when measuring, and one query per held-out entry (its bare name) to fit and
    to report on."""
    parts: dict[str, list[dict]] = {"fit": [], "report": []}
    indexed = []
    for row in rows:
        part = held_out_part(row.get("key", row["name"]))  # a key groups the synonyms of one entry on one side
        if not part:
            indexed.append(row)
        elif row["text"] == row["name"]:
            parts[part].append(row)
    return indexed, parts


def score_parts(engine: ClassifierEngine, index: LexicalIndex, part_rows: list[dict], convert) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The engine's scores without any character index (set to None by the caller), the index's scores of the names as
    the engine reads them (``convert``), and the gold label ids."""
    base = np.stack([engine.scores(r["name"]).scores for r in tqdm(part_rows, desc="score", mininterval=5, file=sys.stderr)])
    extra = np.stack([index.scores(convert(r["name"])) for r in part_rows])
    return base, extra, np.array([engine.label_index[r["hs6"]] for r in part_rows])


def fit_weight(base: np.ndarray, extra: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """The index's weight and the temperature, by NLL on the fitting half of the held-out names."""
    trials = {w: fit_temperature(base + w * extra, gold, high=2.0) for w in WEIGHTS}  # heavier weights want hotter softmaxes
    weight = min(trials, key=lambda w: trials[w][1])
    for w, (t, nll, acc) in trials.items():
        print(f"[fit] weight {w}: temperature {t:.4f} NLL {nll:.3f} HS6@1 {acc*100:.1f}%{'  <- chosen' if w == weight else ''}", file=sys.stderr)
    return weight, trials[weight][0]


def held_out_report(engine: ClassifierEngine, base: np.ndarray, extra: np.ndarray, gold: np.ndarray, weight: float, temperature: float) -> dict:
    """HS6@1, HS4@1, HS6@5 and ECE of the reporting half, and HS6@1 of the English path alone."""
    probs = softmax_rows(base + weight * extra, temperature)
    top = np.argsort(-probs, 1)[:, :5]
    p4 = np.stack([engine.hs4_probs(p) for p in probs])
    return {
        "n": len(gold),
        "hs6@1": round(100 * float((top[:, 0] == gold).mean()), 2),
        "hs4@1": round(100 * float((p4.argmax(1) == engine.hs4_of[gold]).mean()), 2),
        "hs6@5": round(100 * float((top == gold[:, None]).any(1).mean()), 2),
        "ece": round(expected_calibration_error(probs.max(1), top[:, 0] == gold), 4),
        "hs6@1_without_index": round(100 * float((np.argsort(-base, 1)[:, 0] == gold).mean()), 2),
    }


def write_heldout_queries(copy: Path, prefix: str, rows: list[dict]) -> None:
    """The reporting names as ``{prefix}_heldout.jsonl`` and dressed as declarations (the name, then 1-3 English fields:
    brand, model, origin, quantity) as ``{prefix}_heldout_declarations.jsonl``, for evaluate.py and simulate_dialogue.py."""
    from training_data import noise_field  # torch-free; the English calibration set is dressed the same way

    dress = random.Random(5)
    for name, text_of in ((f"{prefix}_heldout.jsonl", lambda row: row["name"]),
                          (f"{prefix}_heldout_declarations.jsonl",
                           lambda row: "; ".join([row["name"]] + [noise_field(dress) for _ in range(dress.randint(1, 3))]))):
        with open(copy / name, "w", encoding="utf-8") as handle:
            for i, row in enumerate(rows):
                handle.write(json.dumps({"id": f"{prefix}-heldout-{i:05d}", "text": text_of(row), "hs6": row["hs6"]}, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=None, help="model folder (default: the served one)")
    ap.add_argument("--names", default=str(REPO / "data" / "commercial_names"))
    ap.add_argument("--mainland-words", default=str(REPO / "data" / "chinese" / "mainland_taiwan_words.csv"),
                    help="mainland -> Taiwan goods words (CSV: mainland, taiwan, english)")
    ap.add_argument("--opencc-dir", default="", help="OpenCC dictionary folder (default: that of the installed opencc-python-reimplemented)")
    ap.add_argument("--heldout-model", default="",
                    help="also write a copy of the model with the index as measured (without the held-out names) to this folder,"
                         " with the reporting names as chinese_heldout.jsonl (and dressed as declarations with English fields:"
                         " chinese_heldout_declarations.jsonl), for scripts/evaluate.py and simulate_dialogue.py")
    ap.add_argument("--write", action="store_true", help="save the index (built from all names) and its weights into the model folder")
    args = ap.parse_args(argv)

    import opencc  # build time only (make cjk-index installs it)

    dictionary_dir = Path(args.opencc_dir) if args.opencc_dir else Path(opencc.__file__).parent / "dictionary"
    folder = Path(args.model_dir) if args.model_dir else model_dir()
    engine = ClassifierEngine(folder)
    engine.cjk_lexical = None  # score the English way here; the index under test is added below
    rows = [r for r in chinese_names(Path(args.names)) if r["hs6"] in engine.label_index]
    n_names = sum(r["text"] == r["name"] for r in rows)
    indexed, parts = split_names(rows)
    # The Taiwan phrases the names use (the held-out names are not asked), and the engine reads with this table.
    mainland = read_mainland_words(Path(args.mainland_words))
    to_traditional = TraditionalChinese.from_opencc(dictionary_dir, names=sorted({r["name"] for r in indexed}), mainland=mainland)
    engine.to_traditional = to_traditional
    index = build_index(indexed, engine.label_index, to_traditional)
    # As the engine reads a query: an ambiguous Simplified character takes the reading whose pairs the index knows.
    engine.known_chinese_pair = lambda pair: pair in index.vocab or (engine.from_chinese is not None and pair in engine.from_chinese.lexicon)

    def convert(text: str) -> str:
        return to_traditional.convert(text, known=engine.known_chinese_pair)

    # Without the translation first, then with a lexicon learned from the names outside the held-out ones.
    engine.from_chinese = None
    plain = score_parts(engine, index, parts["fit"], convert)
    plain_weight, plain_temperature = fit_weight(*plain)
    without_translation = held_out_report(engine, *score_parts(engine, index, parts["report"], convert),
                                          plain_weight, plain_temperature)
    name_pairs = chinese_english_names(Path(args.names))
    measured_lexicon = learn_lexicon([(n, t) for n, t in name_pairs if held_out_part(n) is None], to_traditional)
    engine.from_chinese = ChineseLexicon(measured_lexicon)
    fit = score_parts(engine, index, parts["fit"], convert)
    weight, temperature = fit_weight(*fit)
    rep_base, rep_cjk, rep_gold = score_parts(engine, index, parts["report"], convert)
    report = held_out_report(engine, rep_base, rep_cjk, rep_gold, weight, temperature)
    report["without_translation"] = {k: without_translation[k] for k in ("hs6@1", "hs4@1", "hs6@5", "ece")}
    # The same held-out names written in Simplified characters (OpenCC t2s), read without and with the conversion back.
    to_simplified = opencc.OpenCC("t2s")
    simplified = [to_simplified.convert(r["name"]) for r in parts["report"]]
    simplified_base = np.stack([engine.scores(q).scores for q in simplified])
    for key, queries in (("simplified_hs6@1_unconverted", simplified), ("simplified_hs6@1", [convert(q) for q in simplified])):
        cjk = np.stack([index.scores(q) for q in queries])
        report[key] = round(100 * float((np.argmax(simplified_base + weight * cjk, 1) == rep_gold).mean()), 2)
    report["simplified_changed"] = round(100 * float(np.mean([q != r["name"] for q, r in zip(simplified, parts["report"])])), 1)
    print(f"[report] held-out Chinese names: {report}", file=sys.stderr)

    if args.heldout_model:  # the served code path on names it has never seen (evaluate.py --model-dir, CUSTOMS_MODEL_DIR)
        copy = Path(args.heldout_model)
        shutil.copytree(folder, copy, dirs_exist_ok=True)
        index.save(copy / INDEX_FILE)
        to_traditional.save(copy / CHINESE_TABLE)
        save_lexicon(measured_lexicon, copy / CHINESE_LEXICON_FILE)
        config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
        config.update({"model_version": config["model_version"] + "-heldout-names", "cjk_weight": weight, "cjk_temperature": temperature,
                       "cjk_weight_untranslated": plain_weight, "cjk_temperature_untranslated": plain_temperature})
        (copy / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        write_heldout_queries(copy, "chinese", parts["report"])
        print(f"[heldout-model] {copy} (+ chinese_heldout.jsonl and chinese_heldout_declarations.jsonl, {len(parts['report'])} names)",
              file=sys.stderr)

    if args.write:
        to_traditional = TraditionalChinese.from_opencc(dictionary_dir, names=sorted({r["name"] for r in rows}), mainland=mainland)
        served = build_index(rows, engine.label_index, to_traditional)
        served.save(folder / INDEX_FILE)
        to_traditional.save(folder / CHINESE_TABLE)
        lexicon = learn_lexicon(name_pairs, to_traditional)
        n_pairs = sum(len(token) == 2 for token in lexicon)
        n_single = sum(len(token) == 1 for token in lexicon)
        save_lexicon(lexicon, folder / CHINESE_LEXICON_FILE)
        config_path = folder / "config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config.update({"cjk_weight": weight, "cjk_temperature": temperature,
                       "cjk_weight_untranslated": plain_weight, "cjk_temperature_untranslated": plain_temperature,
                       "cjk_index": f"{n_names} Traditional Chinese names of data/commercial_names, alone and with their condition ({len(rows)} rows;"
                                    " characters and character pairs)",
                       "chinese_lexicon": f"{n_pairs} Traditional Chinese character pairs, {len(lexicon) - n_pairs - n_single} runs of three and {n_single} single characters -> English ({CHINESE_LEXICON_FILE}, IBM Model 1"
                                          " on the Chinese names of the commercial names index and their English entries)",
                       "metrics_cjk_heldout": report})
        config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        rewrite_card(folder, {"- Chinese:": (
            f"- Chinese: text written mostly in Han characters is put into English pair of characters by pair with `{CHINESE_LEXICON_FILE}`"
            f" ({n_pairs} pairs, {len(lexicon) - n_pairs - n_single} words of three characters read whole where they occur, and {n_single} single"
            f" characters, the head noun a name ends with, read where the last pair is unknown; IBM Model 1 on the Chinese"
            f" names and their English entries) and scored on the English path, plus"
            f" `{INDEX_FILE}`, a character and character-pair TF-IDF index of the {n_names} Traditional Chinese names of the commercial"
            f" names index ({len(rows)} rows), weight {weight}, temperature {temperature:.4f} (fitted on held-out names). Held-out names"
            f" ({report['n']}, in neither the index nor the lexicon when measured): HS6@1 {report['hs6@1']} %, HS4@1 {report['hs4@1']} %,"
            f" HS6@5 {report['hs6@5']} %, ECE {report['ece']} (without the translation: HS6@1 {report['without_translation']['hs6@1']} %;"
            f" the English path on the translation alone: {report['hs6@1_without_index']} %). The same names in Simplified characters:"
            f" HS6@1 {report['simplified_hs6@1']} % through `{CHINESE_TABLE}` (OpenCC's Simplified-to-Traditional character and Taiwan"
            f" phrase tables, Apache-2.0; a character of several readings takes the one whose pairs the index knows: 干香菇 -> 乾香菇),"
            f" {report['simplified_hs6@1_unconverted']} % with the character index reading the Simplified text as it is. Evidence texts are those of the translation.")})
        print(f"[write] {folder / INDEX_FILE} ({(folder / INDEX_FILE).stat().st_size / 1e6:.2f} MB), weight {weight}, temperature {temperature:.4f}",
              file=sys.stderr)
    print(json.dumps({"weight": weight, "temperature": round(temperature, 5), "names": n_names, "rows": len(rows), "indexed_when_measured": len(indexed),
                      "fit_n": len(fit[2]), "report": report, "written": bool(args.write)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
