import pytest

from functions.platform_link.logic import intake_package
from functions.platform_link.models import PackageLocation
from tests.unit.platform_link.fakes import InMemoryRegistry, InMemoryStore, RecordingPublisher, upload_package


@pytest.fixture
def parts():
    return InMemoryStore(), InMemoryRegistry(), RecordingPublisher()


def test_a_verified_package_is_promoted_and_announced(parts):
    store, registry, events = parts
    key = upload_package(store, "v1")
    result = intake_package(PackageLocation(bucket="pkgs", key=key), store, registry, events)
    assert result.status == "promoted"
    assert events.events == [("model.promoted", {"model_name": "classifier", "version": "v1", "status": "promoted", "reason": "", "location": "s3://pkgs/incoming/classifier/v1/"})]


def test_checksum_mismatch_is_rejected_not_promoted(parts):
    store, registry, events = parts
    key = upload_package(store, "v2", corrupt=True)
    result = intake_package(PackageLocation(bucket="pkgs", key=key), store, registry, events)
    assert (result.status, result.reason) == ("rejected", "checksum mismatch for model.onnx")


def test_missing_file_is_rejected(parts):
    store, registry, events = parts
    key = upload_package(store, "v3")
    del store.objects[("pkgs", "incoming/classifier/v3/model.onnx")]
    assert intake_package(PackageLocation(bucket="pkgs", key=key), store, registry, events).reason == "missing file model.onnx"


def test_a_regression_beyond_one_point_is_rejected(parts):
    store, registry, events = parts
    intake_package(PackageLocation(bucket="pkgs", key=upload_package(store, "v1", 60.0)), store, registry, events)
    worse = intake_package(PackageLocation(bucket="pkgs", key=upload_package(store, "v2", 58.5)), store, registry, events)
    close = intake_package(PackageLocation(bucket="pkgs", key=upload_package(store, "v3", 59.5)), store, registry, events)
    assert worse.status == "rejected" and "regresses" in worse.reason
    assert close.status == "promoted"


def test_invalid_manifest_is_rejected_with_the_reason(parts):
    store, registry, events = parts
    store.put("pkgs", "incoming/classifier/v9/manifest.json", b'{"model_name": "classifier", "version": "v9", "files": []}')
    result = intake_package(PackageLocation(bucket="pkgs", key="incoming/classifier/v9/manifest.json"), store, registry, events)
    assert result.status == "rejected" and result.reason.startswith("invalid manifest")


def test_redelivery_applies_once(parts):
    store, registry, events = parts
    location = PackageLocation(bucket="pkgs", key=upload_package(store, "v1"))
    intake_package(location, store, registry, events)
    again = intake_package(location, store, registry, events)
    assert again.status == "duplicate"
    assert len(events.events) == 1


@pytest.mark.parametrize("path", ["../escape", "/abs", "a/../b", "sp ace"])
def test_manifest_paths_cannot_escape_the_package(path):
    from pydantic import ValidationError

    from functions.platform_link.models import PackageFile

    with pytest.raises(ValidationError):
        PackageFile(path=path, sha256="0" * 64, bytes=1)


def test_promotion_copies_the_package_and_switches_the_pointer_last(parts):
    import json

    store, registry, events = parts
    intake_package(PackageLocation(bucket="pkgs", key=upload_package(store, "v1")), store, registry, events)
    intake_package(PackageLocation(bucket="pkgs", key=upload_package(store, "v2", 61.0)), store, registry, events)
    pointer = json.loads(store.objects[("pkgs", "promoted/classifier/current.json")])
    assert pointer["version"] == "v2" and pointer["prefix"] == "promoted/classifier/v2/"
    assert store.objects[("pkgs", "promoted/classifier/v2/model.onnx")] == store.objects[("pkgs", "incoming/classifier/v2/model.onnx")]


def test_a_rejected_or_redelivered_package_does_not_move_the_pointer(parts):
    import json

    store, registry, events = parts
    first = PackageLocation(bucket="pkgs", key=upload_package(store, "v1"))
    intake_package(first, store, registry, events)
    intake_package(PackageLocation(bucket="pkgs", key=upload_package(store, "v2", 61.0)), store, registry, events)
    intake_package(PackageLocation(bucket="pkgs", key=upload_package(store, "v3", corrupt=True)), store, registry, events)
    intake_package(first, store, registry, events)  # a late redelivery of v1
    assert json.loads(store.objects[("pkgs", "promoted/classifier/current.json")])["version"] == "v2"
    assert ("pkgs", "promoted/classifier/v3/model.onnx") not in store.objects
