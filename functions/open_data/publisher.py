"""Publishing a dataset version: validate → render → write under an immutable, dated prefix → verify → switch
the ``latest`` pointer (one PUT) → catalogue → change feed.

Layout of the open-data bucket::

    catalog.json                                        DCAT-style catalogue of every dataset
    datasets/<id>/latest.json                           pointer to the current version (switched last)
    datasets/<id>/versions.json                         every published version, newest first
    datasets/<id>/versions/<version>/<id>.{csv,jsonl,parquet}
    datasets/<id>/versions/<version>/manifest.json      schema, row count, SHA-256 of every file, source version

A version is ``<build time>-<first 8 hex of the content hash>`` (e.g. ``2026-11-26T074512Z-1a2b3c4d``). Readers
follow ``latest.json`` to a manifest whose files were all written and verified before the pointer moved, and a
version prefix is never rewritten, so a reader sees the old or the new version, never a mix. A build whose rows
fail validation writes nothing; one whose content equals the current version's writes nothing either.

Concurrent builds are safe through S3 conditional writes: version objects are created with If-None-Match (never
replaced), the pointer is switched with If-Match on the ETag read at the start of the build (a build that lost
the race raises ``ConcurrentUpdate``, removes its files and is retried by its trigger), and ``versions.json`` and
``catalog.json`` are re-read and retried until their conditional write succeeds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Protocol

from functions.open_data import formats
from functions.open_data.builders import DatasetBuilder
from functions.open_data.inputs import Inputs
from functions.open_data.models import BuildResult, FileEntry, Manifest, Pointer

CATALOG_KEY = "catalog.json"
CATALOG_TITLE = "Smart Customs Cloud open data"
CATALOG_DESCRIPTION = (
    "Datasets of the customs administration's Smart Customs Cloud: the HS 2022 nomenclature, the national tariff "
    "schedule and aggregated, disclosure-controlled statistics. Every version is immutable and checksummed."
)
PUBLISHER = "Customs Administration — Smart Customs Cloud"
IMMUTABLE = "public, max-age=31536000, immutable"


class ObjectStore(Protocol):
    """Objects with conditional writes (S3: If-Match / If-None-Match), the basis of safe concurrent builds."""

    def get(self, key: str) -> bytes | None: ...
    def read(self, key: str) -> tuple[bytes | None, str | None]:  # body and ETag (None, None when missing)
        ...
    def put(
        self, key: str, data: bytes, content_type: str, cache_control: str | None = None, *, if_match: str | None = None, if_absent: bool = False
    ) -> None:  # raises ConcurrentUpdate when the condition fails
        ...
    def delete(self, keys: list[str]) -> None: ...


class ChangeFeed(Protocol):
    def announce(self, message: dict[str, Any]) -> None: ...


class VerificationError(RuntimeError):
    """A written file does not read back as written; the pointer was not switched (retry the build)."""


class ConcurrentUpdate(RuntimeError):
    """Another build changed the object since it was read (a conditional write failed); retry the build."""


ATTEMPTS = 5  # for the commutative index writes (versions.json, catalog.json), re-read and retry locally


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def pointer_key(dataset_id: str) -> str:
    return f"datasets/{dataset_id}/latest.json"


def versions_key(dataset_id: str) -> str:
    return f"datasets/{dataset_id}/versions.json"


def version_prefix(dataset_id: str, version: str) -> str:
    return f"datasets/{dataset_id}/versions/{version}/"


def _json_bytes(payload: Any) -> bytes:
    return (json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


@dataclass
class Publisher:
    store: ObjectStore
    feed: ChangeFeed
    base_url: str | None = None
    clock: Callable[[], datetime] = utc_now

    # --- reading ---------------------------------------------------------------------------------------

    def url(self, key: str) -> str:
        return f"{self.base_url.rstrip('/')}/{key}" if self.base_url else key

    def latest(self, dataset_id: str) -> Pointer | None:
        return self._latest(dataset_id)[0]

    def _latest(self, dataset_id: str) -> tuple[Pointer | None, str | None]:
        raw, etag = self.store.read(pointer_key(dataset_id))
        return (None if raw is None else Pointer.model_validate_json(raw)), etag

    def _put_conditionally(self, key: str, data: bytes, etag: str | None, cache_control: str) -> None:
        """Replace exactly the object read with ``etag`` (or create it when there was none)."""
        if etag is None:
            self.store.put(key, data, "application/json", cache_control=cache_control, if_absent=True)
        else:
            self.store.put(key, data, "application/json", cache_control=cache_control, if_match=etag)

    def manifest(self, dataset_id: str, version: str) -> Manifest | None:
        raw = self.store.get(version_prefix(dataset_id, version) + "manifest.json")
        return None if raw is None else Manifest.model_validate_json(raw)

    # --- publishing ------------------------------------------------------------------------------------

    def publish(self, builder: DatasetBuilder, inputs: Inputs) -> BuildResult:
        dataset_id = builder.dataset_id
        try:
            rows = [dict(row) for row in builder.rows(inputs)]
        except (ValueError, KeyError, TypeError) as exc:  # bad input data: nothing is published
            return BuildResult(dataset_id, "failed", reason=f"rows: {type(exc).__name__}: {exc}")
        problem = formats.check_rows(builder, rows)
        if problem:
            return BuildResult(dataset_id, "failed", row_count=len(rows), reason=problem)
        rows.sort(key=lambda row: tuple(row[k] for k in builder.key))
        canonical = formats.to_jsonl(rows, builder.schema)
        content = formats.fingerprint(builder.schema, canonical)
        current, pointer_etag = self._latest(dataset_id)
        if current is not None and current.content_sha256 == content:
            return BuildResult(dataset_id, "unchanged", version=current.version, row_count=len(rows))
        files = formats.render(rows, builder.schema, dataset_id, jsonl=canonical)

        built_at = self.clock().astimezone(timezone.utc).replace(microsecond=0)
        version = f"{built_at:%Y-%m-%dT%H%M%SZ}-{content[:8]}"
        prefix = version_prefix(dataset_id, version)
        entries = []
        for fmt in formats.FORMATS:
            key = f"{prefix}{dataset_id}.{fmt}"
            entries.append(FileEntry(format=fmt, key=key, media_type=formats.MEDIA_TYPES[fmt], bytes=len(files[fmt]), sha256=formats.sha256_hex(files[fmt])))
        manifest = Manifest(
            dataset=dataset_id,
            version=version,
            title=builder.info.title,
            schema=[c.as_dict() for c in builder.schema],
            row_count=len(rows),
            files=entries,
            content_sha256=content,
            source_version=builder.source_version(inputs),
            build_time=built_at.isoformat().replace("+00:00", "Z"),
            suppression=builder.suppression.describe() if builder.suppression else None,
        )
        manifest_bytes = _json_bytes(manifest.dump())
        written: list[str] = []
        try:
            for entry in entries:
                # if_absent: a version object is written once and never replaced (immutable prefix)
                self.store.put(entry.key, files[entry.format], entry.media_type, cache_control=IMMUTABLE, if_absent=True)
                written.append(entry.key)
            self.store.put(prefix + "manifest.json", manifest_bytes, "application/json", cache_control=IMMUTABLE, if_absent=True)
            written.append(prefix + "manifest.json")
            self._verify(entries, files, prefix + "manifest.json", manifest_bytes)
            # The switch: one conditional PUT of the pointer (atomic in S3), only if no other build switched it
            # since it was read. Everything it names is written and verified.
            pointer = Pointer(
                dataset=dataset_id, version=version, manifest=prefix + "manifest.json", content_sha256=content, published_at=manifest.build_time
            )
            self._put_conditionally(pointer_key(dataset_id), _json_bytes(pointer.model_dump()), pointer_etag, "max-age=60")
        except Exception:
            self._discard(written)  # an unreferenced prefix: no pointer ever names it
            raise
        self._record_version(manifest)
        self.feed.announce(
            {
                "type": "open_data.version_published",
                "dataset": dataset_id,
                "version": version,
                "previous_version": current.version if current else None,
                "row_count": manifest.row_count,
                "content_sha256": content,
                "manifest_url": self.url(pointer.manifest),
                "catalog_url": self.url(CATALOG_KEY),
                "published_at": manifest.build_time,
            }
        )
        return BuildResult(dataset_id, "published", version=version, row_count=len(rows))

    def _verify(self, entries: list[FileEntry], files: Mapping[str, bytes], manifest_key: str, manifest_bytes: bytes) -> None:
        for entry in entries:
            data = self.store.get(entry.key)
            if data is None or len(data) != entry.bytes or formats.sha256_hex(data) != entry.sha256:
                raise VerificationError(f"{entry.key} does not read back as written")
        if self.store.get(manifest_key) != manifest_bytes:
            raise VerificationError(f"{manifest_key} does not read back as written")

    def _discard(self, keys: list[str]) -> None:
        try:
            if keys:
                self.store.delete(keys)
        except Exception:  # best effort: the prefix is unreferenced either way
            pass

    def _record_version(self, manifest: Manifest) -> None:
        entry = {
            "version": manifest.version,
            "published_at": manifest.build_time,
            "row_count": manifest.row_count,
            "content_sha256": manifest.content_sha256,
            "manifest": version_prefix(manifest.dataset, manifest.version) + "manifest.json",
        }
        for _ in range(ATTEMPTS):
            raw, etag = self.store.read(versions_key(manifest.dataset))
            history = json.loads(raw) if raw else {"dataset": manifest.dataset, "versions": []}
            if any(v["version"] == manifest.version for v in history["versions"]):
                return
            history["versions"] = sorted([entry, *history["versions"]], key=lambda v: v["version"], reverse=True)  # newest first
            try:
                return self._put_conditionally(versions_key(manifest.dataset), _json_bytes(history), etag, "max-age=60")
            except ConcurrentUpdate:
                continue
        raise ConcurrentUpdate(versions_key(manifest.dataset))

    # --- catalogue -------------------------------------------------------------------------------------

    def catalog(self, builders: Iterable[DatasetBuilder]) -> dict[str, Any]:
        """The DCAT-style catalogue (data.gov / Project Open Data shape) of every published dataset."""
        datasets = []
        for builder in builders:
            pointer = self.latest(builder.dataset_id)
            manifest = self.manifest(builder.dataset_id, pointer.version) if pointer else None
            if pointer is None or manifest is None:
                continue
            info = builder.info
            datasets.append(
                {
                    "@type": "dcat:Dataset",
                    "identifier": info.dataset_id,
                    "title": info.title,
                    "description": info.description,
                    "keyword": list(info.keywords),
                    "theme": [info.theme],
                    "license": info.licence,
                    "publisher": {"@type": "org:Organization", "name": PUBLISHER},
                    "accrualPeriodicity": info.update_frequency,
                    "modified": manifest.build_time,
                    "version": manifest.version,
                    "rowCount": manifest.row_count,
                    "sourceVersion": manifest.source_version,
                    "conformsTo": self.url(pointer.manifest),
                    "latest": self.url(pointer_key(info.dataset_id)),
                    "versions": self.url(versions_key(info.dataset_id)),
                    "distribution": [
                        {
                            "@type": "dcat:Distribution",
                            "title": f"{info.title} ({f.format.upper()})",
                            "downloadURL": self.url(f.key),
                            "mediaType": f.media_type,
                            "format": f.format.upper(),
                            "byteSize": f.bytes,
                            "checksum": {"algorithm": "sha256", "checksumValue": f.sha256},
                        }
                        for f in manifest.files
                    ],
                }
            )
        return {
            "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
            "@type": "dcat:Catalog",
            "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
            "title": CATALOG_TITLE,
            "description": CATALOG_DESCRIPTION,
            "publisher": {"@type": "org:Organization", "name": PUBLISHER},
            "license": "https://creativecommons.org/licenses/by/4.0/",
            "modified": max((d["modified"] for d in datasets), default=None),
            "dataset": datasets,
        }

    def write_catalog(self, builders: Iterable[DatasetBuilder]) -> dict[str, Any]:
        """Written from the pointers read *after* the catalogue itself, conditionally: if another build wrote it
        meanwhile, it is read again, so the last catalogue written always reflects every switched pointer."""
        builders = list(builders)
        for _ in range(ATTEMPTS):
            raw, etag = self.store.read(CATALOG_KEY)
            catalog = self.catalog(builders)
            data = _json_bytes(catalog)
            if raw == data:
                return catalog
            try:
                self._put_conditionally(CATALOG_KEY, data, etag, "max-age=60")
                return catalog
            except ConcurrentUpdate:
                continue
        raise ConcurrentUpdate(CATALOG_KEY)
