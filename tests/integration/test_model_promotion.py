"""The hybrid link end to end: a package uploaded under incoming/ is verified, promoted, and the classifier's
model source then downloads exactly that version (and falls back to the baked model when it cannot)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import boto3

from functions.classifier.model_source import download_promoted, resolve_model_dir


def _upload(s3, bucket: str, version: str, files: dict[str, bytes]) -> None:
    prefix = f"incoming/classifier/{version}/"
    for name, data in files.items():
        s3.put_object(Bucket=bucket, Key=prefix + name, Body=data)
    manifest = {
        "model_name": "classifier",
        "version": version,
        "files": [{"path": n, "sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)} for n, d in files.items()],
        "metrics": {"hs6@1": 70.0},
    }
    s3.put_object(Bucket=bucket, Key=prefix + "manifest.json", Body=json.dumps(manifest))


def test_promoted_package_reaches_the_classifier_model_source(platform, router, purge_queues, tmp_path, monkeypatch):
    s3 = boto3.client("s3", endpoint_url=platform.emulator.endpoint_url, region_name="us-east-1")
    bucket = platform.env["CUSTOMS_BUCKET_MODEL_PACKAGES"]
    files = {"model.int8.onnx": b"onnx bytes v7", "labels.json": b'["010121"]'}
    _upload(s3, bucket, "2026.11.7", files)
    router.drain()
    folder, version = download_promoted(s3, bucket, tmp_path)
    assert version == "2026.11.7"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files

    # With the promoted source selected, the model folder is the downloaded one...
    monkeypatch.setenv("CUSTOMS_MODEL_SOURCE", "promoted")
    assert resolve_model_dir(Path("/baked")).name == "2026.11.7"
    # ...and a tampered promoted file makes the classifier keep its baked model
    s3.put_object(Bucket=bucket, Key="promoted/classifier/2026.11.7/model.int8.onnx", Body=b"tampered")
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "fresh"))
    assert resolve_model_dir(Path("/baked")) == Path("/baked")
