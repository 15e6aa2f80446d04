"""`make run`: the whole platform locally, in the foreground, until Ctrl-C.

Emulator (moto server) → every resource from infra_cdk/resources.py → public API (Chalice local) → gateway
(Lambda invoke endpoint, dev token issuer JWKS, web page) → event router (SQS and S3 notifications → handlers).
Ports: CUSTOMS_LOCAL_API_PORT (8000), CUSTOMS_LOCAL_GATEWAY_PORT (8010), CUSTOMS_LOCAL_EMULATOR_PORT (5000).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import warnings

from scripts.local.open_data_site import request_rebuild
from scripts.local.platform import LocalPlatform
from scripts.local.runtime_info import RUNTIME_FILE, save_runtime_info


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)-15s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("botocore", "urllib3", "werkzeug", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Powertools warns on every invocation that records no metric; locally that is noise, not news.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    platform = LocalPlatform(
        api_port=int(os.environ.get("CUSTOMS_LOCAL_API_PORT", "8000")),
        gateway_port=int(os.environ.get("CUSTOMS_LOCAL_GATEWAY_PORT", "8010")),
        emulator_port=int(os.environ.get("CUSTOMS_LOCAL_EMULATOR_PORT", "5000")),
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        platform.start()
    except OSError as exc:
        print(f"could not start: {exc} (is another `make run` using the ports? set CUSTOMS_LOCAL_*_PORT)", file=sys.stderr)
        return 1
    save_runtime_info(
        {
            "api_url": platform.api_url,
            "gateway_url": platform.gateway_url,
            "emulator_url": platform.emulator.endpoint_url,
            "jwt_issuer": platform.issuer.issuer,
            "env": platform.env,
        }
    )
    request_rebuild()  # the first open-data build (via the event router, like any trigger)
    officer_hint = "python -m scripts.local.dev_issuer --role customs_officer"
    print(
        f"""
Smart Customs Cloud is running locally.
  Public API      {platform.api_url}/v1/health
  Web page        {platform.gateway_url}/web/
  AWS emulator    {platform.emulator.endpoint_url}   (moto server; boto3 endpoint_url)
  Lambda invoke   {platform.gateway_url}   (boto3 lambda endpoint_url)
  Dev JWKS        {platform.issuer.jwks_url}
  Open data       {platform.gateway_url}/open-data/   (listing with download links; catalog.json)

Try:
  curl -s {platform.api_url}/v1/health
  curl -s -H "Authorization: Bearer $(.venv/bin/{officer_hint})" {platform.api_url}/v1/whoami
  .venv/bin/python -m scripts.invoke platform_link events/platform_link/sqs_s3_test_event.json
  .venv/bin/python scripts/open_data.py list

Ctrl-C stops everything.
""",
        flush=True,
    )
    try:
        stop.wait()
    finally:
        print("stopping…", flush=True)
        platform.stop()
        RUNTIME_FILE.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
