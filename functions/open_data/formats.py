"""Row validation and the three distributions (CSV, JSON Lines, Parquet), byte-for-byte deterministic:
the same rows always give the same bytes, which is what makes an unchanged rebuild publish nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any, Mapping, Sequence

from functions.open_data.builders import DatasetBuilder
from functions.open_data.models import Column

FORMATS = ("csv", "jsonl", "parquet")
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/jsonl", "parquet": "application/vnd.apache.parquet"}
_PY_TYPES = {"string": (str,), "integer": (int,), "boolean": (bool,)}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _type_ok(value: Any, column: Column) -> bool:
    if column.type == "integer" and isinstance(value, bool):
        return False
    return isinstance(value, _PY_TYPES[column.type])


def check_rows(builder: DatasetBuilder, rows: Sequence[Mapping[str, Any]]) -> str | None:
    """None when the rows are publishable; otherwise the first problem (the build then publishes nothing)."""
    names = [c.name for c in builder.schema]
    if len(rows) < builder.min_rows:
        return f"{len(rows)} rows, fewer than the minimum {builder.min_rows}"
    seen: set[tuple] = set()
    for index, row in enumerate(rows):
        if set(row) != set(names):
            return f"row {index}: columns {sorted(row)} do not match the schema {names}"
        for column in builder.schema:
            value = row[column.name]
            if value is None:
                if not column.nullable:
                    return f"row {index}: {column.name} is empty"
                continue
            if value == "" and not column.nullable:
                return f"row {index}: {column.name} is empty"
            if not _type_ok(value, column):
                return f"row {index}: {column.name}={value!r} is not {column.type}"
        key = tuple(row[k] for k in builder.key)
        if key in seen:
            return f"row {index}: duplicate key {dict(zip(builder.key, key))}"
        seen.add(key)
        rule = builder.suppression
        if rule is not None:
            count, flag = row[rule.count_column], row[rule.flag_column]
            if count is not None and count < rule.threshold:
                return f"row {index}: count {count} below {rule.threshold} is not suppressed"
            if flag != (count is None):
                return f"row {index}: suppression flag does not match the count"
    return None


def to_csv(rows: Sequence[Mapping[str, Any]], schema: Sequence[Column]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in schema])
    for row in rows:
        writer.writerow(["" if row[c.name] is None else ("true" if row[c.name] else "false") if c.type == "boolean" else row[c.name] for c in schema])
    return buffer.getvalue().encode("utf-8")


def to_jsonl(rows: Sequence[Mapping[str, Any]], schema: Sequence[Column]) -> bytes:
    names = [c.name for c in schema]
    return "".join(json.dumps({n: row[n] for n in names}, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows).encode("utf-8")


def to_parquet(rows: Sequence[Mapping[str, Any]], schema: Sequence[Column], dataset_id: str) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"string": pa.string(), "integer": pa.int64(), "boolean": pa.bool_()}
    arrow_schema = pa.schema(
        [pa.field(c.name, types[c.type], nullable=c.nullable, metadata={"description": c.description}) for c in schema],
        metadata={"dataset": dataset_id},
    )
    table = pa.Table.from_pydict({c.name: [row[c.name] for row in rows] for c in schema}, schema=arrow_schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", write_statistics=True)
    return buffer.getvalue()


def fingerprint(schema: Sequence[Column], canonical_jsonl: bytes) -> str:
    """Identity of a dataset's content: schema + rows (not the build time, not the Parquet writer's version)."""
    digest = hashlib.sha256(json.dumps([c.as_dict() for c in schema], sort_keys=True).encode())
    digest.update(b"\n")
    digest.update(canonical_jsonl)
    return digest.hexdigest()


def render(rows: Sequence[Mapping[str, Any]], schema: Sequence[Column], dataset_id: str, jsonl: bytes | None = None) -> dict[str, bytes]:
    return {
        "csv": to_csv(rows, schema),
        "jsonl": to_jsonl(rows, schema) if jsonl is None else jsonl,
        "parquet": to_parquet(rows, schema, dataset_id),
    }
