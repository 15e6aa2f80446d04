"""Refit the classifier's softmax temperature on written declarations and harder views of them.

    PYTHONPATH=layers/shared/python:. .venv/bin/python scripts/fit_confidence.py \
        [--model-dir model_artifacts/classifier] [--input data/dev/written_declarations.jsonl] [--write]

Why: the export fits the temperature on held-out training rows, which read like tariff wording and are easy
(about 80 % HS6@1), so the served probabilities are over-confident on real declarations (docs/model.md,
Calibration). This script scores, with the served engine, three views of the written declarations (never trained
on, never evaluation files):

1. each declaration as written;
2. its trade-name field alone: the second field of a declaration when it holds at least two words of letters and
   is not a model, reference, brand or origin field ("...; SOLDERING STATION 60W; ..." -> "SOLDERING STATION 60W");
3. the first two words of its tariff-wording field, when that field is longer ("Tubes, pipes and hoses ..." ->
   "Tubes, pipes"): a short generic name, as many declarations are.

and picks the temperature with the lowest NLL over all of them. Views 2 and 3 are as hard as real declarations
(60-70 % HS6@1), which is what the held-out rows are not. A temperature never changes the ranking of the codes.
``--write`` stores it in the model's config.json (the held-out fit is kept as ``temperature_heldout``) and redoes
the model card's file table; the model version gets the suffix ``-cal``. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "layers" / "shared" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from evaluate import expected_calibration_error  # noqa: E402  (the same ECE as the evaluation reports)
from functions.classifier.confidence import fit_temperature, nll_and_accuracy, softmax_rows  # noqa: E402
from functions.classifier.engine import ClassifierEngine, model_dir  # noqa: E402
from model_card import rewrite_card  # noqa: E402

# A second field that only names a model, reference, brand, grade or origin says nothing about the goods.
_NOT_GOODS_FIELD = re.compile(r"^(model|ref|art|brand|style|no\b|item|sku|part|p/n|lot|batch|origin|made in)", re.IGNORECASE)
_LETTER_WORD = re.compile(r"[A-Za-z]{3,}")
VERSION_SUFFIX = "-cal"


def _fields(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def trade_name_view(row: dict) -> dict | None:
    fields = _fields(row["text"])
    if len(fields) < 2 or _NOT_GOODS_FIELD.match(fields[1]) or len(_LETTER_WORD.findall(fields[1])) < 2:
        return None
    return {**row, "text": fields[1], "view": "trade_name_field"}


def short_name_view(row: dict) -> dict | None:
    if row.get("style") != "declaration":
        return None
    words = _fields(row["text"])[0].split()
    return {**row, "text": " ".join(words[:2]), "view": "first_two_words"} if len(words) > 3 else None


def calibration_views(rows: list[dict]) -> list[dict]:
    """The declarations as written, then their trade-name fields, then their shortened tariff wording."""
    views = [{**row, "view": "as_written"} for row in rows]
    for make in (trade_name_view, short_name_view):
        views += [view for view in map(make, rows) if view is not None]
    return views


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=None, help="model folder (default: the served one)")
    ap.add_argument("--input", default=str(REPO / "data" / "dev" / "written_declarations.jsonl"))
    ap.add_argument("--write", action="store_true", help="store the fitted temperature in the model's config.json")
    args = ap.parse_args(argv)

    folder = Path(args.model_dir) if args.model_dir else model_dir()
    engine = ClassifierEngine(folder)
    with open(args.input, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    views = [v for v in calibration_views(rows) if str(v["hs6"]).zfill(6) in engine.label_index]
    scores = np.stack([engine.scores(v["text"]).scores for v in tqdm(views, desc="score", mininterval=5, file=sys.stderr)])
    gold = np.array([engine.label_index[str(v["hs6"]).zfill(6)] for v in views])
    kinds = np.array([v["view"] for v in views])

    old = float(engine.config.get("temperature_heldout", engine.config["temperature"]))
    temperature, nll, accuracy = fit_temperature(scores, gold)

    def report(temp: float) -> dict[str, dict[str, float]]:
        out = {}
        for kind in ("as_written", "trade_name_field", "first_two_words", "all"):
            sel = np.ones(len(kinds), bool) if kind == "all" else kinds == kind
            probs = softmax_rows(scores[sel], temp)
            correct = probs.argmax(1) == gold[sel]
            out[kind] = {"n": int(sel.sum()), "hs6@1": round(100 * float(correct.mean()), 2),
                         "nll": round(nll_and_accuracy(scores[sel], gold[sel], temp)[0], 4),
                         "ece": round(expected_calibration_error(probs.max(1), correct), 4)}
        return out

    before, after = report(old), report(temperature)
    for kind in before:
        print(f"[fit] {kind:17s} n={before[kind]['n']:5d} HS6@1 {before[kind]['hs6@1']:5.1f}  "
              f"NLL {before[kind]['nll']:.3f} -> {after[kind]['nll']:.3f}  ECE {before[kind]['ece']:.3f} -> {after[kind]['ece']:.3f}")
    note = (f"written declarations ({Path(args.input).name}, {len(rows)} rows) and two harder views of them"
            f" (trade-name field alone, first two words of the tariff wording): {len(views)} texts, HS6@1 {accuracy*100:.1f} %")
    if args.write:
        config_path = folder / "config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config.setdefault("temperature_heldout", config["temperature"])
        config["temperature"] = temperature
        if not config["model_version"].endswith(VERSION_SUFFIX):  # served probabilities change, so the version does
            config["model_version"] += VERSION_SUFFIX
        config["temperature_fitted_on"] = note
        config["metrics_confidence_set"] = {"nll": round(nll, 4), "ece": after["all"]["ece"], "nll_heldout_temperature": before["all"]["nll"],
                                            "ece_heldout_temperature": before["all"]["ece"]}
        config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        rewrite_card(folder, {"- Confidence:": (
            f"- Confidence: the softmax temperature was refitted by scripts/fit_confidence.py on {note}:"
            f" {temperature:.4f} (the held-out rows gave {config['temperature_heldout']:.4f});"
            f" NLL {before['all']['nll']:.3f} -> {nll:.3f}, ECE {before['all']['ece']:.3f} -> {after['all']['ece']:.3f} on that set."
            f" The ranking of the codes does not change; the served version is `{config['model_version']}`.")})
        print(f"[fit] wrote temperature {temperature:.4f} to {config_path}", file=sys.stderr)
    print(json.dumps({"temperature": round(temperature, 5), "temperature_before": round(old, 5), "n": len(views),
                      "nll": round(nll, 4), "before": before, "after": after, "written": bool(args.write)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
