"""The developer scripts run as a person runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_invoke_runs_a_handler_once_against_an_emulator_and_prints_the_response():
    result = run("scripts.invoke", "platform_link", "events/platform_link/sqs_s3_test_event.json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout[result.stdout.index("{"):]) == {"batchItemFailures": []}


def test_invoke_reports_a_handler_error_with_a_non_zero_exit():
    result = run("scripts.invoke", "platform_link", "events/platform_link/sqs_poison_message.json")
    assert result.returncode == 1
    assert '"errorType": "BatchProcessingError"' in result.stdout


def test_invoke_rejects_an_unknown_function():
    result = run("scripts.invoke", "nope", "events/platform_link/sqs_s3_test_event.json")
    assert result.returncode == 2 and "invalid choice" in result.stderr
