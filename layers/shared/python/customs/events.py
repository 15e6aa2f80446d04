"""Business events every service sends to the export queue, which the on-premises data-analysis platform drains
over the hybrid link (analysis, statistics, training data). Services never call each other; they publish here."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from customs import aws
from customs.config import get_settings

EXPORT_QUEUE = "platform_export"


class EventPublisher(Protocol):
    def publish(self, event_type: str, detail: dict[str, Any]) -> None: ...


def envelope(source: str, event_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"source": source, "type": event_type, "time": datetime.now(timezone.utc).isoformat(), "detail": detail}


def _json_default(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else str(value)


class QueueEventPublisher:
    """Sends one event per message, with its type as a message attribute (so consumers can filter)."""

    def __init__(self, source: str, queue_logical_id: str = EXPORT_QUEUE) -> None:
        self._source = source
        self._sqs = aws.client("sqs")
        self._url = get_settings().queue_url(queue_logical_id)

    def publish(self, event_type: str, detail: dict[str, Any]) -> None:
        self._sqs.send_message(
            QueueUrl=self._url,
            MessageBody=json.dumps(envelope(self._source, event_type, detail), default=_json_default, ensure_ascii=False),
            MessageAttributes={"type": {"DataType": "String", "StringValue": event_type}},
        )


@lru_cache(maxsize=None)
def export_publisher(source: str) -> QueueEventPublisher:
    return QueueEventPublisher(source)


class FanOutPublisher:
    """Publishes each event to several destinations (e.g. the export queue and the open-data trigger queue)."""

    def __init__(self, *publishers: EventPublisher) -> None:
        self._publishers = publishers

    def publish(self, event_type: str, detail: dict[str, Any]) -> None:
        for publisher in self._publishers:
            publisher.publish(event_type, detail)
