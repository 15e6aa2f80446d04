"""Records of the open-data service: dataset schema, manifest, the `latest` pointer and build results."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DATASET_ID = re.compile(r"^[a-z0-9][a-z0-9_]{1,62}$")
SHA256_HEX = r"^[0-9a-f]{64}$"
ColumnType = Literal["string", "integer", "boolean"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    nullable: bool = False

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "description": self.description, "nullable": self.nullable}


@dataclass(frozen=True)
class DatasetInfo:
    """Catalogue metadata of one dataset (DCAT: title, description, keywords, licence, accrual periodicity)."""

    dataset_id: str
    title: str
    description: str
    keywords: tuple[str, ...]
    update_frequency: str  # ISO 8601 duration as DCAT's accrualPeriodicity, e.g. "R/P1D"
    licence: str = "https://creativecommons.org/licenses/by/4.0/"
    theme: str = "customs"


class ColumnModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    type: ColumnType
    description: str
    nullable: bool = False


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["csv", "jsonl", "parquet"]
    key: str  # object key in the open-data bucket
    media_type: str
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=SHA256_HEX)


class Manifest(BaseModel):
    """``datasets/<id>/versions/<version>/manifest.json``: everything a reader needs to verify a version."""

    model_config = ConfigDict(extra="forbid")
    dataset: str
    version: str
    title: str
    schema_: list[ColumnModel] = Field(alias="schema")
    row_count: int = Field(ge=0)
    files: list[FileEntry]
    content_sha256: str = Field(pattern=SHA256_HEX)  # of the canonical rows + schema (decides "unchanged")
    source_version: str
    build_time: str
    suppression: dict | None = None

    def file(self, fmt: str) -> FileEntry:
        return next(f for f in self.files if f.format == fmt)

    def dump(self) -> dict:
        return self.model_dump(by_alias=True, exclude_none=True)


class Pointer(BaseModel):
    """``datasets/<id>/latest.json``: switched (one PUT, atomic) only after the version is written and verified."""

    model_config = ConfigDict(extra="forbid")
    dataset: str
    version: str
    manifest: str
    content_sha256: str
    published_at: str


@dataclass(frozen=True)
class BuildResult:
    dataset: str
    status: Literal["published", "unchanged", "failed"]
    version: str | None = None
    row_count: int = 0
    reason: str = ""
