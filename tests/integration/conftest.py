"""Integration tests run against a real emulator process (moto server on a free port), started once per session,
with the API served by Chalice's local server and handlers invoked through the event router."""

from __future__ import annotations

import pytest

from scripts.local.event_router import EventRouter
from scripts.local.platform import LocalPlatform


@pytest.fixture(scope="session")
def platform():
    local = LocalPlatform.on_free_ports(with_router=False).start()
    yield local
    local.stop()


@pytest.fixture
def router(platform: LocalPlatform) -> EventRouter:
    """Delivers queued messages on demand (``drain``); failed records become visible again at once."""
    return EventRouter(platform.emulator.endpoint_url, platform.queue_urls(), retry_visibility_s=0)


@pytest.fixture
def purge_queues(platform: LocalPlatform):
    import boto3

    sqs = boto3.client("sqs", endpoint_url=platform.emulator.endpoint_url)
    # Receive-and-delete rather than PurgeQueue, which SQS allows only once a minute per queue.
    for name, url in platform.env.items():
        if name.startswith("CUSTOMS_QUEUE_"):
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", []):
                sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    yield
