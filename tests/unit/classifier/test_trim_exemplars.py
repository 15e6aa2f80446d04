"""scripts/trim_exemplars.py keeps the first N evidence exemplars and never touches a model whose scores use them."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

import trim_exemplars  # noqa: E402


def _model(folder: Path, n: int, knn_weight: float) -> None:
    folder.mkdir()
    np.save(folder / "exemplars.npy", np.arange(n * 4, dtype=np.int8).reshape(n, 4))
    np.save(folder / "exemplar_scales.npy", np.linspace(0.1, 1.0, n).astype(np.float32))
    with gzip.open(folder / "exemplars.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("".join(json.dumps({"text": f"text {i}", "hs6": "010121"}) + "\n" for i in range(n)))
    (folder / "config.json").write_text(json.dumps({"knn_weight": knn_weight, "exemplars": n}), encoding="utf-8")
    (folder / "model_card.md").write_text("# card\n\n| file | bytes | sha256 |\n|---|---|---|\n", encoding="utf-8")


def test_keeps_the_first_rows_of_all_three_files_and_says_so(tmp_path):
    # Given a model of 10 exemplars whose scores do not use them
    folder = tmp_path / "model"
    _model(folder, 10, 0.0)
    # When it is trimmed to 4
    assert trim_exemplars.trim(folder, 4) == 10
    # Then the vectors, scales and texts are the first 4 of each, and the config and the card say 4
    assert np.array_equal(np.load(folder / "exemplars.npy"), np.arange(40, dtype=np.int8).reshape(10, 4)[:4])
    assert np.allclose(np.load(folder / "exemplar_scales.npy"), np.linspace(0.1, 1.0, 10)[:4])
    with gzip.open(folder / "exemplars.jsonl.gz", "rt", encoding="utf-8") as fh:
        assert [json.loads(line)["text"] for line in fh] == [f"text {i}" for i in range(4)]
    assert json.loads((folder / "config.json").read_text(encoding="utf-8"))["exemplars"] == 4
    card = (folder / "model_card.md").read_text(encoding="utf-8")
    assert "- Evidence: the first 4 of the export's 10 exemplars" in card and "| exemplars.npy |" in card
    # and a second trim still names the export's count
    trim_exemplars.trim(folder, 2)
    assert "- Evidence: the first 2 of the export's 10 exemplars" in (folder / "model_card.md").read_text(encoding="utf-8")


def test_asking_for_more_than_there_are_changes_nothing(tmp_path):
    folder = tmp_path / "model"
    _model(folder, 3, 0.0)
    before = (folder / "exemplars.npy").read_bytes()
    assert trim_exemplars.trim(folder, 5) == 3
    assert (folder / "exemplars.npy").read_bytes() == before


def test_refuses_a_model_whose_scores_use_the_exemplars(tmp_path):
    folder = tmp_path / "model"
    _model(folder, 10, 0.2)
    with pytest.raises(SystemExit, match="knn_weight"):
        trim_exemplars.trim(folder, 4)
    assert len(np.load(folder / "exemplars.npy")) == 10
