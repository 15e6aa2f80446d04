"""Quantities that decide subheadings (functions/classifier/quantities.py): thresholds read from the subheadings'
wording, quantities read from a description, and the penalty for a subheading the description contradicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from functions.classifier.quantities import Interval, QuantityRule, intervals_of, quantities_of

INF = math.inf


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Vehicles; with only spark-ignition internal combustion piston engine, cylinder capacity not over 1000cc",
         [Interval("engine", -INF, 1000.0)]),
        ("Vehicles; ... cylinder capacity over 1000 but not over 1500cc", [Interval("engine", 1000.0, 1500.0)]),
        ("Unmanned aircraft; ... with the maximum take-off weight of more than 250g but not more than 7kg",
         [Interval("mass", 250.0, 7000.0)]),
        ("Electric motors; AC motors, multi-phase, of an output exceeding 750W but not exceeding 75kW",
         [Interval("power", 750.0, 75000.0)]),
        ("Weighing machines; ... not exceeding 30kg (excluding balances of a sensitivity of 5cg or better)",
         [Interval("mass", -INF, 30000.0)]),
        ("Uncoated paper ... weighing 40g/m2 to 150g/m2, in rolls", [Interval("grammage", 40.0, 150.0)]),
        ("Electrical apparatus; relays, (for a voltage not exceeding 60 volts)", [Interval("voltage", -INF, 60.0)]),
        ("Motor vehicles for the transport of goods; g.v.w. exceeding 20 tonnes", [Interval("mass", 20e6, INF)]),
        ("Hair-dressing apparatus; electro-thermic hair dryers", []),
        # a length says nothing the units can bind (width, thickness or circumference), so it is not read
        ("Rubber; V-belts, of an outside circumference exceeding 60cm but not exceeding 180 cm", []),
    ],
)
def test_intervals_are_read_from_the_subheading_wording(description, expected):
    assert intervals_of(description) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Toyota Corolla 1,598cc petrol sedan", {"engine": [1598.0]}),
        ("Hyundai Avante 1.6L gasoline", {"engine": [1600.0]}),
        ("Mineral water 5L bottle", {}),  # a bare L after a whole number is a volume of goods, not an engine
        ("DJI Mini Drone Under 249 g", {"mass": [249.0]}),
        ("Luggage scale 110lb/50kg", {"mass": [49896.0, 50000.0]}),
        ("shaded pole motor 1/10HP 230V", {"voltage": [230.0]}),  # a fraction is not read as 10 hp
        ("Solar cable 4mm2 1500V DC, 100m reel", {"voltage": [1500.0]}),
        ("Kraft paper 80 gsm", {"grammage": [80.0]}),
        ("Polyethylene 0.95 g/cm3 pellets", {}),
        ("Model X200 cable", {}),
    ],
)
def test_quantities_are_read_from_a_description(text, expected):
    found = quantities_of(text)
    assert {k: [round(v) for v in vs] for k, vs in found.items()} == {k: [round(v) for v in vs] for k, vs in expected.items()}


def test_the_penalty_falls_on_the_subheadings_a_stated_quantity_contradicts():
    # Given three engine-capacity siblings and one label without a threshold
    rule = QuantityRule([
        "Vehicles; spark-ignition, cylinder capacity not over 1000cc",
        "Vehicles; spark-ignition, cylinder capacity over 1000 but not over 1500cc",
        "Vehicles; spark-ignition, cylinder capacity over 1500 but not over 3000cc",
        "Vehicles; electric",
    ], penalty=0.5)
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    # When the description states 1,598 cc
    adjusted = rule.adjust(scores, "Sedan 1,598cc petrol")
    # Then only the subheadings whose interval excludes it lose, and the input is left as it was
    np.testing.assert_allclose(adjusted, [0.4, 0.3, 0.7, 0.6])
    np.testing.assert_allclose(scores, [0.9, 0.8, 0.7, 0.6])
    # a quantity on a boundary counts for both sides; no quantity, no change
    np.testing.assert_allclose(rule.adjust(scores, "Sedan 1500 cc"), [0.4, 0.8, 0.7, 0.6])
    assert rule.adjust(scores, "Sedan, petrol") is scores
    # two quantities of one dimension: a subheading keeps its score when either falls inside
    np.testing.assert_allclose(rule.adjust(scores, "engines 998cc and 1,598cc"), [0.9, 0.3, 0.7, 0.6])


def test_a_label_that_states_one_dimension_twice_is_left_alone():
    rule = QuantityRule(["Thing; of an output not exceeding 750W, or of an output exceeding 75kW"], penalty=0.5)
    assert rule.by_dimension == {}
    # and a zero penalty changes nothing even where a quantity contradicts the label
    scores = np.zeros(1)
    assert QuantityRule(["x not exceeding 750W"], penalty=0.0).adjust(scores, "2000W") is scores


def test_the_engine_applies_the_rule_only_when_its_config_sets_a_penalty():
    from functions.classifier.engine import DEFAULT_MODEL_DIR, ClassifierEngine

    engine = ClassifierEngine(DEFAULT_MODEL_DIR)
    text = "DJI Mini 4 Pro Drone with 4K Camera, Under 249 g, remote controlled"
    plain = engine.scores(text).scores
    if engine.quantity_rule is None:  # the committed config leaves it off (docs/model.md, round 11)
        engine.quantity_rule = QuantityRule([engine.hs.description(c) for c in engine.labels], penalty=0.5)
    # Given the rule, a drone of 249 g cannot be the subheading for drones of more than 250 g
    adjusted = engine.scores(text).scores
    heavier, lighter = engine.label_index["880622"], engine.label_index["880621"]
    assert adjusted[heavier] < adjusted[lighter]
    assert adjusted[lighter] == pytest.approx(plain[lighter])
