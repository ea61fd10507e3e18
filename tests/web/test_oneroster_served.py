"""The OneRoster API of a real `rosterport serve` subprocess, called as vendors' clients call
it: OAuth 1.0a signed requests (requests-oauthlib, HMAC-SHA256) and OAuth 2.0 client
credentials (authlib's requests session)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from requests_oauthlib import OAuth1

from rosterport.cli import main
from tests.conftest import serve_demo


@pytest.mark.slow
def test_vendor_clients_against_a_served_instance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    with serve_demo(data) as demo:
        capsys.readouterr()
        created = [
            "apps", "create", "--org", "demo-district", "--name", "vendor",
            "--scope", "roster.readonly", "--format", "json", "--data-dir", str(data),
        ]  # fmt: skip
        assert main(created) == 0
        app = json.loads(capsys.readouterr().out)
        base = demo["url"] + "/ims/oneroster/v1p1"

        signer = OAuth1(app["client_id"], app["client_secret"], signature_method="HMAC-SHA256")
        answer = requests.get(base + "/orgs", params={"limit": "5"}, auth=signer, timeout=10)
        assert answer.status_code == 200, answer.text
        assert "orgs" in answer.json()
        assert "X-Total-Count" in answer.headers
        with requests.Session() as session:  # the same signed request twice: a replay
            prepared = session.prepare_request(
                requests.Request("GET", base + "/users", auth=signer)
            )
            assert session.send(prepared, timeout=10).status_code == 200
            assert session.send(prepared, timeout=10).status_code == 401
        sha1 = OAuth1(app["client_id"], app["client_secret"], signature_method="HMAC-SHA1")
        assert requests.get(base + "/users", auth=sha1, timeout=10).status_code == 200
        wrong = OAuth1(app["client_id"], "not-the-secret", signature_method="HMAC-SHA256")
        assert requests.get(base + "/users", auth=wrong, timeout=10).status_code == 401

        with OAuth2Session(app["client_id"], app["client_secret"]) as oauth2:
            token = oauth2.fetch_token(
                demo["url"] + "/oauth/token", grant_type="client_credentials"
            )
            assert token["expires_in"] == 3600
            assert oauth2.get(base + "/demographics", timeout=10).status_code == 200
        assert requests.get(base + "/users", timeout=10).status_code == 401
