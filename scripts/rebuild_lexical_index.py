"""Rebuild the English lexical index of an exported model from the export's own training rows, and save it in the
current format (short-row norms and counts instead of 8-bit short-row weights, ``functions/classifier/lexical.py``);
or, with ``--refresh``, from the index as it is now, so that index fixes reach the service without a new export.

    PYTHONPATH=layers/shared/python:.:scripts .venv/bin/python scripts/rebuild_lexical_index.py \\
        --heldout-keys data/splits/run_a_heldout_keys.txt.gz [--seed 13] [--model-dir model_artifacts/classifier] [--write]
    make corpus && .venv/bin/python scripts/rebuild_lexical_index.py --heldout-keys data/splits/run_a_heldout_keys.txt.gz \\
        --refresh lex    # the model's version gets "-lex"; config.json and the model card say what was rebuilt from what

Why: the export (``scripts/train_classifier.py``) builds the index from its training rows, and an index saved before the
current format can only be re-saved with the 8-bit weights it holds. This script gathers the same rows the same way
(corpus English rows and the commercial names index, deduplicated, shuffled with the export's seed, the pinned
held-out entries left out), builds the index again and checks it against the served one: the same terms, the same
label postings, the same short rows, and weights within the served file's 8-bit step. Only then does ``--write``
replace it.

``--refresh`` skips that check: new index entries and fixed codes otherwise reach the service only at the next export,
which re-encodes everything and refits the fusion weights and the temperature (6 minutes on 2 cores). The word index
is the part of the model that reads the index's words directly, so it can follow the index alone; the rows are still
gathered the export's way (``training_data.training_split``), so pinned held-out entries stay out, and every fitted
weight in ``config.json`` is kept. Last stdout line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "layers" / "shared" / "python", REPO / "scripts"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from functions.classifier.lexical import LexicalIndex  # noqa: E402
from model_card import rewrite_card  # noqa: E402
from training_data import TrainingSplit, add_export_split_arguments, load_hs2022, training_split  # noqa: E402

CODE_STEP = 1 / 255


def rebuild(shared: Path, corpus: Path, names: Path, heldout_keys: Path | None, seed: int,
            holdout: float) -> tuple[LexicalIndex, TrainingSplit]:
    """The export's index, from the rows the export trained on (the same calls, in the same order)."""
    h6, h4, _ = load_hs2022(shared)
    labels = sorted(h6)
    label_index = {code: i for i, code in enumerate(labels)}
    split = training_split(shared, corpus, names, h6, h4, seed, holdout, heldout_keys)
    built = LexicalIndex.build([r["text"] for r in split.train], [label_index[r["hs6"]] for r in split.train], len(labels))
    return built, split


def record_refresh(folder: Path, split: TrainingSplit, suffix: str) -> str:
    """Say in config.json (and the model version) and in the model card what the word index was rebuilt from."""
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if not config["model_version"].endswith(f"-{suffix}"):
        config["model_version"] = f"{config['model_version']}-{suffix}"
    note = (f"rebuilt {date.today().isoformat()} by scripts/rebuild_lexical_index.py --refresh from {split.source} and "
            f"{len(split.names)} index rows: {len(split.train)} training rows, {len(split.held)} held out")
    config["lexical_index"] = note
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    rewrite_card(folder, {"- Word index (lexical.npz):": f"- Word index (lexical.npz): {note}; served as `{config['model_version']}`."})
    return config["model_version"]


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
    add_export_split_arguments(ap)
    ap.add_argument("--write", action="store_true", help="replace lexical.npz when the rebuilt index matches")
    ap.add_argument("--refresh", default="", metavar="SUFFIX",
                    help="rebuild from the index as it is now and write it, whatever changed; SUFFIX is added to the model version")
    args = ap.parse_args(argv)
    folder = Path(args.model_dir)
    seed = args.seed if args.seed is not None else int(json.loads((folder / "config.json").read_text(encoding="utf-8"))["seed"])
    built, split = rebuild(Path(args.shared_data), Path(args.corpus), Path(args.names),
                           Path(args.heldout_keys) if args.heldout_keys else None, seed, args.holdout)
    served = LexicalIndex.load(folder / "lexical.npz")
    found = differences(built, served)
    report = {"terms": len(built.terms), "short_rows": len(built.row_labels), "matches_served": not found, "differences": found}
    if args.refresh or (args.write and not found):
        before = (folder / "lexical.npz").stat().st_size
        built.save(folder / "lexical.npz")
        report.update(bytes_before=before, bytes_after=(folder / "lexical.npz").stat().st_size)
        if args.refresh:
            report["model_version"] = record_refresh(folder, split, args.refresh)
    print(json.dumps(report))
    return 0 if args.refresh or not found else 1


if __name__ == "__main__":
    raise SystemExit(main())
