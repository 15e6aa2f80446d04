"""The open-data image installs exactly the pinned versions the tests run with."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s#]+)", line.strip())
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_image_requirements_are_pinned_to_the_constraints():
    image, constraints = _pins(ROOT / "requirements" / "open_data.txt"), _pins(ROOT / "requirements" / "constraints.txt")
    assert "pyarrow" in image
    for package, version in image.items():
        assert constraints.get(package) == version, package


def test_the_dockerfile_copies_the_library_and_the_function_and_runs_the_spec_handler():
    from infra_cdk import resources as res

    dockerfile = (ROOT / "functions" / "open_data" / "Dockerfile").read_text()
    assert "requirements/open_data.txt" in dockerfile and "layers/shared/python/" in dockerfile
    module, attribute = res.OPEN_DATA.handler.split(":")
    assert f'CMD ["{module}.{attribute}"]' in dockerfile and res.OPEN_DATA.container
