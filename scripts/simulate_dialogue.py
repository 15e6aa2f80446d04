"""Simulate guided classification with a truthful user who knows only the gold HS6 code.

    python scripts/simulate_dialogue.py --input FILE.jsonl [--limit N]

Each line is {"id", "text", "hs6"}, read as scripts/evaluate.py reads it (gold codes as customs files write them, unreadable
lines skipped and named; a text the API would reject counts as a miss). The session starts exactly as the API starts one (the served classifier's
top candidates → the dialogue engine); the simulated user answers each question from the gold code: the option
whose code the gold code falls under, "none of these" when none does, and "not sure" where the gold code does not
decide the question (e.g. a material its wording does not name, or the national line). Prints HS6 accuracy
after 0, 1, 2, 3 and at most 6 questions and the mean number of questions; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "layers" / "shared" / "python"), str(Path(__file__).resolve().parents[1])]

from tqdm import tqdm  # noqa: E402

from customs.hs import get_nomenclature  # noqa: E402
from evaluate import gold_code, load_rows  # noqa: E402
from functions.classifier.models import ClassifyRequest, RequestError  # noqa: E402
from functions.tariff_api.chalicelib.dialogue import ATTRIBUTES, NONE_OF_THESE, NOT_SURE, DialogueEngine, attribute_value  # noqa: E402
from functions.tariff_api.chalicelib.guided import PRIOR_CANDIDATES  # noqa: E402
from functions.tariff_api.chalicelib.lookup import line_dict, schedule  # noqa: E402

CHECKPOINTS = (0, 1, 2, 3)


def truthful_answer(engine: DialogueEngine, question: dict, gold: str) -> str:
    option_ids = [o["id"] for o in question["options"]]
    if question["kind"] == "choice":
        for option in option_ids:
            if option != NONE_OF_THESE and gold.startswith(option):
                return option
        return NONE_OF_THESE if NONE_OF_THESE in option_ids else NOT_SURE
    if question["kind"] == "attribute":
        attribute = next(a for a in ATTRIBUTES if a.id == question["id"])
        value = attribute_value(attribute, engine.texts_by_level(gold))
        if value in option_ids:
            return value
        if value is None and "no" in option_ids and len(attribute.values) == 1:
            return NOT_SURE  # the gold wording neither says nor denies it
        return NOT_SURE
    return NOT_SURE  # national lines: a six-digit gold code does not decide them


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, type=Path)
    parser.add_argument("--limit", type=int, default=None, help="evaluate a deterministic sample of N rows")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    from functions.classifier.engine import get_engine

    rows, skipped = load_rows(args.input, args.limit, args.seed)
    classifier = get_engine()
    hs = get_nomenclature()
    engine = DialogueEngine(hs, lambda hs6: [line_dict(line) for line in schedule().lines_under(hs6)])

    correct = {n: 0 for n in CHECKPOINTS}
    correct_final = 0
    questions_total = 0
    rejected = 0
    started = time.perf_counter()
    for row in tqdm(rows, desc="dialogues", unit="row"):
        gold = gold_code(row["hs6"])
        try:
            text = ClassifyRequest.parse_event({"text": row.get("text")}).texts[0]
        except RequestError:
            rejected += 1
            continue
        candidates = classifier.classify([text], top_k=PRIOR_CANDIDATES)["results"][0]["candidates"]
        state = engine.start(text, candidates)
        best_after = [engine.best(state)[0]]
        while state["status"] == "asking":
            question = state["question"]
            engine.answer(state, question["id"], truthful_answer(engine, question, gold))
            best_after.append(engine.best(state)[0])
        for n in CHECKPOINTS:
            correct[n] += best_after[min(n, len(best_after) - 1)] == gold
        correct_final += best_after[-1] == gold
        questions_total += len(state["history"])
    n = max(len(rows), 1)
    summary = {
        "n": len(rows),
        **{f"acc_q{k}": round(100.0 * correct[k] / n, 2) for k in CHECKPOINTS},
        "acc_final": round(100.0 * correct_final / n, 2),
        "mean_questions": round(questions_total / max(n - rejected, 1), 3),
        "rejected": rejected,
        "skipped": skipped,
        "seconds": round(time.perf_counter() - started, 1),
    }
    for key in ("acc_q0", "acc_q1", "acc_q2", "acc_q3", "acc_final"):
        print(f"{key:>14}: {summary[key]:6.2f} %", file=sys.stderr)
    print(f"{'mean questions':>14}: {summary['mean_questions']}", file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
