"""Open data on the emulator: every dataset built through its real triggers (queue, S3 drops), manifests and
checksums, the atomic `latest` switch, failed and unchanged builds, small-count suppression, the change feed,
the local download site and the download helper."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import urllib.request
import uuid

import boto3
import pytest

from functions.open_data import adapters
from functions.open_data.builders import VehicleImportsBuilder, default_builders
from functions.open_data.inputs import Inputs, vehicle_import_of
from functions.open_data.publisher import Publisher, VerificationError, pointer_key
from infra_cdk import resources as res

BUILDERS = default_builders()


@pytest.fixture
def aws(platform):
    def make(service: str):
        return boto3.client(service, endpoint_url=platform.emulator.endpoint_url, region_name="us-east-1")

    return make


@pytest.fixture
def bucket(platform) -> str:
    return platform.env[res.env_var("BUCKET", "open_data")]


@pytest.fixture
def feed(platform, aws):
    """A queue subscribed to the change feed, as an open-data subscriber would attach one."""
    sqs, sns = aws("sqs"), aws("sns")
    url = sqs.create_queue(QueueName=f"open-data-subscriber-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=platform.env[res.env_var("TOPIC", "open_data_changes")], Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})

    def received() -> list[dict]:
        messages = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", []):
            messages += [json.loads(m["Body"]) for m in batch]
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        return messages

    return received


def send_trigger(platform, aws, body: dict) -> None:
    aws("sqs").send_message(QueueUrl=platform.env[res.env_var("QUEUE", "open_data_events")], MessageBody=json.dumps(body))


def get(aws, bucket: str, key: str) -> bytes:
    return aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def keys(aws, bucket: str, prefix: str = "datasets/") -> set[str]:
    found = set()
    for page in aws("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found |= {item["Key"] for item in page.get("Contents", [])}
    return found


def latest(aws, bucket: str, dataset: str) -> dict:
    return json.loads(get(aws, bucket, pointer_key(dataset)))


def rows_of(aws, bucket: str, dataset: str) -> list[dict]:
    manifest = json.loads(get(aws, bucket, latest(aws, bucket, dataset)["manifest"]))
    key = next(f["key"] for f in manifest["files"] if f["format"] == "jsonl")
    return [json.loads(line) for line in get(aws, bucket, key).decode().splitlines()]


def session_item(month_day: str, hs6: str, done: bool = True) -> dict:
    state = {"description": "x", "weights": {hs6: 0.9, "010121": 0.1}, "status": "done" if done else "asking", "national": None}
    created = f"{month_day}T10:00:00+00:00"
    return {
        "session_id": {"S": uuid.uuid4().hex},
        "version": {"N": "1"},
        "state": {"S": json.dumps({**state, "created_at": created})},
        "created_at": {"S": created},
        "expires_at": {"N": str(int(time.time()) + 86400)},
    }


@pytest.fixture(scope="module")
def built(platform):
    """Every dataset built once, through the queue and the event router, before the tests look at them."""
    from scripts.local.event_router import EventRouter
    from scripts.local.open_data_site import request_rebuild

    request_rebuild()
    EventRouter(platform.emulator.endpoint_url, platform.queue_urls(), retry_visibility_s=0).drain()
    return True


def test_every_dataset_is_built_with_a_verifiable_manifest_and_catalogue(platform, aws, bucket, built):
    catalog = json.loads(get(aws, bucket, "catalog.json"))
    assert {d["identifier"] for d in catalog["dataset"]} == set(BUILDERS)
    for dataset in catalog["dataset"]:
        pointer = latest(aws, bucket, dataset["identifier"])
        manifest = json.loads(get(aws, bucket, pointer["manifest"]))
        assert manifest["version"] == pointer["version"] == dataset["version"]
        assert pointer["manifest"].startswith(f"datasets/{dataset['identifier']}/versions/{manifest['version']}/")
        assert [c["name"] for c in manifest["schema"]] == [c.name for c in BUILDERS[dataset["identifier"]].schema]
        assert manifest["source_version"] and manifest["build_time"].endswith("Z")
        assert {f["format"] for f in manifest["files"]} == {"csv", "jsonl", "parquet"}
        for entry in manifest["files"]:
            data = get(aws, bucket, entry["key"])
            assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"], entry["key"]
            assert entry["key"].startswith(f"datasets/{dataset['identifier']}/versions/{manifest['version']}/")
        csv_lines = get(aws, bucket, manifest["files"][0]["key"]).decode().splitlines()
        assert len(csv_lines) == manifest["row_count"] + 1  # header
        import pyarrow.parquet as pq

        parquet = pq.read_table(io.BytesIO(get(aws, bucket, next(f["key"] for f in manifest["files"] if f["format"] == "parquet"))))
        assert parquet.num_rows == manifest["row_count"]
        # The catalogue's distributions are the manifest's files, with URLs on the public (here: gateway) base.
        assert {(d["downloadURL"], d["checksum"]["checksumValue"], d["byteSize"]) for d in dataset["distribution"]} == {
            (f"{platform.gateway_url}/open-data/{f['key']}", f["sha256"], f["bytes"]) for f in manifest["files"]
        }
    nomenclature = {r["code"]: r for r in rows_of(aws, bucket, "hs2022_nomenclature")}
    assert nomenclature["851713"]["parent"] == "8517" and nomenclature["851713"]["path_text"].count(" > ") == 3
    assert len(rows_of(aws, bucket, "national_tariff_schedule")) > 10_000


def test_the_gateway_lists_datasets_and_the_helper_downloads_and_verifies(platform, built, tmp_path, capsys):
    from scripts import open_data as helper

    page = urllib.request.urlopen(f"{platform.gateway_url}/open-data/").read().decode()
    for dataset_id in BUILDERS:
        assert dataset_id in page
    base = f"{platform.gateway_url}/open-data"
    assert helper.main(["--base-url", base, "list"]) == 0
    assert "hs2022_nomenclature" in capsys.readouterr().out
    assert helper.main(["--base-url", base, "get", "vehicle_imports_monthly", "--verify", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("verified (sha256)") == 3
    version = json.loads(urllib.request.urlopen(f"{base}/datasets/vehicle_imports_monthly/latest.json").read())["version"]
    assert helper.main(["--base-url", base, "get", "vehicle_imports_monthly", "--version", version, "--format", "csv", "--verify", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "vehicle_imports_monthly" / version / "vehicle_imports_monthly.csv").exists()


def test_an_unchanged_rebuild_creates_no_version(platform, router, aws, bucket, built, feed):
    before = keys(aws, bucket)
    pointers = {d: latest(aws, bucket, d) for d in BUILDERS}
    catalog = get(aws, bucket, "catalog.json")
    # The schedule's event and a redelivered rebuild request
    send_trigger(platform, aws, {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
    send_trigger(platform, aws, {"type": "open_data.rebuild", "detail": {}})
    assert router.drain()["failed"] == 0
    assert keys(aws, bucket) == before
    assert {d: latest(aws, bucket, d) for d in BUILDERS} == pointers
    assert get(aws, bucket, "catalog.json") == catalog
    assert feed() == []


def test_small_counts_are_suppressed_in_both_statistics(platform, router, aws, bucket, built, feed):
    # Guided sessions of a month no other test uses: 6 in chapter 85, 3 in chapter 09 (one still unfinished).
    ddb = aws("dynamodb")
    table = platform.env[res.env_var("TABLE", "classification_sessions")]
    for i in range(6):
        ddb.put_item(TableName=table, Item=session_item(f"2019-03-{10 + i}", "851713"))
    for i in range(3):
        ddb.put_item(TableName=table, Item=session_item("2019-03-20", "090111", done=i != 0))
    ddb.put_item(TableName=table, Item={**session_item("2019-03-21", "851713"), "state": {"S": "not json"}})  # skipped
    # Vehicle records dropped by the vehicle exchange, in two shapes (plain records, event envelopes).
    plain = [{"vin": f"JT{i:015d}", "make": "Toyota", "fuel_type": "PETROL", "import_date": "2019-04-02"} for i in range(5)]
    events = [{"source": "vehicle_exchange", "type": "vehicle.imported", "detail": {"vin": f"5YJ{i:014d}", "make": "tesla", "fuel": "EV", "imported_at": "2019-04-03T08:00:00Z"}} for i in range(2)]
    body = "\n".join(json.dumps(r) for r in plain + events) + "\n"
    aws("s3").put_object(Bucket=platform.env[res.env_var("BUCKET", "open_data_sources")], Key=f"incoming/vehicle_exchange/{uuid.uuid4().hex}.jsonl", Body=body.encode())
    # A platform event from the API triggers the classification statistics; the S3 drop triggers the vehicles.
    send_trigger(platform, aws, {"source": "tariff_api", "type": "classification.completed", "detail": {}})
    assert router.drain()["failed"] == 0

    requests = {(r["month"], r["chapter"]): r for r in rows_of(aws, bucket, "classification_requests_monthly")}
    assert requests[("2019-03", "85")] == {"month": "2019-03", "chapter": "85", "requests": 6, "suppressed": False}
    assert requests[("2019-03", "09")] == {"month": "2019-03", "chapter": "09", "requests": None, "suppressed": True}
    vehicles = {(r["month"], r["make"], r["fuel"]): r for r in rows_of(aws, bucket, "vehicle_imports_monthly")}
    assert vehicles[("2019-04", "TOYOTA", "petrol")]["imports"] == 5
    assert vehicles[("2019-04", "TESLA", "electric")] == {"month": "2019-04", "make": "TESLA", "fuel": "electric", "imports": None, "suppressed": True}
    for row in list(requests.values()) + list(vehicles.values()):
        count = row.get("requests", row.get("imports"))
        assert count is None or count >= 5
    # No text, no identifiers in the statistics' files
    manifest = json.loads(get(aws, bucket, latest(aws, bucket, "vehicle_imports_monthly")["manifest"]))
    assert b"5YJ" not in get(aws, bucket, manifest["files"][0]["key"])
    announced = {m["dataset"] for m in feed()}
    assert announced == {"classification_requests_monthly", "vehicle_imports_monthly"}

    # A day later the sessions have expired from the table (TTL): the statistics keep them (private ledger).
    for item in ddb.scan(TableName=table)["Items"]:
        if item["created_at"]["S"].startswith("2019-03"):
            ddb.delete_item(TableName=table, Key={"session_id": item["session_id"]})
    pointer = latest(aws, bucket, "classification_requests_monthly")
    send_trigger(platform, aws, {"source": "tariff_api", "type": "classification.completed", "detail": {}})
    assert router.drain()["failed"] == 0
    assert latest(aws, bucket, "classification_requests_monthly") == pointer
    assert feed() == []


class _BrokenVehicles(VehicleImportsBuilder):
    """Rows that fail validation (an unsuppressed small count)."""

    def rows(self, inputs: Inputs):
        return [{"month": "2019-05", "make": "X", "fuel": "diesel", "imports": 2, "suppressed": False}]


class _SlowStore:
    """The real S3 store with a pause before every write (so a concurrent reader can watch the build)."""

    def __init__(self, store, pause_s: float = 0.0, fail_on: str | None = None) -> None:
        self.store, self.pause_s, self.fail_on = store, pause_s, fail_on

    def get(self, key):
        return self.store.get(key)

    def read(self, key):
        return self.store.read(key)

    def put(self, key, data, content_type, cache_control=None, **conditions):
        time.sleep(self.pause_s)
        if self.fail_on and key.endswith(self.fail_on):
            raise OSError(f"injected storage failure writing {key}")
        self.store.put(key, data, content_type, cache_control, **conditions)

    def delete(self, keys):
        self.store.delete(keys)


def _publisher(store) -> Publisher:
    real = adapters.publisher()
    return Publisher(store=store, feed=real.feed, base_url=real.base_url)


def test_a_failed_build_publishes_nothing_and_keeps_the_previous_version(platform, aws, bucket, built, feed):
    dataset = "vehicle_imports_monthly"
    before, pointer = keys(aws, bucket), latest(aws, bucket, dataset)
    # Validation failure: nothing written
    result = _publisher(adapters.publisher().store).publish(_BrokenVehicles(), adapters.inputs())
    assert result.status == "failed" and "not suppressed" in result.reason
    assert keys(aws, bucket) == before and latest(aws, bucket, dataset) == pointer
    # Storage failure half-way (the Parquet file): the build raises, the pointer stays, the partial files go
    inputs = adapters.inputs()
    extra = [{"make": "Volvo", "fuel": "diesel", "import_date": f"2019-06-0{i + 1}"} for i in range(5)]
    inputs._cache["vehicles"] = list(inputs.vehicle_imports()) + [vehicle_import_of(r) for r in extra]
    with pytest.raises(OSError):
        _publisher(_SlowStore(adapters.publisher().store, fail_on=".parquet")).publish(BUILDERS[dataset], inputs)
    assert keys(aws, bucket) == before and latest(aws, bucket, dataset) == pointer
    assert feed() == []


def test_a_reader_during_a_build_sees_the_old_or_the_new_version_never_a_mix(platform, aws, bucket, built):
    dataset = "vehicle_imports_monthly"
    base = f"{platform.gateway_url}/open-data"
    old = latest(aws, bucket, dataset)["version"]
    seen: list[str] = []
    problems: list[str] = []
    stop = threading.Event()

    def reader() -> None:  # what a downloader does: pointer → manifest → every file, checked
        while not stop.is_set():
            pointer = json.loads(urllib.request.urlopen(f"{base}/datasets/{dataset}/latest.json").read())
            manifest = json.loads(urllib.request.urlopen(f"{base}/{pointer['manifest']}").read())
            if manifest["version"] != pointer["version"]:
                problems.append(f"pointer {pointer['version']} names manifest {manifest['version']}")
            for entry in manifest["files"]:
                data = urllib.request.urlopen(f"{base}/{entry['key']}").read()
                if hashlib.sha256(data).hexdigest() != entry["sha256"] or f"/{pointer['version']}/" not in entry["key"]:
                    problems.append(f"{entry['key']} does not match version {pointer['version']}")
            seen.append(pointer["version"])

    # New content for the dataset: more vehicle records dropped by the exchange
    records = [{"make": "Volvo", "fuel": "diesel", "import_date": f"2019-07-0{i + 1}"} for i in range(6)]
    aws("s3").put_object(
        Bucket=platform.env[res.env_var("BUCKET", "open_data_sources")],
        Key=f"incoming/vehicle_exchange/{uuid.uuid4().hex}.jsonl",
        Body="\n".join(json.dumps(r) for r in records).encode(),
    )
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    time.sleep(0.3)
    result = _publisher(_SlowStore(adapters.publisher().store, pause_s=0.25)).publish(BUILDERS[dataset], adapters.inputs())
    time.sleep(0.5)
    stop.set()
    thread.join(timeout=10)
    assert result.status == "published" and result.version != old
    assert problems == []
    assert set(seen) == {old, result.version}
    switch = seen.index(result.version)
    assert all(v == old for v in seen[:switch]) and all(v == result.version for v in seen[switch:])


def test_a_version_that_does_not_read_back_is_never_pointed_at(platform, aws, bucket, built):
    class Corrupting(_SlowStore):
        def put(self, key, data, content_type, cache_control=None, **conditions):
            self.store.put(key, data + (b"x" if key.endswith(".csv") else b""), content_type, cache_control, **conditions)

    dataset = "vehicle_imports_monthly"
    before, pointer = keys(aws, bucket), latest(aws, bucket, dataset)
    inputs = adapters.inputs()
    inputs._cache["vehicles"] = []  # different content from the published version
    with pytest.raises(VerificationError):
        _publisher(Corrupting(adapters.publisher().store)).publish(BUILDERS[dataset], inputs)
    assert latest(aws, bucket, dataset) == pointer
    assert keys(aws, bucket) == before  # the unverifiable files were removed again


def test_a_message_that_is_no_trigger_ends_in_the_dlq_and_builds_nothing(platform, router, aws, bucket, built):
    before = keys(aws, bucket)
    aws("sqs").send_message(QueueUrl=platform.env[res.env_var("QUEUE", "open_data_events")], MessageBody="this is not a trigger")
    totals = router.drain()
    assert totals["failed"] == res.queue("open_data_events").max_receive_count
    dlq = platform.env[res.env_var("QUEUE", res.queue("open_data_events").dlq_logical_id)]
    [message] = aws("sqs").receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert message["Body"] == "this is not a trigger"
    assert keys(aws, bucket) == before


def test_two_concurrent_builds_one_switch_wins_and_the_other_publishes_nothing(platform, aws, bucket, built):
    from functions.open_data.publisher import ConcurrentUpdate

    dataset = "vehicle_imports_monthly"
    barrier = threading.Barrier(2, timeout=10)

    class BothReadFirst(_SlowStore):
        def read(self, key):
            result = self.store.read(key)
            if key == pointer_key(dataset):
                barrier.wait()  # both builds have read the same pointer before either writes
            return result

    outcomes: dict[str, object] = {}

    def build(name: str, makes: int) -> None:
        inputs = adapters.inputs()
        inputs._cache["vehicles"] = [vehicle_import_of({"make": f"RACE{i}", "fuel": "diesel", "date": "2019-08-01"}) for i in range(makes) for _ in range(5)]
        try:
            outcomes[name] = _publisher(BothReadFirst(adapters.publisher().store, pause_s=0.05)).publish(BUILDERS[dataset], inputs)
        except ConcurrentUpdate as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=build, args=(name, n)) for name, n in (("a", 1), ("b", 2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    published = [o for o in outcomes.values() if not isinstance(o, Exception)]
    assert len(published) == 1 and sum(isinstance(o, ConcurrentUpdate) for o in outcomes.values()) == 1
    [winner] = published
    assert latest(aws, bucket, dataset)["version"] == winner.version
    versions = [k.split("/")[3] for k in keys(aws, bucket, f"datasets/{dataset}/versions/") if k.endswith("manifest.json")]
    history = json.loads(get(aws, bucket, f"datasets/{dataset}/versions.json"))["versions"]
    assert sorted(versions) == sorted(v["version"] for v in history)  # the loser left no version behind
