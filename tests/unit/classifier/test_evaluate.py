"""scripts/evaluate.py, the interface the classifier is measured through: its last stdout line, the gold codes as
customs files write them, and lines it must skip without stopping."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts"))

import evaluate  # noqa: E402

REQUIRED = ("n", "hs2@1", "hs4@1", "hs6@1", "hs6@3", "hs6@5", "ece")


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("851713", "851713"),
        (851713, "851713"),
        ("8517.13", "851713"),
        ("8517 13", "851713"),
        ("8517.13.00.00", "851713"),
        ("8517130000", "851713"),
        (20230, "020230"),  # a number type lost the leading zero
        (851713.0, "851713"),
        (20230.0, "020230"),
        ("202300000", "020230"),
        ("8517", "8517"),
        ("", ""),
        (None, ""),
    ],
)
def test_gold_code_reads_codes_as_customs_files_write_them(written, code):
    assert evaluate.gold_code(written) == code


def _run(tmp_path: Path, lines: list[str], capsys) -> dict:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")  # with a byte-order mark, as spreadsheets write
    assert evaluate.main(["--input", str(path), "--quiet"]) == 0
    out = capsys.readouterr()
    last = out.out.strip().splitlines()[-1]
    return {"metrics": json.loads(last), "stderr": out.err}


def test_last_stdout_line_is_one_json_object_with_the_measures(tmp_path, capsys):
    # Given obvious products labelled in three ways customs files write codes
    lines = [
        json.dumps({"id": "1", "text": "frozen boneless beef", "hs6": "0202.30"}),
        json.dumps({"id": "2", "text": "men's leather wrist watch, quartz", "hs6": 910211}),
        json.dumps({"id": "3", "text": "fresh bananas", "hs6": "0803900000"}),
    ]
    # When the set is evaluated
    metrics = _run(tmp_path, lines, capsys)["metrics"]
    # Then every measure is there, as percentages, and the labels were read right
    assert set(REQUIRED) <= set(metrics)
    assert metrics["n"] == 3 and metrics["skipped"] == 0 and metrics["rejected"] == 0
    assert metrics["hs6@1"] == 100.0 and metrics["hs4@1"] == 100.0
    assert 0.0 <= metrics["ece"] <= 1.0


def test_bad_lines_are_skipped_and_named_and_bad_texts_count_as_misses(tmp_path, capsys):
    # Given a set with a broken line, a list, a row without a code, an empty text and an over-long text
    lines = [
        json.dumps({"id": "1", "text": "fresh bananas", "hs6": "080390"}),
        '{"id": "2", "text": "cut off mid-line',
        json.dumps(["fresh bananas", "080390"]),
        json.dumps({"id": "4", "text": "fresh bananas"}),
        json.dumps({"id": "5", "text": "", "hs6": "080390"}),
        json.dumps({"id": "6", "text": "banana " * 400, "hs6": "080390"}),
        json.dumps({"id": "7", "hs6": "080390"}),
    ]
    result = _run(tmp_path, lines, capsys)
    metrics = result["metrics"]
    # Then the run finishes, the three unreadable lines are skipped and named by line number
    assert metrics["skipped"] == 3
    for number in (2, 3, 4):
        assert f"line {number} skipped" in result["stderr"]
    # and the texts the API would reject are counted as misses, not dropped
    assert metrics["n"] == 4 and metrics["rejected"] == 3
    assert metrics["hs6@1"] == 25.0
