"""Run one handler once against the emulator with a sample event and print its response.

    python -m scripts.invoke FUNCTION events/FUNCTION/EVENT.json

Uses the platform started by `make run` when it is running; otherwise starts a throw-away emulator with every
resource bootstrapped, for the length of this call.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from infra_cdk import resources as res


def _use_running_platform() -> bool:
    from scripts.local.emulator import MotoServer
    from scripts.local.runtime_info import RUNTIME_FILE

    if not RUNTIME_FILE.exists():
        return False
    info = json.loads(RUNTIME_FILE.read_text())
    if not MotoServer(port=int(info["emulator_url"].rsplit(":", 1)[1])).is_up():
        return False
    os.environ.update(info["env"])
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("function", choices=[f.logical_id for f in res.FUNCTIONS])
    parser.add_argument("event", type=Path, help="JSON event file, e.g. events/platform_link/sqs_s3_test_event.json")
    args = parser.parse_args(argv)
    event = json.loads(args.event.read_text())

    from scripts.local.lambda_runtime import invoke

    platform = None
    if not _use_running_platform():
        from scripts.local.platform import LocalPlatform

        platform = LocalPlatform.on_free_ports(with_api=False, with_router=False).start()
    try:
        result, error = invoke(res.function(args.function), event)
    finally:
        if platform is not None:
            platform.stop()
    print(json.dumps(error if error is not None else result, indent=2, ensure_ascii=False, default=str))
    return 1 if error is not None else 0


if __name__ == "__main__":
    sys.exit(main())
