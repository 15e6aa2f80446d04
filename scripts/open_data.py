"""Download helper for the Smart Customs Cloud open data (standard library only, so anyone can run it).

    python scripts/open_data.py list
    python scripts/open_data.py get DATASET [--version V] [--format csv|jsonl|parquet|all] [--out DIR] [--verify]

The base URL is ``--base-url``, else ``$OPEN_DATA_BASE_URL``, else the running local platform's gateway
(``make run``: http://127.0.0.1:8010/open-data). ``get`` follows ``latest.json`` (or the named version's
manifest), downloads the files and, with ``--verify``, checks each file's size and SHA-256 against the
manifest: exit status 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

RUNTIME_FILE = Path(__file__).resolve().parents[1] / "build" / "local" / "runtime.json"


def base_url(explicit: str | None) -> str:
    if explicit:
        return explicit.rstrip("/")
    if os.environ.get("OPEN_DATA_BASE_URL"):
        return os.environ["OPEN_DATA_BASE_URL"].rstrip("/")
    if RUNTIME_FILE.exists():
        return json.loads(RUNTIME_FILE.read_text())["gateway_url"].rstrip("/") + "/open-data"
    raise SystemExit("no open-data base URL: pass --base-url, set OPEN_DATA_BASE_URL, or start the platform with `make run`")


def fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (the URL is the user's choice)
            return response.read()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{url}: HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise SystemExit(f"{url}: {exc.reason}") from exc


def fetch_json(url: str) -> dict:
    return json.loads(fetch(url))


def cmd_list(base: str) -> int:
    catalog = fetch_json(f"{base}/catalog.json")
    print(f"{catalog['title']} — {len(catalog['dataset'])} datasets ({base}/catalog.json)")
    for dataset in catalog["dataset"]:
        print(f"\n{dataset['identifier']}  version {dataset['version']}  {dataset['rowCount']} rows  ({dataset['accrualPeriodicity']})")
        print(f"  {dataset['title']}")
        for dist in dataset["distribution"]:
            print(f"  {dist['format']:<8} {dist['byteSize']:>10} B  sha256 {dist['checksum']['checksumValue'][:16]}…  {dist['downloadURL']}")
    return 0


def absolute(base: str, key_or_url: str) -> str:
    return key_or_url if "://" in key_or_url else f"{base}/{key_or_url}"


def cmd_get(base: str, dataset: str, version: str | None, fmt: str, out: Path, verify: bool) -> int:
    if version:
        manifest_key = f"datasets/{dataset}/versions/{version}/manifest.json"
    else:
        manifest_key = fetch_json(f"{base}/datasets/{dataset}/latest.json")["manifest"]
    manifest_bytes = fetch(absolute(base, manifest_key))
    manifest = json.loads(manifest_bytes)
    target = out / dataset / manifest["version"]
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").write_bytes(manifest_bytes)
    problems = 0
    for entry in manifest["files"]:
        if fmt != "all" and entry["format"] != fmt:
            continue
        data = fetch(absolute(base, entry["key"]))
        path = target / entry["key"].rsplit("/", 1)[-1]
        path.write_bytes(data)
        status = ""
        if verify:
            ok = len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
            status = "  verified (sha256)" if ok else "  CHECKSUM MISMATCH"
            problems += 0 if ok else 1
        print(f"{path}  {len(data)} B{status}")
    print(f"{dataset} {manifest['version']}: {manifest['row_count']} rows, source {manifest['source_version']}")
    if problems:
        print(f"{problems} file(s) failed verification", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="open-data base URL (CloudFront distribution, or the local gateway's /open-data)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="datasets in the catalogue, with download links")
    get = sub.add_parser("get", help="download a dataset version")
    get.add_argument("dataset")
    get.add_argument("--version", help="a published version (default: latest)")
    get.add_argument("--format", default="all", choices=("csv", "jsonl", "parquet", "all"))
    get.add_argument("--out", type=Path, default=Path("open-data"))
    get.add_argument("--verify", action="store_true", help="check size and SHA-256 of every file against the manifest")
    args = parser.parse_args(argv)
    base = base_url(args.base_url)
    if args.command == "list":
        return cmd_list(base)
    return cmd_get(base, args.dataset, args.version, args.format, args.out, args.verify)


if __name__ == "__main__":
    raise SystemExit(main())
