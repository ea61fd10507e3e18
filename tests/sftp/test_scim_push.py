"""A version dropped on the hosted SFTP server reaches a SCIM application too (the same
hook as web and API uploads: the push follows the version into production)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from rosterport.services import hosted_accounts, scim
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization
from tests.conftest import district
from tests.scim_server import scim_server
from tests.sftp.conftest import RuntimeFactory, needs_openssh, sftp, wait_for
from tests.sftp.test_server import PASSWORD, workdir

pytestmark = needs_openssh
TOKEN = "sftp-Path-Bearer-3c9d"


def test_an_sftp_drop_is_pushed_to_the_scim_application(
    hub: Hub, org: Organization, serve: RuntimeFactory, tmp_path: Path
) -> None:
    hosted_accounts.add_hosted_account(hub, org, login="springfield-sis", password=PASSWORD)
    with scim_server(TOKEN) as server:
        scim.add_app(hub, org, name="LMS", base_url=server.url, token=TOKEN)
        runtime = serve(sftp_quiet_seconds=600)  # a ZIP does not wait for the quiet period
        upload = workdir(tmp_path, {})
        with zipfile.ZipFile(upload / "district.zip", "w") as archive:
            for name, data in district().items():
                archive.writestr(name, data)
        done = sftp(
            runtime.port, "springfield-sis", ["put district.zip"], workdir=upload, password=PASSWORD
        )
        assert done.returncode == 0, done.stderr
        wait_for(lambda: len(server.users()) == 8, timeout=30, what="the SCIM push")
        assert {u["externalId"] for u in server.users().values()} >= {"738733110", "teacher-47"}
