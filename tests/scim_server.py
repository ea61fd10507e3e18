"""A real SCIM 2.0 server on loopback for the SCIM provisioning tests and the bench:
scim2-server's WSGI application (in-memory storage, every feature of RFC 7644 offered,
Bulk included) behind a bearer-token check, served by wsgiref in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from scim2_models import ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.testserver.cli import ThreadingWSGIServer
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the test output."""


@dataclass
class ScimServer:
    url: str
    storage: InMemoryStorage
    server: WSGIServer
    application: BearerTokenApplication
    bulk: bool
    paths: list[str]  # of every request, in order

    def users(self) -> dict[str, dict[str, Any]]:
        """externalId → the user as the server holds it (JSON, camelCase)."""
        out = {}
        for resource in self.storage.resources:
            data = resource.model_dump()
            if "userName" in data:
                out[str(data.get("externalId"))] = data
        return out


@contextmanager
def scim_server(token: str, *, bulk: bool = True) -> Iterator[ScimServer]:
    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    if not bulk and config.bulk is not None:
        config.bulk.supported = False
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    storage = InMemoryStorage()
    application = BearerTokenApplication(
        storage, provider, service=ScimService(provider, secret="s" * 32), bearer_tokens=[token]
    )
    paths: list[str] = []

    def recorded(environ: Any, start_response: Any) -> Any:
        paths.append(str(environ.get("PATH_INFO", "")))
        return application(environ, start_response)

    server = make_server(
        "127.0.0.1", 0, recorded, server_class=ThreadingWSGIServer, handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ScimServer(
            f"http://127.0.0.1:{server.server_port}/v2", storage, server, application, bulk, paths
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
