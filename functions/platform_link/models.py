"""Messages and records of the hybrid link's model-package intake."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

SHA256 = re.compile(r"^[0-9a-f]{64}$")
SAFE_PATH = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


class PackageFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=256)
    sha256: str
    bytes: int = Field(ge=0)

    @field_validator("path")
    @classmethod
    def _relative_safe_path(cls, value: str) -> str:
        if not SAFE_PATH.match(value) or ".." in value.split("/"):
            raise ValueError("must be a relative path of letters, digits, '.', '_', '-' and '/'")
        return value

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        if not SHA256.match(value):
            raise ValueError("must be 64 lower-case hex characters")
        return value


class PackageManifest(BaseModel):
    """What the on-premises platform uploads beside a model package: ``incoming/<name>/<version>/manifest.json``."""

    model_config = ConfigDict(extra="allow")
    model_name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    version: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    files: list[PackageFile] = Field(min_length=1, max_length=100)
    metrics: dict[str, float] = Field(default_factory=dict)
    trained_on: str | None = None


class PackageLocation(BaseModel):
    bucket: str
    key: str
    etag: str | None = None

    @property
    def prefix(self) -> str:
        return self.key.rsplit("/", 1)[0] + "/"
