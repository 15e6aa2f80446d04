"""The one JSON error shape every API and handler returns: ``{"error": {"code", "message", "field"?, "details"?}}``."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any


@dataclass
class ApiError(Exception):
    """An error meant for the caller: a 4xx (or 503) with a machine code and a message naming the problem."""

    status: int
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] = dc_field(default_factory=dict)
    headers: dict[str, str] = dc_field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, field=self.field, details=self.details)


def error_body(code: str, message: str, *, field: str | None = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    if details:
        error["details"] = details
    return {"error": error}


def validation_error(field_name: str, message: str) -> ApiError:
    return ApiError(400, "validation_error", message, field=field_name)


def not_found(what: str, field_name: str | None = None) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found", field=field_name)


def unauthorized(message: str = "authentication required") -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str = "not allowed for this principal") -> ApiError:
    return ApiError(403, "forbidden", message)


def from_pydantic(exc: Any) -> ApiError:
    """Turn a pydantic ``ValidationError`` into an ApiError naming the first offending field."""
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid input"}
    # Model-level checks carry the field they are about in their context (PydanticCustomError(..., {"field": ...})).
    location = ".".join(str(part) for part in first.get("loc", ())) or (first.get("ctx") or {}).get("field") or "body"
    return ApiError(
        400,
        "validation_error",
        f"{location}: {first.get('msg', 'invalid')}",
        field=location,
        details={"errors": [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")} for e in errors[:10]]},
    )


def route_not_found_body(method: str, path: str) -> dict[str, Any]:
    """Body for a request to no route (API Gateway's gateway response in AWS, the local server's 404)."""
    return error_body("route_not_found", f"no route for {method} {path}", field="path")
