"""Stages each zip function's code so its absolute imports (``functions.<id>...``) resolve in Lambda too."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
STAGING = REPO_ROOT / "build" / "cdk-assets"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".chalice", "tests")


def stage_function(logical_id: str) -> Path:
    """build/cdk-assets/<id>/functions/{__init__.py,<id>/...}: the asset of one zip function."""
    target = STAGING / logical_id
    shutil.rmtree(target, ignore_errors=True)
    (target / "functions").mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "functions" / "__init__.py", target / "functions" / "__init__.py")
    shutil.copytree(REPO_ROOT / "functions" / logical_id, target / "functions" / logical_id, ignore=IGNORE)
    return target


def shared_layer_dir() -> Path:
    return REPO_ROOT / "layers" / "shared"


def dependencies_layer_dir() -> Path:
    """Third-party runtime packages for Lambda (``make package-layer`` fills it with manylinux wheels).

    Synth must work offline and without that step, so an empty placeholder stands in until it has run."""
    target = REPO_ROOT / "build" / "layer-deps"
    if not (target / "python").exists():
        (target / "python").mkdir(parents=True, exist_ok=True)
        (target / "python" / "PLACEHOLDER.txt").write_text("Run `make package-layer` before deploying.\n")
    return target


# The classifier image is built from the repo root (its Dockerfile COPYs layers/, functions/, model_artifacts/);
# everything else is kept out of the build context and out of the asset hash.
DOCKER_CONTEXT_EXCLUDES = [
    ".git",
    ".venv",
    ".venv-*",
    "build",
    "cdk.out",
    "data",
    "docs",
    "tests",
    "events",
    "scripts",
    "web",
    "infra_cdk",
    "**/__pycache__",
    ".pytest_cache",
]
