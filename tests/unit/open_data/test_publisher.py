"""Publishing: files then manifest then (last) the pointer; unchanged and failed builds write nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from functions.open_data.builders import ClassificationRequestsBuilder, VehicleImportsBuilder, default_builders
from functions.open_data.inputs import ClassificationRequest as Req
from functions.open_data.logic import rebuild
from functions.open_data.publisher import CATALOG_KEY, Publisher, VerificationError, pointer_key, versions_key
from tests.unit.open_data.fakes import MemoryFeed, MemoryStore, StaticInputs

DATASET = "classification_requests_monthly"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 7, 45, 12, 345678, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def publisher() -> Publisher:
    return Publisher(MemoryStore(), MemoryFeed(), base_url="https://data.example/", clock=Clock())


def inputs(n85: int = 7, n09: int = 2) -> StaticInputs:
    return StaticInputs(requests=[Req("2026-11", "85")] * n85 + [Req("2026-11", "09")] * n09)


def test_a_version_is_files_then_manifest_then_the_pointer(publisher):
    result = publisher.publish(ClassificationRequestsBuilder(), inputs())
    assert result.status == "published" and result.row_count == 2
    assert result.version.startswith("2026-11-26T074513Z-")
    prefix = f"datasets/{DATASET}/versions/{result.version}/"
    puts = publisher.store.puts
    assert puts[:4] == [prefix + f"{DATASET}.csv", prefix + f"{DATASET}.jsonl", prefix + f"{DATASET}.parquet", prefix + "manifest.json"]
    assert puts[4] == pointer_key(DATASET)  # switched only after everything above was written and verified
    manifest = json.loads(publisher.store.objects[prefix + "manifest.json"])
    assert manifest["row_count"] == 2 and manifest["build_time"] == "2026-11-26T07:45:13Z"
    assert manifest["source_version"] == "classification_sessions: 9 requests, 2026-11..2026-11"
    assert manifest["suppression"]["column"] == "requests"
    for entry in manifest["files"]:
        data = publisher.store.objects[entry["key"]]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
    pointer = json.loads(publisher.store.objects[pointer_key(DATASET)])
    assert pointer == {
        "dataset": DATASET, "version": result.version, "manifest": prefix + "manifest.json",
        "content_sha256": manifest["content_sha256"], "published_at": manifest["build_time"],
    }
    history = json.loads(publisher.store.objects[versions_key(DATASET)])
    assert [v["version"] for v in history["versions"]] == [result.version]
    [message] = publisher.feed.messages
    assert message["type"] == "open_data.version_published" and message["version"] == result.version and message["previous_version"] is None
    assert message["manifest_url"] == f"https://data.example/{prefix}manifest.json"


def test_the_same_inputs_publish_nothing_new(publisher):
    first = publisher.publish(ClassificationRequestsBuilder(), inputs())
    writes = list(publisher.store.puts)
    again = publisher.publish(ClassificationRequestsBuilder(), inputs())
    assert again.status == "unchanged" and again.version == first.version
    assert publisher.store.puts == writes and len(publisher.feed.messages) == 1


def test_new_content_is_a_new_version_and_the_old_one_stays(publisher):
    first = publisher.publish(ClassificationRequestsBuilder(), inputs())
    second = publisher.publish(ClassificationRequestsBuilder(), inputs(n85=8))
    assert second.status == "published" and second.version != first.version
    assert f"datasets/{DATASET}/versions/{first.version}/manifest.json" in publisher.store.objects
    history = json.loads(publisher.store.objects[versions_key(DATASET)])
    assert [v["version"] for v in history["versions"]] == [second.version, first.version]
    assert publisher.feed.messages[-1]["previous_version"] == first.version


class Broken(VehicleImportsBuilder):
    def rows(self, inputs):
        return [{"month": "2026-11", "make": "X", "fuel": "diesel", "imports": 1, "suppressed": False}]


class Raising(VehicleImportsBuilder):
    def rows(self, inputs):
        raise ValueError("bad record")


@pytest.mark.parametrize(("builder", "reason"), [(Broken(), "not suppressed"), (Raising(), "bad record")])
def test_a_build_that_fails_validation_writes_nothing(publisher, builder, reason):
    result = publisher.publish(builder, inputs())
    assert result.status == "failed" and reason in result.reason
    assert publisher.store.puts == [] and publisher.feed.messages == []


def test_a_storage_failure_leaves_the_pointer_and_removes_the_partial_version(publisher):
    first = publisher.publish(ClassificationRequestsBuilder(), inputs())
    before = dict(publisher.store.objects)
    publisher.store.fail_on = "manifest.json"
    with pytest.raises(OSError):
        publisher.publish(ClassificationRequestsBuilder(), inputs(n85=9))
    assert publisher.store.objects == before
    assert json.loads(publisher.store.objects[pointer_key(DATASET)])["version"] == first.version


def test_a_file_that_does_not_read_back_is_never_pointed_at(publisher):
    publisher.store.corrupt_on = ".parquet"
    with pytest.raises(VerificationError):
        publisher.publish(ClassificationRequestsBuilder(), inputs())
    assert publisher.store.objects == {} and publisher.feed.messages == []


def test_rebuild_writes_a_dcat_catalogue_of_every_published_dataset(publisher):
    builders = {k: b for k, b in default_builders().items() if k in (DATASET, "vehicle_imports_monthly")}
    results = rebuild(builders, builders, inputs(), publisher)
    assert [r.status for r in results] == ["published", "published"]
    catalog = json.loads(publisher.store.objects[CATALOG_KEY])
    assert catalog["@type"] == "dcat:Catalog" and catalog["license"]
    entry = next(d for d in catalog["dataset"] if d["identifier"] == DATASET)
    assert entry["accrualPeriodicity"] == "R/P1D" and entry["keyword"] and entry["license"].startswith("https://")
    assert entry["version"] == results[0].version
    manifest = json.loads(publisher.store.objects[json.loads(publisher.store.objects[pointer_key(DATASET)])["manifest"]])
    assert [(d["format"].lower(), d["byteSize"], d["checksum"]["checksumValue"], d["downloadURL"]) for d in entry["distribution"]] == [
        (f["format"], f["bytes"], f["sha256"], "https://data.example/" + f["key"]) for f in manifest["files"]
    ]
    writes = len(publisher.store.puts)
    rebuild(builders, builders, inputs(), publisher)  # unchanged: the catalogue is not rewritten either
    assert len(publisher.store.puts) == writes


class HookedStore(MemoryStore):
    """Runs ``hook`` once, just before the first write of a key containing ``when`` (another build racing)."""

    def __init__(self, when: str, hook) -> None:
        super().__init__()
        self.when, self.hook = when, hook

    def put(self, key, data, content_type, cache_control=None, **conditions):
        if self.hook and self.when in key:
            hook, self.hook = self.hook, None
            hook()
        super().put(key, data, content_type, cache_control, **conditions)


def test_a_build_that_lost_the_race_for_the_pointer_publishes_nothing():
    from functions.open_data.publisher import ConcurrentUpdate

    store = HookedStore("latest.json", None)
    slow, fast = Publisher(store, MemoryFeed(), clock=Clock()), Publisher(store, MemoryFeed(), clock=Clock())
    winner = []
    store.hook = lambda: winner.append(fast.publish(ClassificationRequestsBuilder(), inputs(n85=20)))
    with pytest.raises(ConcurrentUpdate):
        slow.publish(ClassificationRequestsBuilder(), inputs(n85=10))  # read the pointer before the other switched it
    [won] = winner
    assert json.loads(store.objects[pointer_key(DATASET)])["version"] == won.version
    assert not any(k.startswith(f"datasets/{DATASET}/versions/") and won.version not in k for k in store.objects)  # loser's files gone
    assert [v["version"] for v in json.loads(store.objects[versions_key(DATASET)])["versions"]] == [won.version]
    assert slow.feed.messages == [] and len(fast.feed.messages) == 1


def test_version_objects_are_never_overwritten(publisher):
    from functions.open_data.publisher import ConcurrentUpdate

    result = publisher.publish(ClassificationRequestsBuilder(), inputs())
    key = f"datasets/{DATASET}/versions/{result.version}/manifest.json"
    with pytest.raises(ConcurrentUpdate):
        publisher.store.put(key, b"{}", "application/json", if_absent=True)


def test_the_catalogue_written_last_reflects_every_switched_pointer():
    builders = {k: b for k, b in default_builders().items() if k in (DATASET, "vehicle_imports_monthly")}
    store = HookedStore(CATALOG_KEY, None)
    a, b = Publisher(store, MemoryFeed(), clock=Clock()), Publisher(store, MemoryFeed(), clock=Clock())
    a.publish(builders[DATASET], inputs())

    def other_build() -> None:  # switches its pointer and writes its catalogue while `a` is about to write
        b.publish(builders["vehicle_imports_monthly"], inputs())
        b.write_catalog(builders.values())

    store.hook = other_build
    a.write_catalog(builders.values())  # its first write fails (the catalogue changed); it re-reads and retries
    catalog = json.loads(store.objects[CATALOG_KEY])
    assert {d["identifier"] for d in catalog["dataset"]} == set(builders)


def test_a_storage_failure_in_one_dataset_does_not_stop_the_others(publisher):
    builders = {k: b for k, b in default_builders().items() if k in (DATASET, "vehicle_imports_monthly")}
    publisher.store.fail_on = f"{DATASET}/versions/"
    with pytest.raises(OSError):
        rebuild(builders, builders, inputs(), publisher)
    catalog = json.loads(publisher.store.objects[CATALOG_KEY])
    assert [d["identifier"] for d in catalog["dataset"]] == ["vehicle_imports_monthly"]
