"""scripts/open_data.py: follows the pointer, downloads, and with --verify rejects a file that does not match."""

from __future__ import annotations

import hashlib
import json

import pytest

from scripts import open_data as helper

BASE = "https://data.example"


@pytest.fixture
def site(monkeypatch):
    data = b"month,chapter,requests,suppressed\n"
    manifest = {
        "dataset": "d", "version": "v1", "row_count": 0, "source_version": "s",
        "files": [{"format": "csv", "key": "datasets/d/versions/v1/d.csv", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}],
    }
    objects = {
        f"{BASE}/datasets/d/latest.json": json.dumps({"manifest": "datasets/d/versions/v1/manifest.json", "version": "v1"}).encode(),
        f"{BASE}/datasets/d/versions/v1/manifest.json": json.dumps(manifest).encode(),
        f"{BASE}/datasets/d/versions/v1/d.csv": data,
    }

    def fetch(url: str) -> bytes:
        if url not in objects:
            raise SystemExit(f"{url}: HTTP 404")
        return objects[url]

    monkeypatch.setattr(helper, "fetch", fetch)
    return objects


def test_get_verifies_checksums(site, tmp_path, capsys):
    assert helper.main(["--base-url", BASE, "get", "d", "--verify", "--out", str(tmp_path)]) == 0
    assert "verified (sha256)" in capsys.readouterr().out
    assert (tmp_path / "d" / "v1" / "d.csv").read_bytes() == site[f"{BASE}/datasets/d/versions/v1/d.csv"]
    assert (tmp_path / "d" / "v1" / "manifest.json").exists()


def test_a_tampered_download_fails_verification(site, tmp_path, capsys):
    site[f"{BASE}/datasets/d/versions/v1/d.csv"] += b"tampered\n"
    assert helper.main(["--base-url", BASE, "get", "d", "--version", "v1", "--verify", "--out", str(tmp_path)]) == 1
    assert "CHECKSUM MISMATCH" in capsys.readouterr().out


def test_the_base_url_comes_from_the_flag_the_environment_or_the_running_platform(monkeypatch, tmp_path):
    assert helper.base_url("https://x/") == "https://x"
    monkeypatch.setenv("OPEN_DATA_BASE_URL", "https://env/")
    assert helper.base_url(None) == "https://env"
    monkeypatch.delenv("OPEN_DATA_BASE_URL")
    runtime = tmp_path / "runtime.json"
    runtime.write_text(json.dumps({"gateway_url": "http://127.0.0.1:8010"}))
    monkeypatch.setattr(helper, "RUNTIME_FILE", runtime)
    assert helper.base_url(None) == "http://127.0.0.1:8010/open-data"
