"""Benchmark: rebuild every open-data dataset end to end on the emulator.

    PYTHONPATH=layers/shared/python:. .venv/bin/python scripts/bench_open_data.py [--sessions N] [--vehicles N] [--repeats R]

A throw-away local platform (moto server + resources), seeded with guided sessions and vehicle records; then,
timed from the trigger message on the queue to the catalogue being written (event router → handler → S3):

* ``rebuild_s``: the first full rebuild, every dataset published (render, write, read back and verify, switch);
* ``changed_rebuild_s``: every dataset rebuilt after new statistics input (the two statistics republished);
* ``unchanged_rebuild_s``: median of ``--repeats`` rebuilds with unchanged inputs (nothing written).

The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import time
import os
import uuid
import warnings
from pathlib import Path

# Keep stdout for the result: no per-build log lines or metric blobs from the handler.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "layers" / "shared" / "python"), str(Path(__file__).resolve().parents[1])]

from infra_cdk import resources as res  # noqa: E402
from scripts.local.event_router import EventRouter  # noqa: E402
from scripts.local.open_data_site import request_rebuild  # noqa: E402
from scripts.local.platform import LocalPlatform  # noqa: E402

MAKES = ("TOYOTA", "BMW", "TESLA", "HYUNDAI", "VOLKSWAGEN", "MERCEDES-BENZ", "KIA", "VOLVO", "FORD", "NISSAN")
FUELS = ("petrol", "diesel", "electric", "hybrid", "plug-in hybrid")
HS6 = ("851713", "847130", "870323", "610910", "090111", "300490", "940360", "640399", "220421", "392690")


def seed(platform: LocalPlatform, sessions: int, vehicles: int, rng: random.Random, tag: str) -> None:
    import boto3

    endpoint = platform.emulator.endpoint_url
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    table = platform.env[res.env_var("TABLE", "classification_sessions")]
    for _ in range(sessions):
        created = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}T10:00:00+00:00"
        state = {"status": "done", "weights": {rng.choice(HS6): 0.9}, "created_at": created}
        ddb.put_item(
            TableName=table,
            Item={"session_id": {"S": uuid.uuid4().hex}, "version": {"N": "1"}, "state": {"S": json.dumps(state)}, "created_at": {"S": created}, "expires_at": {"N": str(int(time.time()) + 86400)}},
        )
    records = [
        {"vin": uuid.uuid4().hex[:17].upper(), "make": rng.choice(MAKES), "fuel": rng.choice(FUELS), "import_date": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"}
        for _ in range(vehicles)
    ]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.put_object(
        Bucket=platform.env[res.env_var("BUCKET", "open_data_sources")],
        Key=f"incoming/vehicle_exchange/bench-{tag}.jsonl",  # its S3 notification joins the next timed batch
        Body="\n".join(json.dumps(r) for r in records).encode(),
    )


def timed_rebuild(platform: LocalPlatform, router: EventRouter) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    request_rebuild()
    totals = router.drain()
    return time.perf_counter() - start, totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--vehicles", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    from functions.open_data import adapters

    rng = random.Random(7)
    platform = LocalPlatform.on_free_ports(with_api=False, with_router=False).start()
    try:
        seed(platform, args.sessions, args.vehicles, rng, "first")
        router = EventRouter(platform.emulator.endpoint_url, platform.queue_urls(), retry_visibility_s=0)
        # Warm the process (imports, nomenclature and schedule loading) outside the timings, as a warm Lambda is.
        warm_start = time.perf_counter()
        from functions.open_data import handler  # noqa: F401
        from customs.hs import get_nomenclature
        from customs.hs.national import get_bundled_schedule

        get_nomenclature(), get_bundled_schedule()
        import pyarrow.parquet  # noqa: F401

        warm_s = time.perf_counter() - warm_start

        rebuild_s, totals = timed_rebuild(platform, router)
        assert totals["failed"] == 0, totals
        seed(platform, args.sessions // 10, args.vehicles // 10, rng, "second")
        changed_s, totals = timed_rebuild(platform, router)
        assert totals["failed"] == 0, totals
        unchanged = [timed_rebuild(platform, router)[0] for _ in range(args.repeats)]

        store = adapters.publisher().store
        catalog = json.loads(store.get("catalog.json"))
        rows = {d["identifier"]: d["rowCount"] for d in catalog["dataset"]}
        size = sum(dist["byteSize"] for d in catalog["dataset"] for dist in d["distribution"])
        versions = {d: len(json.loads(store.get(f"datasets/{d}/versions.json"))["versions"]) for d in rows}
    finally:
        platform.stop()
    for name, seconds in (("first rebuild (all published)", rebuild_s), ("rebuild after new input", changed_s), ("unchanged rebuild (median)", statistics.median(unchanged))):
        print(f"{name:<32} {seconds:6.2f} s", file=sys.stderr)
    result = {
        "rebuild_s": round(rebuild_s, 2),
        "changed_rebuild_s": round(changed_s, 2),
        "unchanged_rebuild_s": round(statistics.median(unchanged), 2),
        "warmup_s": round(warm_s, 2),
        "datasets": len(rows),
        "rows": rows,
        "versions": versions,
        "published_mb": round(size / 1e6, 1),
        "sessions": args.sessions + args.sessions // 10,
        "vehicle_records": args.vehicles + args.vehicles // 10,
        "target_s": 10,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
