"""A webhook receiver on loopback for the tests: a real HTTP server in a thread that verifies
every delivery's signature with the `standardwebhooks` library and answers as told, one
behaviour per request: an HTTP status, `("429", seconds)` with Retry-After, "slow" (answers
after the sender's timeout) or "reset" (closes the connection with a TCP reset)."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import standardwebhooks.webhooks
from standardwebhooks import Webhook, WebhookVerificationError

from tests.conftest import Clock

Behaviour = str | tuple[str, int]


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    verified_with: list[str]  # which of the receiver's secrets verified the signature


@dataclass
class Receiver:
    url: str
    secrets: list[str]
    plan: list[Behaviour] = field(default_factory=list)  # one per request; then 200
    received: list[Received] = field(default_factory=list)
    slow_seconds: float = 1.5

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.received]


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # a reset is expected
        del request, client_address


@contextmanager
def receiver(clock: Clock, secrets: list[str] | None = None) -> Iterator[Receiver]:
    """A running receiver; `secrets` may be filled in after the endpoint is registered. The
    library's timestamp tolerance is checked against the tests' clock (the deliveries'
    `webhook-timestamp` comes from it)."""
    state = Receiver("", secrets if secrets is not None else [])

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified = []
            for secret in state.secrets:
                try:
                    Webhook(secret).verify(body, headers)
                except WebhookVerificationError:
                    continue
                verified.append(secret)
            state.received.append(Received(headers, body, verified))
            behaviour = state.plan.pop(0) if state.plan else "200"
            if behaviour == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                return
            if behaviour == "slow":
                time.sleep(state.slow_seconds)
                behaviour = "200"
            code, wait = behaviour if isinstance(behaviour, tuple) else (behaviour, None)
            self.send_response(int(code))
            if wait is not None:
                self.send_header("Retry-After", str(wait))
            self.send_header("content-length", "0")
            self.end_headers()

    class ClockedDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # the library's "now": the tests' clock
            return clock().astimezone(tz)

    original = standardwebhooks.webhooks.datetime
    standardwebhooks.webhooks.datetime = ClockedDatetime  # type: ignore[misc]  # test clock
    server = _Quiet(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        standardwebhooks.webhooks.datetime = original  # type: ignore[misc]  # restored
