"""A view of a labelled JSONL set with two neighbouring words run together, as data entry and OCR leave them
("Frozen tuna loin" -> "Frozen tunaloin"), to measure how the served path reads run-on words (docs/model.md, round 10)
without an evaluation file. Rows without two neighbouring words of 3+ letters each are left out. With --typos, each
row gets one typing slip instead (training_data.misspell, the noise `train_classifier.py --typos` trains with).

    python scripts/run_on_view.py data/dev/written_declarations.jsonl > build/views/written_run_on.jsonl
    PYTHONPATH=layers/shared/python:. .venv/bin/python scripts/evaluate.py --input build/views/written_run_on.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

from training_data import misspell  # noqa: E402

_WORD = re.compile(r"[A-Za-z]+")


def run_on(text: str, rng: random.Random) -> str | None:
    """``text`` with one pair of neighbouring words of 3+ letters, one space apart, written as one word (picked at
    random), or None when there is no such pair."""
    words = [m for m in _WORD.finditer(text) if len(m.group(0)) >= 3]
    gaps = [a.end() for a, b in zip(words, words[1:]) if b.start() == a.end() + 1 and text[a.end()] == " "]
    if not gaps:
        return None
    gap = rng.choice(gaps)
    return text[:gap] + text[gap + 1 :]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--typos", action="store_true", help="one typing slip per row instead of two words run together")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    kept = 0
    for line in args.input.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = misspell(row["text"], rng) if args.typos else run_on(row["text"], rng)
        text = None if text == row["text"] else text
        if text is not None:
            kept += 1
            print(json.dumps({**row, "text": text}, ensure_ascii=False))
    print(f"[view] {kept} rows with {'a typing slip' if args.typos else 'a run-on pair'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
