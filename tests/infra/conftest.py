from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Template


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> tuple[Template, dict, Path]:
    """Synthesize once, offline, with cdk-nag's AwsSolutions checks applied (synth raises on any finding)."""
    from infra_cdk import constants
    from infra_cdk.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(str(outdir))
    app.synth()
    template_file = outdir / f"{constants.STACK_NAME}.template.json"
    return Template.from_json(json.loads(template_file.read_text())), json.loads(template_file.read_text()), template_file


@pytest.fixture(scope="session")
def template(synthesized) -> Template:
    return synthesized[0]


@pytest.fixture(scope="session")
def resources(synthesized) -> dict:
    return synthesized[1]["Resources"]


def of_type(resources: dict, cfn_type: str) -> dict[str, dict]:
    return {logical_id: r for logical_id, r in resources.items() if r["Type"] == cfn_type}
