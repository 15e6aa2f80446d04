"""`make run`'s program, started as a user would, in its own process: it serves the API, prints a working curl
example, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from scripts.local.emulator import free_port

REPO = Path(__file__).resolve().parents[2]


def test_run_local_serves_the_api_and_stops_on_ctrl_c(tmp_path):
    ports = {"CUSTOMS_LOCAL_API_PORT": free_port(), "CUSTOMS_LOCAL_GATEWAY_PORT": free_port(), "CUSTOMS_LOCAL_EMULATOR_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMS_")}
    env.update({k: str(v) for k, v in ports.items()})
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "scripts.run_local"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while "Ctrl-C stops everything" not in log.read_text():
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            printed = log.read_text()
            # The printed curl example works as printed
            curl = re.search(r"curl -s (http://\S+/v1/health)", printed)
            assert curl, printed
            health = subprocess.run(["curl", "-s", curl.group(1)], capture_output=True, text=True, timeout=20)
            assert '"status": "ok"' in health.stdout
            # The web page and the dev issuer's JWKS are served too
            gateway = f"http://127.0.0.1:{ports['CUSTOMS_LOCAL_GATEWAY_PORT']}"
            assert requests.get(f"{gateway}/web/", timeout=10).status_code == 200
            assert requests.get(f"{gateway}/dev-issuer/.well-known/jwks.json", timeout=10).json()["keys"]
        finally:
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=30)
    assert code == 0, log.read_text()
    assert "stopping" in log.read_text()
