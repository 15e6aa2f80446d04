"""Temperature fitting (functions/classifier/confidence.py), the harder calibration views of written declarations
(scripts/fit_confidence.py) and the model card's file table (scripts/model_card.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from functions.classifier.confidence import fit_temperature, nll_and_accuracy, softmax_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

import fit_confidence  # noqa: E402
import model_card  # noqa: E402


@pytest.mark.parametrize("true_temperature", [0.03, 0.07, 0.15])
def test_fit_temperature_recovers_the_temperature_labels_were_drawn_at(true_temperature):
    # Given scores and labels drawn from softmax(scores / T)
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 0.1, size=(4000, 40))
    probs = softmax_rows(scores, true_temperature)
    gold = np.array([rng.choice(40, p=p) for p in probs])
    # When the temperature is fitted by NLL
    temperature, nll, accuracy = fit_temperature(scores, gold)
    # Then it lands near T, and its NLL beats a temperature twice as sharp or as soft
    assert temperature == pytest.approx(true_temperature, rel=0.15)
    assert nll < nll_and_accuracy(scores, gold, temperature / 2)[0]
    assert nll < nll_and_accuracy(scores, gold, temperature * 2)[0]
    assert accuracy == nll_and_accuracy(scores, gold, 1.0)[1]  # the ranking never depends on the temperature


def test_trade_name_view_keeps_goods_fields_only():
    row = {"id": "wd-1", "hs6": "851511", "style": "declaration"}
    assert fit_confidence.trade_name_view({**row, "text": "Soldering irons; SOLDERING STATION 60W; CHINA"})["text"] == "SOLDERING STATION 60W"
    for second in ("MODEL NO. JPG-36159", "BRAND SAFELOK", "CHINA", "25 KG", "REF KHR-25486"):
        assert fit_confidence.trade_name_view({**row, "text": f"Soldering irons; {second}; CHINA"}) is None, second
    assert fit_confidence.trade_name_view({**row, "text": "SOLDERING STATION 60W"}) is None  # one field: nothing to take


def test_short_name_view_only_shortens_long_tariff_wording_of_declarations():
    row = {"id": "wd-2", "hs6": "391723", "style": "declaration", "text": "Tubes, pipes and hoses, rigid, of polymers of vinyl chloride; PVC PIPE"}
    assert fit_confidence.short_name_view(row)["text"] == "Tubes, pipes"
    assert fit_confidence.short_name_view({**row, "text": "PVC pipes; 110MM"}) is None  # already short
    assert fit_confidence.short_name_view({**row, "style": "title"}) is None  # titles are not tariff wording


def test_calibration_views_keep_every_declaration_and_add_the_harder_views():
    rows = [{"id": "a", "hs6": "851511", "style": "declaration", "text": "Electric soldering irons and guns; SOLDERING STATION 60W; CHINA"},
            {"id": "b", "hs6": "610910", "style": "title", "text": "men's cotton t-shirt"}]
    views = fit_confidence.calibration_views(rows)
    assert [v["view"] for v in views] == ["as_written", "as_written", "trade_name_field", "first_two_words"]
    assert all(v["hs6"] == "851511" for v in views if v["view"] != "as_written")


def test_rewrite_card_replaces_a_line_and_redoes_the_file_table(tmp_path):
    # Given a model folder whose card lists an old config.json
    (tmp_path / "config.json").write_text(json.dumps({"temperature": 0.05}), encoding="utf-8")
    (tmp_path / "model.int8.onnx").write_bytes(b"\0" * 1000)
    (tmp_path / "model_card.md").write_text("# card\n\n- Version: x\n\n" + "\n".join(model_card.file_table(tmp_path)), encoding="utf-8")
    (tmp_path / "config.json").write_text(json.dumps({"temperature": 0.0626, "note": "refitted"}), encoding="utf-8")
    # When a line is added, then replaced
    model_card.rewrite_card(tmp_path, {"- Confidence:": "- Confidence: first"})
    model_card.rewrite_card(tmp_path, {"- Confidence:": "- Confidence: second"})
    card = (tmp_path / "model_card.md").read_text(encoding="utf-8")
    # Then the card holds it once, before the table, and the table has the new size and hash of config.json
    assert card.count("- Confidence:") == 1 and "- Confidence: second" in card
    assert card.index("- Confidence:") < card.index(model_card.TABLE_HEADER)
    config = tmp_path / "config.json"
    assert f"| config.json | {config.stat().st_size} | `{model_card.sha256(config)}` |" in card
    assert card.count(model_card.TABLE_HEADER) == 1
