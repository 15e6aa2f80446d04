"""Build the Korean character-pair index of the classifier and fit its weight and temperature.

    PYTHONPATH=layers/shared/python:. .venv/bin/python scripts/build_korean_index.py [--model-dir DIR] [--write]

Why: the encoder is English MiniLM and cannot read Korean; before this index, Korean text fell to the Chinese index,
whose names share no characters with it, and got near-uniform probabilities. Korean importers and brokers describe
goods in Korean. Two sources give each label Korean words:
- the Korean trade names of the commercial names index (``data/commercial_names_ko/ko_names.csv``: about three
  entries per subheading written in Korean, synonyms separated by " | ");
- the Korean wording of the HSK tariff lines (corpus rows ``kr_hsk``/``ko`` of ``build/corpus/corpus.jsonl``, with
  their heading path), which gives every subheading its legal wording.
Both go into a ``LexicalIndex`` with the ``cjk`` analyzer (characters and character pairs of each Hangul run, so
spacing does not matter: "냉동참치" and "냉동 참치" share their pairs). Bare trade names and tariff lines without a path
are the short rows that a short name can match exactly.

The same names, beside their English entries, teach a Korean -> English word lexicon (``ko_lexicon.json.gz``, IBM
Model 1 as in ``build_translation_lexicon.py``; each Korean word keeps its most likely English word when seen at least
twice with t >= 0.1): the engine puts Korean goods into English (``translate.KoreanLexicon``) and scores the
translation on the English path, plus the weighted character index.

Measured like the Chinese index (``build_cjk_index.py``): 5 % of the trade-name entries (by a hash of the entry, so
the synonyms of one entry stay together) are held out of the index and of the lexicon; half of them fit the weight and
temperature by NLL, the other half reports HS6@1 / HS4@1 / HS6@5 / ECE, with and without the trade names (the tariff
wording alone) and without the translation. ``--write`` builds the index and the lexicon from everything, saves
``lexical_ko.npz`` and ``ko_lexicon.json.gz``, stores ``korean_weight`` and ``korean_temperature`` in config.json and
redoes the model card's line. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "layers" / "shared" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from build_cjk_index import fit_weight, held_out_report, score_parts, split_names, write_heldout_queries  # noqa: E402
from build_translation_lexicon import learn_word_lexicon, save_lexicon  # noqa: E402
from functions.classifier.engine import ClassifierEngine, model_dir  # noqa: E402
from functions.classifier.lexical import LexicalIndex  # noqa: E402
from functions.classifier.textprep import normalize_query, written_in_hangul  # noqa: E402
from functions.classifier.translate import KOREAN_LEXICON_FILE, KoreanLexicon, hangul_words  # noqa: E402
from model_card import rewrite_card  # noqa: E402

INDEX_FILE = "lexical_ko.npz"
VERSION_SUFFIX = "-ko"
PATH_SEPARATOR = " — "  # corpus rows of a tariff line under its heading: "젖소 — 기타(번식용 제외)"


def korean_names(path: Path) -> list[dict]:
    """One row per Korean name (synonyms split), keyed by its index entry."""
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for rec in csv.DictReader(handle):
            key = f"{rec['hs6']}|{rec['term_en']}"
            for name in (rec.get("term_ko") or "").split("|"):
                name = normalize_query(name)
                if name and written_in_hangul(name):
                    rows.append({"name": name, "text": name, "hs6": rec["hs6"], "key": key})
    return rows


def tariff_rows(corpus: Path) -> list[dict]:
    """The Korean wording of the HSK tariff lines (never held out: they are the law's words, not users' queries)."""
    rows = []
    with open(corpus, encoding="utf-8") as handle:
        for line in handle:
            rec = json.loads(line)
            if rec["source"] == "kr_hsk" and rec["lang"] == "ko":
                rows.append({"name": "", "text": normalize_query(rec["text"]), "hs6": rec["hs6"]})
    return rows


def learn_lexicon(names: list[dict]) -> dict[str, str]:
    """Korean word -> English word(s), from each Korean name (its Hangul runs) and the English term of its index entry
    (``build_translation_lexicon.learn_word_lexicon``)."""
    return learn_word_lexicon([(hangul_words(r["name"]), r["key"].split("|", 1)[1]) for r in names])


def hsk_line_pairs(path: Path) -> list[dict]:
    """The HSK tariff lines' own Korean and English names ("농가 사육용" / "For farm breeding"), shaped as names of the
    lexicon: the law's words, a second parallel source beside the trade names (never held out, as in the index)."""
    if not path.exists():
        print(f"[lexicon] {path} not found: the lexicon learns from the trade names alone", file=sys.stderr)
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [{"name": normalize_query(rec["한글품목명"]), "key": f"{rec['HS부호'][:6]}|{rec['영문품목명']}"}
                for rec in csv.DictReader(handle) if rec.get("한글품목명") and rec.get("영문품목명")]


