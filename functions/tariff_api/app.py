"""Public tariff API (Chalice). Routes only: parse → call one service function → map the result."""

from __future__ import annotations

from chalice import Chalice, Response
from pydantic import BaseModel, ConfigDict, Field

from customs.observability import logger
from functions.tariff_api.chalicelib import http, platform

app = Chalice(app_name="customs-tariff-api")
app.api.binary_types = []  # JSON only


@app.middleware("http")
def platform_error_shape(event, get_response):  # noqa: ANN001 (Chalice middleware signature)
    """Errors Chalice raises itself (e.g. 415 on a content type a route does not take) get the common shape."""
    return http.normalize_chalice_error(get_response(event))


@http.json_route(app, "/v1/health", methods=["GET"], cors=True)
def health() -> Response:
    return http.ok(platform.health())


@http.json_route(app, "/v1/whoami", methods=["GET"], cors=True)
def whoami() -> Response:
    principal = platform.principal_for(app.current_request.headers)
    return http.ok(
        {
            "subject": principal.subject,
            "roles": sorted(r.value for r in principal.roles),
            "auth_method": principal.auth_method,
            "company_id": principal.company_id,
        }
    )


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000, description="free-text description of the goods")
    top_k: int = Field(5, ge=1, le=20)
    lang: str | None = Field(None, max_length=8)


@http.json_route(app, "/v1/classify", methods=["POST"], cors=True)
def classify() -> Response:
    platform.principal_for(app.current_request.headers)  # rejects bad credentials; anonymous is allowed
    request = http.parse_body(app.current_request, ClassifyRequest)
    logger.debug("classify", extra={"chars": len(request.text)})
    return http.ok(platform.classifier().classify(request.model_dump(exclude_none=True)))
