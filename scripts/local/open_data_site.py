"""The gateway's ``/open-data/``: locally what CloudFront serves in AWS — the open-data bucket, read-only — plus a
listing page of the catalogue with download links. ``request_rebuild`` asks the builder for a full build."""

from __future__ import annotations

import html
import json
import mimetypes

from botocore.exceptions import ClientError

from customs import aws
from customs.config import get_settings

PREFIX = "/open-data"


def _bucket() -> str:
    return get_settings().bucket_name("open_data")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def listing_page(catalog: dict | None) -> bytes:
    rows = []
    for dataset in (catalog or {}).get("dataset", []):
        links = " ".join(
            f'<a href="{html.escape(d["downloadURL"])}" title="sha256 {d["checksum"]["checksumValue"]}">{d["format"]}</a> ({_size(d["byteSize"])})'
            for d in dataset["distribution"]
        )
        rows.append(
            "<tr>"
            f"<td><b>{html.escape(dataset['title'])}</b><br><code>{html.escape(dataset['identifier'])}</code></td>"
            f"<td>{html.escape(dataset['version'])}</td><td>{dataset['rowCount']}</td><td>{links}</td>"
            f'<td><a href="{html.escape(dataset["conformsTo"])}">manifest</a> · <a href="{html.escape(dataset["versions"])}">versions</a></td>'
            "</tr>"
        )
    body = (
        "<table><tr><th>Dataset</th><th>Version</th><th>Rows</th><th>Download</th><th></th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>No dataset is published yet (the first build runs when the platform starts).</p>"
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Open data — Smart Customs Cloud</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}td,th{{padding:.4rem .8rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}</style>
</head><body><h1>Smart Customs Cloud open data</h1>
<p>Catalogue: <a href="{PREFIX}/catalog.json">catalog.json</a> (DCAT). Verify downloads with
<code>python scripts/open_data.py get DATASET --verify</code>.</p>{body}</body></html>"""
    return page.encode("utf-8")


def serve(path: str) -> tuple[int, bytes, str]:
    """(status, body, content type) for a GET under ``/open-data``."""
    key = path.removeprefix(PREFIX).lstrip("/")
    s3 = aws.client("s3")
    if key in ("", "index.html"):
        try:
            catalog = json.loads(s3.get_object(Bucket=_bucket(), Key="catalog.json")["Body"].read())
        except ClientError:
            catalog = None
        return 200, listing_page(catalog), "text/html; charset=utf-8"
    try:
        obj = s3.get_object(Bucket=_bucket(), Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return 404, json.dumps({"message": f"no object {key}"}).encode(), "application/json"
        raise
    content_type = obj.get("ContentType") or mimetypes.guess_type(key)[0] or "application/octet-stream"
    return 200, obj["Body"].read(), content_type


def request_rebuild(datasets: list[str] | None = None) -> None:
    """Queue a rebuild request for the builder (every dataset when none is named)."""
    aws.client("sqs").send_message(
        QueueUrl=get_settings().queue_url("open_data_events"),
        MessageBody=json.dumps({"source": "local", "type": "open_data.rebuild", "detail": {"datasets": datasets or []}}),
    )
