"""Notifications for an organization's administrators: in the app (the `notifications`
table) and, when an SMTP server is configured, by e-mail.

E-mail goes through a `Mailer` passed in by the caller (`SmtpMailer` in production), so the
services never read settings and tests need no mail server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from rosterport.config import Settings
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from rosterport.store import accounts as accounts_store
from rosterport.store import notifications as store

log = logging.getLogger(__name__)

DELIVERY, STALE_FEED = "sftp-delivery", "stale-feed"


class Mailer(Protocol):
    def send(self, to: Sequence[str], subject: str, body: str) -> None: ...


class SmtpMailer:
    """Sends e-mail through `Settings.smtp_host` (STARTTLS when the server offers it)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, to: Sequence[str], subject: str, body: str) -> None:
        s = self.settings
        if not s.smtp_host or not to:
            return
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            smtp.send_message(message)


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    org_id: int
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None


def notify(
    hub: Hub,
    org_id: int,
    kind: str,
    message: str,
    *,
    mailer: Mailer | None = None,
    to: Sequence[str] = (),
) -> int:
    """Record an in-app notification and, with a mailer, e-mail it to `to` (default: the
    organization's administrators). A mail failure is logged, never raised: the in-app
    notification is already there."""
    with hub.engine.begin() as conn:
        new_id = store.insert(conn, org_id, kind, message, now=hub.clock())
    if mailer is not None:
        recipients = list(to) or admin_emails(hub, org_id)
        try:
            mailer.send(recipients, f"rosterport: {message.split('.', maxsplit=1)[0]}", message)
        except (OSError, smtplib.SMTPException):
            log.exception("could not e-mail notification %s to %s", new_id, recipients)
    return new_id


def admin_emails(hub: Hub, org_id: int) -> list[str]:
    with hub.engine.connect() as conn:
        return accounts_store.emails_of_org(conn, org_id)


def list_notifications(
    hub: Hub, org: Organization, *, unread: bool = False, limit: int = 100
) -> list[Notification]:
    """The organization's notifications, newest first."""
    with hub.engine.connect() as conn:
        return [
            Notification(r.id, r.org_id, r.kind, r.message, r.created_at, r.read_at)
            for r in store.of_org(conn, org.id, unread=unread, limit=limit)
        ]


def mark_read(hub: Hub, org: Organization, ids: Sequence[int]) -> None:
    with hub.engine.begin() as conn:
        store.mark_read(conn, org.id, ids, now=hub.clock())
