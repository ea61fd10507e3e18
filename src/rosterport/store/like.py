"""LIKE patterns that take a user's text literally: its `%`, `_` and backslashes escaped, for a
`.like(pattern, escape=ESCAPE)` (the roster store's `~` filter, the directory's search)."""

from __future__ import annotations

ESCAPE = "\\"


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards and the escape character escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
