"""`make synth`: synthesize to cdk.out without the CDK CLI (offline), then report the template's size."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

from infra_cdk import constants  # noqa: E402
from infra_cdk.app import build_app  # noqa: E402


def main() -> int:
    outdir = Path(sys.argv[1] if len(sys.argv) > 1 else "cdk.out")
    app, stack = build_app(str(outdir))
    app.synth()
    template = json.loads((outdir / f"{constants.STACK_NAME}.template.json").read_text())
    print(f"synthesized {constants.STACK_NAME}: {len(template['Resources'])} resources → {outdir}/{constants.STACK_NAME}.template.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
