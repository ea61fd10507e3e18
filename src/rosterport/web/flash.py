"""One-time notices of the admin pages ("flash"): what a form did, shown once on the page it
redirects to.

The redirect carries no text. The notice travels in a signed, HttpOnly cookie that names the
page it is for and when it was made; that page shows it once and deletes the cookie. Text
in a URL is never shown as a notice, so a link like `/login?error=Call 555-0100` cannot
dress up as a message of rosterport. Secrets (a new API token, a generated password) never
go into a notice: the page that creates them shows them in the answer to its own POST.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request, Response

COOKIE = "rosterport_flash"
LIFETIME = timedelta(minutes=5)  # a notice not shown by then is dropped
SKEW = timedelta(minutes=1)  # another server process's clock may be a little behind
MAX_TEXT = 1000  # characters of a notice kept (a cookie holds about 4 KB)
_CONTEXT = b"rosterport flash notices"


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice (what was done) or an error (what went wrong), for one page; `drop`: the
    browser's cookie is to be deleted."""

    notice: str | None = None
    error: str | None = None
    drop: bool = False


def signing_key(secret: bytes) -> bytes:
    """The key that signs notice cookies, derived from the data key (not the data key)."""
    return hmac.new(secret, _CONTEXT, hashlib.sha256).digest()


def _sign(key: bytes, payload: bytes) -> str:
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def set_notice(
    response: Response,
    request: Request,
    path: str,
    *,
    notice: str | None = None,
    error: str | None = None,
) -> None:
    """Have the page at `path` show `notice` or `error` once (on the browser's next visit)."""
    if not notice and not error:
        return
    now: datetime = request.app.state.hub.clock()
    body: dict[str, Any] = {
        "path": path.split("?", 1)[0],
        "at": now.isoformat(),
        "notice": notice[:MAX_TEXT] if notice else None,
        "error": error[:MAX_TEXT] if error else None,
    }
    payload = json.dumps(body, separators=(",", ":")).encode()
    response.set_cookie(
        COOKIE,
        _sign(request.app.state.flash_key, payload),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
        max_age=int(LIFETIME.total_seconds()),
        path="/",
    )


def take_notice(request: Request) -> Notice:
    """The notice for this page, if the browser holds one. A cookie that is not ours or is
    too old shows nothing; one for another page is left to that page."""
    value = request.cookies.get(COOKIE)
    if not value:
        return Notice()
    found = _verified(request, value)
    if found is None:  # forged, damaged or expired: drop it
        return Notice(drop=True)
    if found.get("path") != request.url.path:
        return Notice()
    notice, error = found.get("notice"), found.get("error")
    return Notice(
        notice if isinstance(notice, str) else None,
        error if isinstance(error, str) else None,
        drop=True,
    )


def drop_notice(response: Response) -> None:
    """Delete the notice cookie: it was shown (once), or it was not usable."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def _verified(request: Request, value: str) -> dict[str, Any] | None:
    try:
        encoded, mac = value.split(".", 1)
        payload = _unb64(encoded)
        expected = hmac.new(request.app.state.flash_key, payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        body = json.loads(payload)
        made = datetime.fromisoformat(body["at"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(body, dict):
        return None
    now: datetime = request.app.state.hub.clock()
    if not -SKEW <= now - made <= LIFETIME:
        return None
    return body
