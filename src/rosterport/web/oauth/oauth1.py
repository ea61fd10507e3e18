"""OAuth 1.0a signed requests (RFC 5849, one-legged: consumer key = client id, consumer
secret = client secret, no token), HMAC-SHA256 or HMAC-SHA1, verified by oauthlib.

Time comes from the injected clock: oauthlib's own timestamp check is widened out of the way
and `fresh_nonce` applies the ±10 minute window and refuses a nonce used twice."""

from __future__ import annotations

from typing import Any

from oauthlib.oauth1 import (  # type: ignore[import-untyped]  # oauthlib ships no type hints
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    RequestValidator,
    SignatureOnlyEndpoint,
)

from rosterport.services import api_apps
from rosterport.services.api_apps import AppCaller
from rosterport.services.hub import Hub
from rosterport.store.apps import AppRow

_NO_CLIENT = "dummy-client-of-oauthlib"


class _Validator(RequestValidator):  # type: ignore[misc]  # untyped base class (oauthlib)
    def __init__(self, hub: Hub) -> None:
        super().__init__()
        self.hub = hub
        self.app: AppRow | None = None

    allowed_signature_methods = (SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256)
    enforce_ssl = False  # TLS is the proxy's business (ROSTERPORT_PUBLIC_URL)
    client_key_length = (8, 64)
    nonce_length = (8, 128)
    timestamp_lifetime = 10 * 365 * 24 * 3600  # the window is checked on the injected clock
    dummy_client = _NO_CLIENT

    def check_nonce(self, nonce: str) -> bool:
        lower, upper = self.nonce_length
        return lower <= len(nonce) <= upper and nonce.isprintable() and " " not in nonce

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        self.app = api_apps.live_app(self.hub, client_key)
        return self.app is not None

    def get_client_secret(self, client_key: str, request: Any) -> str:
        # an unknown client gets a dummy secret, so that the check takes the same time
        return api_apps.signing_secret(self.hub, client_key) or "x" * 43

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        return api_apps.fresh_nonce(self.hub, client_key, nonce, int(timestamp))


def signed_caller(hub: Hub, uri: str, method: str, headers: dict[str, str]) -> AppCaller | None:
    """The application of a correctly signed request (None: unsigned, bad or replayed)."""
    validator = _Validator(hub)
    valid, _ = SignatureOnlyEndpoint(validator).validate_request(uri, method, None, headers)
    if not valid or validator.app is None:
        return None
    return api_apps.signed_caller(hub, validator.app)