def build_index(rows: list[dict], label_index: dict[str, int]) -> LexicalIndex:
    rows = [r for r in rows if r["hs6"] in label_index]
    return LexicalIndex.build([r["text"] for r in rows], [label_index[r["hs6"]] for r in rows], len(label_index), analyzer="cjk",
                              short_rows=[PATH_SEPARATOR not in r["text"] for r in rows])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=None, help="model folder (default: the served one)")
    ap.add_argument("--names", default=str(REPO / "data" / "commercial_names_ko" / "ko_names.csv"))
    ap.add_argument("--corpus", default=str(REPO / "build" / "corpus" / "corpus.jsonl"), help="make corpus writes it")
    ap.add_argument("--hsk", default=str(REPO.parent / "shared" / "data" / "nomenclature" / "kr-hsk" / "hscode.csv"),
                    help="HSK tariff lines with Korean and English names (a second source of the Korean -> English lexicon)")
    ap.add_argument("--heldout-model", default="",
                    help="also write a copy of the model with the index as measured to this folder, with the reporting names as"
                         " korean_heldout.jsonl and korean_heldout_declarations.jsonl (for evaluate.py and simulate_dialogue.py)")
    ap.add_argument("--write", action="store_true", help="save the index (built from all rows) and its weights into the model folder")
    args = ap.parse_args(argv)

    folder = Path(args.model_dir) if args.model_dir else model_dir()
    engine = ClassifierEngine(folder)
    engine.korean_lexical = engine.cjk_lexical = None  # score the English way here; the index under test is added below
    names = [r for r in korean_names(Path(args.names)) if r["hs6"] in engine.label_index]
    tariff = [r for r in tariff_rows(Path(args.corpus)) if r["hs6"] in engine.label_index]
    if not tariff:
        raise SystemExit(f"no Korean HSK rows in {args.corpus}: run make corpus first")
    indexed, parts = split_names(names)
    index = build_index(indexed + tariff, engine.label_index)
    # Without the translation first (the character index alone on top of the English path reading Korean), then with a
    # lexicon learned from the indexed names only, as the engine will use it.
    engine.from_korean = None
    plain_weight, plain_temperature = fit_weight(*score_parts(engine, index, parts["fit"], str))
    without_translation = held_out_report(engine, *score_parts(engine, index, parts["report"], str), plain_weight, plain_temperature)
    hsk_lines = hsk_line_pairs(Path(args.hsk))
    measured_lexicon = learn_lexicon(indexed + hsk_lines)
    engine.from_korean = KoreanLexicon(measured_lexicon)
    weight, temperature = fit_weight(*score_parts(engine, index, parts["fit"], str))
    report = held_out_report(engine, *score_parts(engine, index, parts["report"], str), weight, temperature)
    report["without_translation"] = {k: without_translation[k] for k in ("hs6@1", "hs4@1", "hs6@5", "ece")}
    # What the trade names add: the same queries against the tariff wording alone, at its own fitted weight.
    wording_only = build_index(tariff, engine.label_index)
    wording_weight, wording_temperature = fit_weight(*score_parts(engine, wording_only, parts["fit"], str))
    report["hs6@1_tariff_wording_only"] = held_out_report(engine, *score_parts(engine, wording_only, parts["report"], str),
                                                          wording_weight, wording_temperature)["hs6@1"]
    print(f"[report] held-out Korean names: {report}", file=sys.stderr)

    def configure(target: Path, extra: dict) -> None:
        config_path = target / "config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config.update({"korean_weight": weight, "korean_temperature": temperature, "korean_weight_untranslated": plain_weight,
                       "korean_temperature_untranslated": plain_temperature, **extra})
        config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")

    if args.heldout_model:  # the served code path on names it has never seen (evaluate.py --model-dir, CUSTOMS_MODEL_DIR)
        copy = Path(args.heldout_model)
        shutil.copytree(folder, copy, dirs_exist_ok=True)
        index.save(copy / INDEX_FILE)
        save_lexicon(measured_lexicon, copy / KOREAN_LEXICON_FILE)
        configure(copy, {"model_version": json.loads((folder / "config.json").read_text(encoding="utf-8"))["model_version"] + "-heldout-names"})
        write_heldout_queries(copy, "korean", parts["report"])
        print(f"[heldout-model] {copy} (+ korean_heldout.jsonl and korean_heldout_declarations.jsonl, {len(parts['report'])} names)", file=sys.stderr)

    n_entries = len({r["key"] for r in names})
    if args.write:
        build_index(names + tariff, engine.label_index).save(folder / INDEX_FILE)
        lexicon = learn_lexicon(names + hsk_lines)
        save_lexicon(lexicon, folder / KOREAN_LEXICON_FILE)
        served_version = json.loads((folder / "config.json").read_text(encoding="utf-8"))["model_version"]
        if not served_version.endswith(VERSION_SUFFIX):  # Korean text gets other answers, so the version says so
            served_version += VERSION_SUFFIX
        configure(folder, {"model_version": served_version, "korean_index": f"{len(names)} Korean trade names of {n_entries} entries (data/commercial_names_ko) and {len(tariff)}"
                                           " Korean HSK tariff lines (characters and character pairs)",
                           "korean_lexicon": f"{len(lexicon)} Korean words -> English ({KOREAN_LEXICON_FILE}, IBM Model 1 on the Korean names and their"
                                             f" English entries and {len(hsk_lines)} HSK lines' Korean and English names)",
                           "metrics_korean_heldout": report})
        rewrite_card(folder, {"- Korean:": (
            f"- Korean: text written mostly in Hangul is scored with `{INDEX_FILE}`, a character and character-pair TF-IDF index of"
            f" {len(names)} Korean trade names ({n_entries} index entries) and the Korean wording of {len(tariff)} HSK tariff lines,"
            f" weight {weight}, temperature {temperature:.4f} (fitted on held-out names), added to the English path's scores of the"
            f" text put into English word by word with `{KOREAN_LEXICON_FILE}` ({len(lexicon)} Korean words, IBM Model 1 on the Korean"
            f" names and their English entries and the HSK lines' Korean and English names). Held-out names ({report['n']}, in neither the index nor the lexicon when measured):"
            f" HS6@1 {report['hs6@1']} %, HS4@1 {report['hs4@1']} %, HS6@5 {report['hs6@5']} %, ECE {report['ece']}"
            f" (without the translation: HS6@1 {report['without_translation']['hs6@1']} %; tariff wording alone:"
            f" {report['hs6@1_tariff_wording_only']} %; the English path on the translation alone: {report['hs6@1_without_index']} %)."
            f" Evidence texts are those of the translation. English text is scored as before;"
            f" the served version is `{served_version}`.")})
        print(f"[write] {folder / INDEX_FILE} ({(folder / INDEX_FILE).stat().st_size / 1e6:.2f} MB), weight {weight}, temperature {temperature:.4f}",
              file=sys.stderr)
    print(json.dumps({"weight": weight, "temperature": round(temperature, 5), "names": len(names), "entries": n_entries, "tariff_rows": len(tariff),
                      "indexed_when_measured": len(indexed) + len(tariff), "report": report, "written": bool(args.write)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
