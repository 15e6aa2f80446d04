"""Where the classifier's model comes from: the version baked into the image, or — with
``CUSTOMS_MODEL_SOURCE=promoted`` — the version the hybrid link last promoted (``promoted/classifier/current.json``
in the model-packages bucket), downloaded once per cold start and verified file by file against its SHA-256.

Any problem (no promoted version yet, S3 unreachable, a checksum mismatch) falls back to the baked model, so a
bad package can never take the classifier down."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from customs.observability import logger

MODEL_NAME = "classifier"
SOURCE_ENV = "CUSTOMS_MODEL_SOURCE"


class ModelDownloadError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_promoted(s3, bucket: str, target_root: Path) -> tuple[Path, str]:
    """Fetch the promoted version into ``target_root/<version>``; returns (folder, version)."""
    pointer = json.loads(s3.get_object(Bucket=bucket, Key=f"promoted/{MODEL_NAME}/current.json")["Body"].read())
    folder = target_root / pointer["version"]
    folder.mkdir(parents=True, exist_ok=True)
    for file in pointer["files"]:
        local = folder / file["path"]
        if not (local.exists() and _sha256(local) == file["sha256"]):
            local.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, pointer["prefix"] + file["path"], str(local))
        if _sha256(local) != file["sha256"]:
            local.unlink(missing_ok=True)
            raise ModelDownloadError(f"checksum mismatch for {file['path']} of version {pointer['version']}")
    return folder, pointer["version"]


def resolve_model_dir(baked: Path) -> Path:
    if os.environ.get(SOURCE_ENV) != "promoted":
        return baked
    try:
        from customs import aws
        from customs.config import get_settings

        folder, version = download_promoted(aws.client("s3"), get_settings().bucket_name("model_packages"), Path(tempfile.gettempdir()) / "models")
    except Exception as exc:  # the baked model always works; a promotion problem must not stop serving
        logger.warning("using the baked model: promoted model unavailable", extra={"reason": f"{type(exc).__name__}: {exc}"})
        return baked
    logger.info("using the promoted model", extra={"model_version": version})
    return folder
