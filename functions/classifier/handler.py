"""Classifier Lambda (container image): parse the event, run the engine, map the result. Thin.

Event: ``{"text": "..."}`` or ``{"texts": [...]}`` (≤ 64), optional ``lang`` and ``top_k`` (1-20, default 5).
Bad input returns ``{"error": {"code": "validation_error", "message", "field"}}`` (mapped to a 400 by the API).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from customs.errors import error_body
from customs.observability import MetricUnit, logger, metrics, tracer
from functions.classifier.engine import get_engine
from functions.classifier.models import ClassifyRequest, ClassifyResponse, RequestError

engine = get_engine()  # init phase: tokenizer + ONNX session + index, once per container


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    try:
        request = ClassifyRequest.parse_event(event)
    except RequestError as exc:
        metrics.add_metric(name="ClassifierValidationError", unit=MetricUnit.Count, value=1)
        return error_body("validation_error", exc.message, field=exc.field)
    body = engine.classify(request.texts, top_k=request.top_k, lang=request.lang)
    metrics.add_metric(name="ClassifierTexts", unit=MetricUnit.Count, value=len(request.texts))
    return ClassifyResponse.model_validate(body).model_dump()
