"""CDK app entry point: one stack, checked by cdk-nag's AwsSolutions pack. Synth is fully offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra_cdk import constants
from infra_cdk.stack import SmartCustomsStack


CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def build_app(outdir: str | None = None, context: dict | None = None) -> tuple[cdk.App, SmartCustomsStack]:
    """The app with cdk.json's context (the CDK CLI passes it itself; `make synth` runs without the CLI)."""
    merged = {**json.loads(CDK_JSON.read_text()).get("context", {}), **(context or {})}
    app = cdk.App(outdir=outdir, context=merged) if outdir else cdk.App(context=merged)
    stack = SmartCustomsStack(
        app,
        constants.STACK_NAME,
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION", "us-east-1")),
        description="Smart Customs Cloud: AI tariff classification, cloud services and the hybrid link",
    )
    for key, value in constants.TAGS.items():
        cdk.Tags.of(app).add(key, value)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
