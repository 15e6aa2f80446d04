"""Developer scripts. Importing the package puts the shared library (layers/shared/python) and the repository
root on sys.path, so `python -m scripts.<name>` works from the repo root without PYTHONPATH."""

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
for _path in (_ROOT / "layers" / "shared" / "python", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
