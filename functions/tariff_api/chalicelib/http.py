"""Request parsing and the JSON error mapping shared by every route of the public API."""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, TypeVar

from chalice import Response
from pydantic import BaseModel, ValidationError

from customs.errors import ApiError, error_body, from_pydantic
from customs.observability import logger

MAX_BODY_BYTES = 256 * 1024
JSON_HEADERS = {"Content-Type": "application/json"}
Model = TypeVar("Model", bound=BaseModel)


def parse_body(request: Any, model: type[Model]) -> Model:
    """Validate the JSON body into ``model``; every failure is a 4xx naming the problem."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json", field="Content-Type")
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"body exceeds {MAX_BODY_BYTES} bytes", field="body")
    try:
        data = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"body is not valid JSON: {exc}", field="body") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "validation_error", "body must be a JSON object", field="body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_pydantic(exc) from exc


def error_response(error: ApiError) -> Response:
    return Response(body=json.dumps(error.body()), status_code=error.status, headers={**JSON_HEADERS, **error.headers})


def internal_error_response(request_id: str | None) -> Response:
    body = error_body("internal_error", "an unexpected error occurred; it has been logged", details={"request_id": request_id} if request_id else None)
    return Response(body=json.dumps(body), status_code=500, headers=JSON_HEADERS)


def ok(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(payload, ensure_ascii=False), status_code=status, headers={**JSON_HEADERS, **(headers or {})})


def log_unexpected(exc: BaseException) -> None:
    logger.exception("unhandled error in API route", extra={"error_type": type(exc).__name__})


# (METHOD, path) -> documentation used to build the OpenAPI document.
ROUTE_DOCS: dict[tuple[str, str], dict[str, Any]] = {}


def json_route(
    app: Any,
    path: str,
    *,
    summary: str = "",
    body: type[BaseModel] | None = None,
    query: tuple[tuple[str, str, str], ...] = (),
    status: int = 200,
    **route_kwargs: Any,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """``app.route`` whose view always answers in the common JSON shape: ApiError → its 4xx/503, anything
    unexpected → a logged 500 without a stack trace. (Chalice catches view errors before middleware sees them.)
    ``summary``, ``body`` and ``query`` ((name, type, description), ...) document the route in OpenAPI."""
    for method in route_kwargs.get("methods", ["GET"]):
        ROUTE_DOCS[(method, path)] = {"summary": summary, "body": body, "query": query, "status": status}

    def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except ApiError as error:
                return error_response(error)
            except Exception as exc:
                log_unexpected(exc)
                context = app.current_request.context if app.current_request else {}
                return internal_error_response(context.get("requestId"))

        return app.route(path, **route_kwargs)(guarded)

    return decorator


# Errors Chalice answers itself, before or around a view, in its own {"Code", "Message"} shape.
_CHALICE_CODES = {
    "UnsupportedMediaType": ("unsupported_media_type", "Content-Type"),
    "BadRequestError": ("bad_request", "body"),
    "NotFoundError": ("not_found", "path"),
    "MethodNotAllowedError": ("method_not_allowed", "method"),
    "InternalServerError": ("internal_error", None),
}


def normalize_chalice_error(response: Response) -> Response:
    """Rewrite a Chalice-native error response into the platform's JSON error shape."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return response
    code, field = _CHALICE_CODES.get(body["Code"], ("request_rejected", None))
    return Response(
        body=json.dumps(error_body(code, str(body.get("Message", code)), field=field)),
        status_code=response.status_code,
        headers={**(response.headers or {}), **JSON_HEADERS},
    )
