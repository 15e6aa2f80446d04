"""The runner's own HTTP endpoint: the Lambda Invoke API (so `boto3.client("lambda").invoke` works locally with
an endpoint URL, exactly as in AWS), the development issuer's JWKS, and the static web page."""

from __future__ import annotations

import json
import logging
import mimetypes
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from infra_cdk import resources as res
from scripts.local import open_data_site
from scripts.local.dev_issuer import DevIssuer
from scripts.local.lambda_runtime import invoke

log = logging.getLogger("gateway")
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
WEB_ROOT = Path(__file__).resolve().parents[2] / "web"


def _function_by_name(name: str) -> res.FunctionSpec | None:
    # Accept a bare name, a local physical name or an ARN, like the Lambda API does.
    bare = name.rsplit(":", 1)[-1] if name.startswith("arn:") else name
    for spec in res.FUNCTIONS:
        if bare in (spec.logical_id, res.local_name(spec.logical_id)):
            return spec
    return None


def make_handler(issuer: DevIssuer, extra_functions: dict[str, Callable] | None = None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "customs-local-gateway"

        def log_message(self, fmt: str, *args: object) -> None:
            log.info("%s %s", self.address_string(), fmt % args)

        def _send(self, status: int, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(payload).encode(), headers=headers)

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            match = INVOKE_PATH.match(self.path.split("?", 1)[0])
            if not match:
                return self._json(404, {"message": f"no route {self.path}"})
            spec = _function_by_name(match["name"])
            if spec is None:
                return self._json(404, {"Type": "User", "message": f"Function not found: {match['name']}"}, {"x-amzn-ErrorType": "ResourceNotFoundException"})
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                event = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                return self._json(400, {"Type": "User", "message": "Could not parse request body into json"}, {"x-amzn-ErrorType": "InvalidRequestContentException"})
            if self.headers.get("X-Amz-Invocation-Type") == "Event":
                threading.Thread(target=invoke, args=(spec, event), daemon=True).start()
                return self._send(202, b"")
            result, error = invoke(spec, event)
            if error is not None:
                log.error("function %s failed: %s: %s", spec.logical_id, error["errorType"], error["errorMessage"])
                return self._json(200, error, {"X-Amz-Function-Error": "Unhandled"})
            self._json(200, result, {"X-Amz-Executed-Version": "$LATEST"})

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            if path in ("/dev-issuer/.well-known/jwks.json", "/.well-known/jwks.json"):
                return self._json(200, issuer.jwks())
            if path == open_data_site.PREFIX or path.startswith(open_data_site.PREFIX + "/"):
                status, body, content_type = open_data_site.serve(path)  # what CloudFront serves in AWS
                return self._send(status, body, content_type, {"Cache-Control": "no-store"})
            if path == "/" or path.startswith("/web"):
                relative = path.removeprefix("/web").lstrip("/") or "index.html"
                file = (WEB_ROOT / relative).resolve()
                if WEB_ROOT in file.parents and file.is_file():
                    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    return self._send(200, file.read_bytes(), content_type, {"Cache-Control": "no-store"})
                if path == "/":
                    return self._json(200, {"service": "customs local gateway", "jwks": issuer.jwks_url})
            self._json(HTTPStatus.NOT_FOUND, {"message": f"no route {path}"})

    return Handler


class Gateway:
    def __init__(self, host: str, port: int, issuer: DevIssuer) -> None:
        self.server = ThreadingHTTPServer((host, port), make_handler(issuer))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "Gateway":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
