"""In-memory adapters of the model-package intake, for unit tests only."""

from __future__ import annotations

import hashlib
import json


class InMemoryStore:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self.objects[(bucket, key)] = data

    def copy(self, bucket: str, source_key: str, target_key: str) -> None:
        self.objects[(bucket, target_key)] = self.objects[(bucket, source_key)]

    def read(self, bucket: str, key: str) -> bytes:
        return b"".join(self.stream(bucket, key))

    def stream(self, bucket: str, key: str):
        if (bucket, key) not in self.objects:
            raise FileNotFoundError(key)
        yield self.objects[(bucket, key)]


class InMemoryRegistry:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], dict] = {}

    def promoted(self, model_name: str):
        promoted = [r for (name, _), r in self.records.items() if name == model_name and r["status"] == "promoted"]
        return max(promoted, key=lambda r: r["registered_at"], default=None)

    def registered(self, model_name: str, version: str) -> bool:
        return (model_name, version) in self.records

    def register(self, record: dict) -> bool:
        key = (record["model_name"], record["version"])
        if key in self.records:
            return False
        self.records[key] = record
        return True


class RecordingPublisher:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def publish(self, event_type: str, detail: dict) -> None:
        self.events.append((event_type, detail))


def upload_package(store: InMemoryStore, version: str, hs6_at_1: float = 60.0, corrupt: bool = False, bucket: str = "pkgs") -> str:
    model = f"weights of {version}".encode()
    manifest = {
        "model_name": "classifier",
        "version": version,
        "files": [{"path": "model.onnx", "sha256": hashlib.sha256(model).hexdigest(), "bytes": len(model)}],
        "metrics": {"hs6@1": hs6_at_1},
    }
    prefix = f"incoming/classifier/{version}/"
    store.put(bucket, prefix + "model.onnx", model + (b"!" if corrupt else b""))
    store.put(bucket, prefix + "manifest.json", json.dumps(manifest).encode())
    return prefix + "manifest.json"
