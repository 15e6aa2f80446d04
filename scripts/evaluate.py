"""Evaluate the served classifier (same engine code, same int8 ONNX model) on a labelled JSONL file.

    PYTHONPATH=layers/shared/python:. .venv/bin/python scripts/evaluate.py \
        --input ../shared/data/eval/kr-customs-cases/kr_cases_dev.jsonl [--report DIR] [--limit N]

Input lines: {"id", "text", "hs6"}. The LAST stdout line is one JSON object with n, hs2@1, hs4@1,
hs6@1, hs6@3, hs6@5 (percentages) and ece (expected calibration error of the top-1 HS6 probability,
15 equal-width bins, as a fraction). A text the API would reject (validation_error) counts as a miss.
The gold code is read as customs files write it: "8517.13", "8517 13", a national line ("8517130000", cut to its six
digits) or a number that lost its leading zero (20230 for 020230). A line that is not a JSON object with an "hs6" is
skipped, counted in "skipped" and named on stderr; one bad line never stops the run.
``--limit N`` evaluates a deterministic sample of N rows (seeded shuffle) for quick development runs.
``--report DIR`` writes accuracy_by_chapter.png, reliability.png and summary.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "layers" / "shared" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import numpy as np  # noqa: E402

from functions.classifier.engine import ClassifierEngine  # noqa: E402
from functions.classifier.models import ClassifyRequest, RequestError  # noqa: E402

ECE_BINS = 15


def gold_code(value: object) -> str:
    """The digits of a labelled code, as far as HS6 ("8517.13" -> "851713", "8517130000" -> "851713"). An odd
    number of digits means a leading zero was lost on the way through a spreadsheet or a number type (HS codes have
    even lengths: 2, 4, 6, 8, 10), so it is put back ("20230" -> "020230"). "" when there are no digits."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 851713.0 from a spreadsheet's number column
    digits = "".join(ch for ch in str(value) if ch.isdigit()) if value is not None else ""
    if len(digits) % 2:
        digits = "0" + digits
    return digits[:6]


def load_rows(path: Path, limit: int | None, seed: int) -> tuple[list[dict], int]:
    """The labelled rows of a JSONL file and the number of lines skipped (not a JSON object, or no gold code).
    utf-8-sig: a byte-order mark, as spreadsheet exports write one, is not part of the first line."""
    rows, skipped = [], 0
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                row, reason = None, f"not JSON ({exc.msg})"
            else:
                reason = "not a JSON object" if not isinstance(row, dict) else "no code in hs6"
            if isinstance(row, dict) and len(gold_code(row.get("hs6"))) >= 2:
                rows.append(row)
                continue
            skipped += 1
            print(f"evaluate: {path.name} line {number} skipped: {reason}", file=sys.stderr)
    if limit and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows, skipped


