"""Keep only the first N evidence exemplars of an exported model, to make room within the 30 MB artifact budget.

    PYTHONPATH=layers/shared/python:. .venv/bin/python scripts/trim_exemplars.py --keep 1500 [--model-dir DIR]

Why this is safe: the export writes the exemplars in a fixed order (commercial names first, then a seeded shuffle;
``scripts/train_classifier.py``, ``--max-exemplars``), so the first N rows are exactly what an export with
``--max-exemplars N`` would have kept. With ``knn_weight`` 0 (fitted so since round 1 of the served model) the
exemplars only supply the ``evidence`` texts of a response: no score, ranking or probability changes. The script
refuses a model whose k-NN weight is not 0, where trimming would change its scores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from model_card import rewrite_card  # noqa: E402


def trim(folder: Path, keep: int) -> int:
    """Trim the exemplar files of ``folder`` to their first ``keep`` rows; returns how many there were."""
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if float(config.get("knn_weight", 0.0)) != 0.0:
        raise SystemExit(f"knn_weight is {config['knn_weight']}: the exemplars take part in the scores; re-export instead")
    vectors = np.load(folder / "exemplars.npy")
    scales = np.load(folder / "exemplar_scales.npy")
    with gzip.open(folder / "exemplars.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = fh.read().splitlines()
    before = len(rows)
    if not len(vectors) == len(scales) == before:
        raise SystemExit(f"exemplar files disagree: {len(vectors)} vectors, {len(scales)} scales, {before} texts")
    if keep >= before:
        return before
    np.save(folder / "exemplars.npy", vectors[:keep])
    np.save(folder / "exemplar_scales.npy", scales[:keep])
    with gzip.GzipFile(folder / "exemplars.jsonl.gz", "wb", mtime=0) as fh:  # mtime 0: the same bytes on every run
        fh.write(("\n".join(rows[:keep]) + "\n").encode("utf-8"))
    exported = int(config.get("exemplars_exported", before))  # a second trim still names what the export wrote
    config.update({"exemplars": keep, "exemplars_exported": exported})
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    rewrite_card(folder, {"- Evidence:": f"- Evidence: the first {keep} of the export's {exported} exemplars (in the export's order; "
                                         "k-NN weight 0, so they supply the evidence texts only; scripts/trim_exemplars.py)."})
    return before


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", default=str(REPO / "model_artifacts" / "classifier"))
    ap.add_argument("--keep", type=int, required=True)
    args = ap.parse_args(argv)
    if args.keep < 1:
        ap.error("--keep must be at least 1")
    before = trim(Path(args.model_dir), args.keep)
    print(json.dumps({"exemplars_before": before, "exemplars": min(before, args.keep), "model_dir": args.model_dir}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
