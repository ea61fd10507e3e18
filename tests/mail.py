"""A real SMTP server on loopback (aiosmtpd) that keeps the messages it receives, for tests
of what rosterport e-mails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Inbox:
    host: str
    port: int
    delay: float = 0.0  # seconds the server takes to accept each message (a slow relay)
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def wait(self, count: int = 1, seconds: float = 20) -> list[EmailMessage]:
        """The messages once `count` have arrived (they are sent after the page answers)."""
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} messages, wanted {count}"
        return self.messages


@contextmanager
def smtp_server(delay: float = 0.0) -> Iterator[Inbox]:
    inbox = Inbox("127.0.0.1", free_port(), delay)
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())
