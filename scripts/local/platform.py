"""The whole platform, locally: emulator + resources + API + gateway + event router, started and stopped as one.

`make run` uses it in the foreground; the integration and e2e tests use it as a session fixture.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from dataclasses import dataclass, field

from customs.aws import reset_clients
from customs.config import reset_settings_cache
from customs.errors import route_not_found_body
from customs.identity import default_jwt_verifier
from scripts.local.bootstrap import bootstrap
from scripts.local.dev_issuer import DevIssuer
from scripts.local.emulator import MotoServer, free_port
from scripts.local.event_router import EventRouter
from scripts.local.gateway import Gateway

log = logging.getLogger("local-platform")


def reset_process_caches() -> None:
    """Forget every module-level cache of the platform's code (settings, clients, adapters built lazily).

    In Lambda each function's process lives with one configuration; here one process may start platforms on
    other ports one after another (tests), and no adapter may keep pointing at a stopped emulator."""
    reset_settings_cache()
    reset_clients()
    default_jwt_verifier.cache_clear()
    for name, module in list(sys.modules.items()):
        if not name.startswith(("functions.", "customs.")) or module is None:
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == name:
                value.cache_clear()


def _api_request_handler() -> type:
    from chalice.local import ChaliceRequestHandler, ForbiddenError

    class Handler(ChaliceRequestHandler):
        """Chalice's local handler, answering an unknown route the way the CDK's API Gateway response does:
        404 with the common JSON error (API Gateway's default is a 403 "Missing Authentication Token")."""

        def _send_error_response(self, error: Exception) -> None:
            if isinstance(error, ForbiddenError):
                body = json.dumps(route_not_found_body(self.command, self.path.split("?", 1)[0])).encode()
                return self._send_http_response(404, {"Content-Type": "application/json"}, body)
            return super()._send_error_response(error)

        def log_message(self, fmt: str, *args: object) -> None:
            log.info("api %s", fmt % args)

    return Handler


@dataclass
class LocalPlatform:
    host: str = "127.0.0.1"
    api_port: int = 8000
    gateway_port: int = 8010
    emulator_port: int = 5000
    with_api: bool = True
    with_router: bool = True
    retry_visibility_s: int | None = 2
    emulator: MotoServer = field(init=False)
    env: dict[str, str] = field(default_factory=dict)
    _api_server: object | None = None
    router: EventRouter | None = None
    gateway: Gateway | None = None

    @classmethod
    def on_free_ports(cls, **kwargs: object) -> "LocalPlatform":
        return cls(api_port=free_port(), gateway_port=free_port(), emulator_port=free_port(), **kwargs)  # type: ignore[arg-type]

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    def start(self) -> "LocalPlatform":
        self.emulator = MotoServer(port=self.emulator_port).start()
        issuer = DevIssuer(issuer=f"{self.gateway_url}/dev-issuer")
        self.issuer = issuer
        self.env = {
            "CUSTOMS_ENVIRONMENT": "local",
            "CUSTOMS_AWS_ENDPOINT_URL": self.emulator.endpoint_url,
            "CUSTOMS_LAMBDA_ENDPOINT_URL": self.gateway_url,
            "CUSTOMS_JWT_ISSUER": issuer.issuer,
            "CUSTOMS_JWKS_URL": issuer.jwks_url,
            "CUSTOMS_OPEN_DATA_BASE_URL": f"{self.gateway_url}/open-data",  # the gateway stands in for CloudFront
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            "POWERTOOLS_METRICS_NAMESPACE": "SmartCustomsCloud",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        # Handlers run in this process (like Lambda runs them in its own): they read settings from os.environ.
        os.environ.update(self.env)
        self.env.update(bootstrap(self.emulator.endpoint_url))
        os.environ.update(self.env)
        reset_process_caches()
        self.gateway = Gateway(self.host, self.gateway_port, issuer).start()
        if self.with_api:
            self._start_api()
        if self.with_router:
            self.router = EventRouter(self.emulator.endpoint_url, self.queue_urls(), retry_visibility_s=self.retry_visibility_s)
            self.router.start()
        return self

    def queue_urls(self) -> dict[str, str]:
        from infra_cdk import resources as res

        return {q.logical_id: self.env[res.env_var("QUEUE", q.logical_id)] for q in res.QUEUES}

    def _start_api(self) -> None:
        from chalice.config import Config
        from chalice.local import LocalDevServer

        from functions.tariff_api.app import app

        config = Config.create(chalice_app=app, lambda_timeout=29)
        server = LocalDevServer(app, config, self.host, self.api_port, handler_cls=_api_request_handler())
        self._api_server = server
        threading.Thread(target=server.server.serve_forever, name="chalice-local", daemon=True).start()

    def stop(self) -> None:
        if self.router:
            self.router.stop()
        if self._api_server is not None:
            self._api_server.shutdown()  # type: ignore[attr-defined]
            self._api_server.server.server_close()  # type: ignore[attr-defined]
        if self.gateway:
            self.gateway.stop()
        self.emulator.stop()

    def __enter__(self) -> "LocalPlatform":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
