"""What an account's folder counts against its quota: whole 4 KB blocks, at least one per
file or folder, as the disk counts; `FolderUsage` keeps each folder's count for all
sessions."""

from __future__ import annotations

import os
import stat

BLOCK = 4096  # the quota counts whole blocks, at least one per file or folder


def blocks(size: int) -> int:
    """What a file of `size` bytes counts against the quota."""
    return max(1, -(-size // BLOCK)) * BLOCK


def folder_usage(folder: bytes) -> int:
    """What everything in `folder` counts against the quota (links count one block)."""
    total = 0
    for top, folders, files in os.walk(folder):
        for name in folders + files:
            try:
                info = os.lstat(os.path.join(top, name))
            except FileNotFoundError:  # removed meanwhile
                continue
            total += blocks(info.st_size if stat.S_ISREG(info.st_mode) else 0)
    return total


class FolderUsage:
    """What each account's folder holds against its quota, shared by all sessions: rescanned
    when an upload starts and kept up to date by the writes in between. Event loop only."""

    def __init__(self, quota: int) -> None:
        self.quota = quota
        self._used: dict[str, int] = {}

    def rescan(self, login: str, folder: bytes) -> None:
        """Count what `login`'s folder holds now."""
        self._used[login] = folder_usage(folder)

    def take(self, login: str, more: int) -> bool:
        """Count `more` bytes (negative: fewer) unless that would pass the quota."""
        used = self._used.get(login, 0)
        if more > 0 and used + more > self.quota:
            return False
        self._used[login] = max(0, used + more)
        return True
