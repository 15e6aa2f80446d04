"""Powertools Logger, Tracer and Metrics, set up in one place so every function logs and measures alike."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

METRICS_NAMESPACE = "SmartCustomsCloud"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)

__all__ = ["logger", "tracer", "metrics", "MetricUnit", "METRICS_NAMESPACE"]
