"""What every table of the schema shares: the one `MetaData` they all belong to, the column types
and the JSON default.

Conventions:
- Every timestamp is a `UTCDateTime`: stored in UTC, read back timezone-aware in UTC on both
  databases (SQLite keeps no offset; PostgreSQL answers in the session's time zone). None
  has a Python-side default: every insert and update passes the time of the injected clock
  (`rosterport.clock`), so tests that move the clock move every stored time.
- JSON columns are JSONB on PostgreSQL. Those that default to `{}` do so on the server too, so
  bulk and raw-SQL inserts may leave them out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


class UTCDateTime(sa.TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that always hands back aware UTC datetimes.

    Naive values are taken to be UTC already; aware ones are converted to UTC before they are
    stored (SQLite would otherwise keep their wall-clock time and drop the offset).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite stores text: drop the (now always UTC) offset so values compare as text
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: sa.Dialect,  # noqa: ARG002 - part of TypeDecorator's signature; same on both
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrement wants INTEGER
EMPTY_OBJECT = sa.text("'{}'")  # server default of JSON columns holding an object


def json_object(name: str) -> sa.Column[Any]:
    """A not-null JSON column that defaults to `{}`."""
    return sa.Column(name, JSON, nullable=False, default=dict, server_default=EMPTY_OBJECT)


metadata = sa.MetaData()
