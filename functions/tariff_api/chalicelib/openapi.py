"""The OpenAPI 3 document, generated from the Chalice route table and the routes' pydantic models."""

from __future__ import annotations

import html
import re
from typing import Any

from customs import __version__
from functions.tariff_api.chalicelib.http import ROUTE_DOCS

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}, "details": {"type": "object"}},
        }
    },
}


def build_openapi(app: Any, server_url: str = "/") -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for path, methods in sorted(app.routes.items()):
        for method in sorted(methods):
            docs = ROUTE_DOCS.get((method, path), {})
            operation: dict[str, Any] = {
                "summary": docs.get("summary", ""),
                "operationId": methods[method].view_name,
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in re.findall(r"{(\w+)}", path)
                ]
                + [{"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": text} for name, kind, text in docs.get("query", ())],
                "responses": {
                    str(docs.get("status", 200)): {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "4XX": {"description": "Bad input, unknown resource or conflict", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "503": {"description": "A dependency is unavailable; retry after Retry-After seconds", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
                "security": [{}, {"ApiKey": []}, {"Bearer": []}],
            }
            model = docs.get("body")
            if model is not None:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
                operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Smart Customs Cloud — public tariff API",
            "version": __version__,
            "description": "HS classification, guided classification sessions and HS lookups. Errors share one JSON shape.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }


def docs_page(document: dict[str, Any]) -> str:
    """A self-contained documentation page (no CDN: it must render offline too)."""
    rows = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            params = ", ".join(p["name"] for p in op.get("parameters", [])) or "—"
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "").rsplit("/", 1)[-1] or "—"
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(op['summary'])}</td><td>{html.escape(params)}</td><td>{html.escape(body)}</td></tr>"
            )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(document['info']['title'])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}}code{{background:#f4f4f4;padding:0 .2rem}}</style></head>
<body><h1>{html.escape(document['info']['title'])}</h1><p>{html.escape(document['info']['description'])}
The machine-readable document is at <a href="openapi.json">openapi.json</a>.</p>
<table><tr><th>method</th><th>path</th><th>what</th><th>parameters</th><th>body</th></tr>{''.join(rows)}</table>
<h2>Errors</h2><pre>{{"error": {{"code": "validation_error", "message": "text: String should have at least 1 character", "field": "text"}}}}</pre>
</body></html>"""
