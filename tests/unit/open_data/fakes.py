"""In-memory fakes of the open-data service's ports."""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Mapping

from functions.open_data.inputs import ClassificationRequest, VehicleImport
from functions.open_data.publisher import ConcurrentUpdate


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.puts: list[str] = []
        self.fail_on: str | None = None  # a key fragment whose put raises
        self.corrupt_on: str | None = None  # a key fragment whose stored bytes differ from what was put

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def read(self, key: str) -> tuple[bytes | None, str | None]:
        data = self.objects.get(key)
        return data, None if data is None else hashlib.md5(data).hexdigest()

    def put(self, key: str, data: bytes, content_type: str, cache_control: str | None = None, *, if_match: str | None = None, if_absent: bool = False) -> None:
        if self.fail_on and self.fail_on in key:
            raise OSError(f"storage failure writing {key}")
        current = self.read(key)[1]
        if (if_absent and current is not None) or (if_match is not None and if_match != current):
            raise ConcurrentUpdate(key)
        self.puts.append(key)
        self.objects[key] = data + b"!" if self.corrupt_on and self.corrupt_on in key else data

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))


class MemoryFeed:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def announce(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


class StaticInputs:
    """``Inputs`` from plain lists; the nomenclature and schedule come from the shared library."""

    def __init__(self, requests: Iterable[ClassificationRequest] = (), vehicles: Iterable[VehicleImport] = ()) -> None:
        self.requests, self.vehicles = list(requests), list(vehicles)

    def nomenclature(self):
        from customs.hs import get_nomenclature

        return get_nomenclature()

    def schedule(self):
        from customs.hs.national import get_bundled_schedule

        return get_bundled_schedule()

    def classification_requests(self) -> list[ClassificationRequest]:
        return self.requests

    def vehicle_imports(self) -> list[VehicleImport]:
        return self.vehicles


class ListSource:
    def __init__(self, items: Iterable[Mapping[str, Any]]) -> None:
        self.items = list(items)

    def sessions(self) -> list[Mapping[str, Any]]:
        return self.items

    def records(self) -> list[Mapping[str, Any]]:
        return self.items
