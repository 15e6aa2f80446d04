"""Classifier: the committed int8 model on obvious products, input validation, and the handler
through its sample events (events/classifier/*.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from functions.classifier.engine import DEFAULT_MODEL_DIR, ClassifierEngine
from functions.classifier.models import ClassifyRequest, RequestError

REPO = Path(__file__).resolve().parents[3]
EVENTS = REPO / "events" / "classifier"


@dataclass
class FakeContext:
    function_name: str = "customs-classifier"
    memory_limit_in_mb: int = 2048
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:customs-classifier"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def engine() -> ClassifierEngine:
    from functions.classifier import engine as engine_module

    return engine_module.get_engine()


@pytest.fixture(scope="module")
def handler():
    from functions.classifier.handler import lambda_handler

    return lambda_handler


def load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def test_artifacts_present_and_small():
    files = [p for p in DEFAULT_MODEL_DIR.iterdir() if p.is_file()]
    names = {p.name for p in files}
    assert {"model.int8.onnx", "tokenizer.json", "labels.json", "labels_hs6.npy", "config.json", "model_card.md"} <= names
    assert sum(p.stat().st_size for p in files) <= 30 * 1024 * 1024


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("men's cotton t-shirt knitted", {"610910"}),
        ("smartphone", {"851713"}),
        ("bicycle", {"871200"}),
        ("frozen shrimp", {"030617"}),
        ("laptop", {"847130"}),
        ("leather handbag", {"420221"}),
    ],
)
def test_obvious_products(engine, text, accepted):
    result = engine.classify([text], top_k=5)["results"][0]
    assert result["candidates"][0]["hs6"] in accepted, [c["hs6"] for c in result["candidates"]]


def test_known_confusion_stays_in_top3(engine):
    # "laptop computer" sits between 8471.30 (portable machines) and 8471.50 (processing units); run D put 8471.50
    # first, run G puts 8471.30 first with 8471.50 close behind: the right code must stay among the first three.
    result = engine.classify(["laptop computer"], top_k=3)["results"][0]
    assert "847130" in [c["hs6"] for c in result["candidates"]]


def test_result_shape(engine):
    body = engine.classify(["stainless steel kitchen knife"], top_k=3)
    assert body["model_version"]
    result = body["results"][0]
    assert len(result["candidates"]) == 3
    probs = [c["probability"] for c in result["candidates"]]
    assert probs == sorted(probs, reverse=True) and 0 < probs[0] <= 1
    first = result["candidates"][0]
    assert first["description"] and first["path_text"]
    assert [s["level"] for s in first["path"]][-3:] == ["chapter", "heading", "subheading"]
    assert first["path"][-1]["code"] == first["hs6"]
    assert result["hs4"][0]["code"] and result["hs2"][0]["code"]
    assert result["hs4"][0]["probability"] >= probs[0] - 1e-6  # a heading holds at least its best subheading
    assert all(line["code"].startswith(first["hs6"]) for line in result["national_lines"])
    assert result["evidence"] and {"text", "hs6", "source", "score"} <= set(result["evidence"][0])


def test_probabilities_are_the_softmax_of_the_served_scores(engine):
    # The confidence refit (scripts/fit_confidence.py) fits on engine.scores(): it must be exactly what predict() uses.
    text = "Frozen tuna; BRAND X; VIETNAM"
    scored = engine.scores(text)
    assert scored.temperature == engine.scorer.temperature  # English text: the fitted temperature
    assert np.allclose(engine.predict(text).probs, engine.scorer.softmax(scored.scores))


def test_abbreviations_are_read_but_the_text_is_kept(engine):
    # Given a parts-catalogue line with abbreviations
    abbreviated = engine.classify(["SEAL ASSY-OIL"], top_k=5)["results"][0]
    written_out = engine.classify(["seal assembly-oil"], top_k=5)["results"][0]
    # Then it is scored as the written-out words, and the response still shows what the user typed
    assert abbreviated["text"] == "SEAL ASSY-OIL"
    assert [c["hs6"] for c in abbreviated["candidates"]] == [c["hs6"] for c in written_out["candidates"]]


def test_batch_independent_of_neighbours(engine):
    alone = engine.classify(["frozen shrimp"])["results"][0]["candidates"]
    batch = engine.classify(["bicycle", "frozen shrimp", "x" * 300])["results"][1]["candidates"]
    assert alone == batch


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n\t "}, "text"),
        ({"text": "?!#$%&*() -- ..."}, "text"),
        ({"text": "a" * 2001}, "text"),
        ({"text": 42}, "text"),
        ({"text": None}, "text"),
        ({"text": ["bicycle"]}, "text"),
        ({}, "text"),
        ({"text": "bicycle", "texts": ["bicycle"]}, "text"),
        ({"texts": "bicycle"}, "texts"),
        ({"texts": []}, "texts"),
        ({"texts": ["bicycle"] * 65}, "texts"),
        ({"texts": ["bicycle", 7]}, "texts[1]"),
        ({"texts": ["bicycle", "   "]}, "texts[1]"),
        ({"text": "bicycle", "top_k": 0}, "top_k"),
        ({"text": "bicycle", "top_k": 101}, "top_k"),
        ({"text": "bicycle", "top_k": "5"}, "top_k"),
        ({"text": "bicycle", "lang": 3}, "lang"),
    ],
)
def test_bad_input_is_a_validation_error(handler, event, field):
    with pytest.raises(RequestError) as info:
        ClassifyRequest.parse_event(event)
    assert info.value.field == field
    out = handler(event, FakeContext())
    assert out["error"]["code"] == "validation_error"
    assert out["error"]["field"] == field
    assert out["error"]["message"]


@pytest.mark.parametrize("event", [None, "bicycle", 5, ["bicycle"]])
def test_non_object_event(handler, event):
    out = handler(event, FakeContext())
    assert out["error"]["code"] == "validation_error"


def test_limits_accepted(handler):
    out = handler({"texts": ["bicycle"] * 64, "top_k": 20}, FakeContext())
    assert len(out["results"]) == 64 and len(out["results"][0]["candidates"]) == 20
    out = handler({"text": "cotton t-shirt " + "a" * 1980}, FakeContext())
    assert "results" in out


def test_sample_event_single(handler):
    out = handler(load_event("single.json"), FakeContext())
    assert out["model_version"]
    [result] = out["results"]
    assert result["candidates"][0]["hs6"].startswith("6109")
    assert len(result["candidates"]) == 5


def test_sample_event_batch(handler):
    event = load_event("batch.json")
    out = handler(event, FakeContext())
    assert [r["text"] for r in out["results"]] == event["texts"]
    assert all(len(r["candidates"]) == event["top_k"] for r in out["results"])
    assert out["results"][0]["candidates"][0]["hs6"] == "851713"


@pytest.mark.parametrize("name", sorted(p.name for p in EVENTS.glob("invalid_*.json")))
def test_sample_invalid_events(handler, name):
    out = handler(load_event(name), FakeContext())
    assert out["error"]["code"] == "validation_error"
    assert out["error"]["field"] in ("text", "texts")


def test_model_dir_from_env(monkeypatch):
    from functions.classifier import engine as engine_module

    monkeypatch.setenv("CUSTOMS_MODEL_DIR", "/nonexistent/dir")
    assert engine_module.model_dir() == Path("/nonexistent/dir")
    monkeypatch.delenv("CUSTOMS_MODEL_DIR")
    assert engine_module.model_dir() == DEFAULT_MODEL_DIR
