"""`RemoteServers` over SFTP: the implementation of the port in `rosterport.remote`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rosterport.remote import ConnectionReport, Server
from rosterport.sftp import client, export


class SftpServers:
    """Remote file servers reached over SFTP (asyncssh), host keys pinned."""

    async def check_connection(self, server: Server) -> ConnectionReport:
        return await client.check_connection(server)

    async def upload(self, server: Server, files: Sequence[Path]) -> ConnectionReport:
        return await export.upload(server, files)