def expected_calibration_error(conf: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            ece += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(ece)


def evaluate(engine: ClassifierEngine, rows: list[dict], progress: bool = True) -> dict:
    from tqdm.auto import tqdm

    n = len(rows)
    hits = defaultdict(int)
    conf = np.zeros(n)
    correct = np.zeros(n, dtype=bool)
    chapters = []
    rejected = 0
    for i, row in enumerate(tqdm(rows, desc="evaluate", disable=not progress, mininterval=5, file=sys.stderr)):
        gold = gold_code(row["hs6"])  # 2, 4 or 6 digits: a heading-only label scores on HS4 and HS2 alone
        chapters.append(gold[:2])
        try:
            request = ClassifyRequest.parse_event({"text": row.get("text")})
        except RequestError:
            rejected += 1
            continue
        pred = engine.predict(request.texts[0])
        order = np.argsort(-pred.probs)[:5]
        top = [engine.labels[j] for j in order]
        p4 = engine.hs4_probs(pred.probs)
        p2 = engine.hs2_probs(pred.probs)
        hits["hs6@1"] += top[0] == gold
        hits["hs6@3"] += gold in top[:3]
        hits["hs6@5"] += gold in top[:5]
        hits["hs4@1"] += len(gold) >= 4 and engine.hs4_codes[int(p4.argmax())] == gold[:4]
        hits["hs2@1"] += engine.hs2_codes[int(p2.argmax())] == gold[:2]
        conf[i] = float(pred.probs[order[0]])
        correct[i] = top[0] == gold
    pct = {k: round(100.0 * hits[k] / max(n, 1), 2) for k in ("hs2@1", "hs4@1", "hs6@1", "hs6@3", "hs6@5")}
    return {
        "metrics": {"n": n, **pct, "ece": round(expected_calibration_error(conf, correct), 4), "rejected": rejected},
        "conf": conf,
        "correct": correct,
        "chapters": chapters,
    }


def write_report(folder: Path, name: str, result: dict, engine: ClassifierEngine, seconds: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    conf, correct, chapters = result["conf"], result["correct"], np.array(result["chapters"])
    # Accuracy by chapter (chapters with >= 5 rows).
    chap_stats = []
    for chap in sorted(set(chapters)):
        sel = chapters == chap
        if sel.sum() >= 5:
            chap_stats.append((chap, int(sel.sum()), float(correct[sel].mean() * 100)))
    fig, ax = plt.subplots(figsize=(max(8, len(chap_stats) * 0.18), 4))
    ax.bar([c for c, _, _ in chap_stats], [a for _, _, a in chap_stats], color="#3b75af")
    ax.set_ylabel("HS6@1 (%)")
    ax.set_xlabel("HS chapter (gold)")
    ax.set_title(f"{name}: HS6@1 by chapter (chapters with >= 5 rows)")
    ax.tick_params(axis="x", labelsize=6, rotation=90)
    fig.tight_layout()
    fig.savefig(folder / "accuracy_by_chapter.png", dpi=120)
    plt.close(fig)
    # Reliability diagram.
    idx = np.minimum((conf * ECE_BINS).astype(int), ECE_BINS - 1)
    centers, accs, counts = [], [], []
    for b in range(ECE_BINS):
        sel = idx == b
        if sel.any():
            centers.append(conf[sel].mean())
            accs.append(correct[sel].mean())
            counts.append(int(sel.sum()))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot(centers, accs, "o-", color="#c44e52", label="model")
    for x, y, c in zip(centers, accs, counts):
        ax.annotate(str(c), (x, y), fontsize=6, xytext=(3, -8), textcoords="offset points")
    ax.set_xlabel("top-1 HS6 probability")
    ax.set_ylabel("observed accuracy")
    ax.set_title(f"{name}: reliability (ECE {result['metrics']['ece']:.3f})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(folder / "reliability.png", dpi=120)
    plt.close(fig)
    m = result["metrics"]
    worst = sorted(chap_stats, key=lambda t: t[2])[:5]
    best = sorted(chap_stats, key=lambda t: -t[2])[:5]
    lines = [
        f"# Evaluation of {name}",
        "",
        f"- Model: `{engine.model_version}` ({engine.folder}); served path (int8 ONNX, one text per call).",
        f"- Rows: {m['n']} (rejected by validation: {m['rejected']}); {seconds:.0f} s.",
        "",
        "| HS2@1 | HS4@1 | HS6@1 | HS6@3 | HS6@5 | ECE |",
        "|---|---|---|---|---|---|",
        f"| {m['hs2@1']} | {m['hs4@1']} | {m['hs6@1']} | {m['hs6@3']} | {m['hs6@5']} | {m['ece']} |",
        "",
        "Weakest chapters (HS6@1 %, rows): " + ", ".join(f"{c} ({a:.0f} %, {n})" for c, n, a in worst),
        "",
        "Strongest chapters: " + ", ".join(f"{c} ({a:.0f} %, {n})" for c, n, a in best),
        "",
        "![accuracy by chapter](accuracy_by_chapter.png)",
        "",
        "![reliability](reliability.png)",
        "",
    ]
    (folder / "summary.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True, help="JSONL with id, text, hs6")
    ap.add_argument("--report", help="folder for plots and summary.md")
    ap.add_argument("--limit", type=int, default=0, help="deterministic sample of N rows (0 = all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model-dir", default=None, help="artifacts folder (default: CUSTOMS_MODEL_DIR or model_artifacts/classifier)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)

    path = Path(args.input)
    rows, skipped = load_rows(path, args.limit, args.seed)
    engine = ClassifierEngine(args.model_dir)
    start = time.perf_counter()
    result = evaluate(engine, rows, progress=not args.quiet)
    seconds = time.perf_counter() - start
    if args.report:
        write_report(Path(args.report), path.name, result, engine, seconds)
    metrics = {**result["metrics"], "skipped": skipped, "model_version": engine.model_version, "input": path.name, "seconds": round(seconds, 1)}
    print(json.dumps(metrics))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
