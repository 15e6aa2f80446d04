"""Rebuild the English lexical index of an exported model from the export's own training rows, and save it in the
current format (short-row norms and counts instead of 8-bit short-row weights, ``functions/classifier/lexical.py``).

    PYTHONPATH=layers/shared/python:.:scripts .venv-train/bin/python scripts/rebuild_lexical_index.py \\
        --heldout-keys data/splits/run_a_heldout_keys.txt.gz [--seed 13] [--model-dir model_artifacts/classifier] [--write]

Why: the export (``scripts/train_classifier.py``) builds the index from its training rows, and an index saved before the
current format can only be re-saved with the 8-bit weights it holds. This script gathers the same rows the same way
(corpus English rows and the commercial names index, deduplicated, shuffled with the export's seed, the pinned
held-out entries left out), builds the index again and checks it against the served one: the same terms, the same
label postings, the same short rows, and weights within the served file's 8-bit step. Only then does ``--write``
replace it. The training virtualenv is needed because train_classifier.py imports PyTorch at module level.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "layers" / "shared" / "python", REPO / "scripts"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import train_classifier as export  # noqa: E402

from functions.classifier.lexical import LexicalIndex  # noqa: E402

CODE_STEP = 1 / 255


def rebuild(shared: Path, corpus: Path, names: Path, heldout_keys: Path | None, seed: int, holdout: float) -> LexicalIndex:
    """The export's index, from the rows the export trained on (the same calls, in the same order)."""
    h6, _, _ = export.load_hs2022(shared)
    labels = sorted(h6)
    label_index = {code: i for i, code in enumerate(labels)}
    rows = export.dedupe(export.corpus_rows(corpus, h6) + export.commercial_rows(names, h6))
    rng = random.Random(seed)
    rng.shuffle(rows)
    pinned = export.read_heldout_keys(heldout_keys) if heldout_keys else None
    _, train = export.split_heldout(rows, holdout, rng, pinned)
    return LexicalIndex.build([r["text"] for r in train], [label_index[r["hs6"]] for r in train], len(labels))


def differences(built: LexicalIndex, served: LexicalIndex) -> list[str]:
    """What keeps the rebuilt index from standing in for the served one (empty: it can)."""
    found = []
    if built.terms != served.terms:
        found.append(f"terms differ ({len(built.terms)} built, {len(served.terms)} served)")
    else:
        for name in ("indptr", "labels", "row_indptr", "row_ids", "row_labels"):
            if not np.array_equal(getattr(built, name), getattr(served, name)):
                found.append(f"{name} differs")
        if not found:
            for name in ("weights", "row_weights"):
                gap = float(np.abs(getattr(built, name) - getattr(served, name)).max(initial=0.0))
                if gap > CODE_STEP / 2 + 1e-6:
                    found.append(f"{name} differ by up to {gap:.4f} (more than half an 8-bit step)")
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", default=str(REPO / "model_artifacts" / "classifier"))
    ap.add_argument("--shared-data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--corpus", default=str(REPO / "build" / "corpus" / "corpus.jsonl"), help="make corpus writes it")
    ap.add_argument("--names", default=str(REPO / "data" / "commercial_names"))
    ap.add_argument("--heldout-keys", default="", help="the export's pinned held-out entries (--heldout-keys of the export)")
    ap.add_argument("--seed", type=int, default=None, help="the export's seed (default: config.json's)")
    ap.add_argument("--holdout", type=float, default=0.04)
    ap.add_argument("--write", action="store_true", help="replace lexical.npz when the rebuilt index matches")
    args = ap.parse_args(argv)
    folder = Path(args.model_dir)
    seed = args.seed if args.seed is not None else int(json.loads((folder / "config.json").read_text(encoding="utf-8"))["seed"])
    built = rebuild(Path(args.shared_data), Path(args.corpus), Path(args.names), Path(args.heldout_keys) if args.heldout_keys else None,
                    seed, args.holdout)
    served = LexicalIndex.load(folder / "lexical.npz")
    found = differences(built, served)
    report = {"terms": len(built.terms), "short_rows": len(built.row_labels), "matches_served": not found, "differences": found}
    if args.write and not found:
        before = (folder / "lexical.npz").stat().st_size
        built.save(folder / "lexical.npz")
        report.update(bytes_before=before, bytes_after=(folder / "lexical.npz").stat().st_size)
    print(json.dumps(report))
    return 0 if not found else 1


if __name__ == "__main__":
    raise SystemExit(main())
