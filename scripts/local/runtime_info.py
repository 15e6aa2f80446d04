"""Where the running local platform is: written by `make run`, read by `scripts.invoke` and the token minter."""

from __future__ import annotations

import json
from pathlib import Path

RUNTIME_FILE = Path(__file__).resolve().parents[2] / "build" / "local" / "runtime.json"


def save_runtime_info(info: dict) -> None:
    RUNTIME_FILE.parent.mkdir(parents=True, exist_ok=True)
    RUNTIME_FILE.write_text(json.dumps(info, indent=2))


def load_runtime_info() -> dict:
    if not RUNTIME_FILE.exists():
        raise SystemExit("the local platform is not running: start it with `make run`")
    return json.loads(RUNTIME_FILE.read_text())
