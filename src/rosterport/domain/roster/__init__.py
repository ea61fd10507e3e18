"""The canonical roster (issue 14): one committed state of any roster model as the OneRoster
1.1 objects that applications receive (spec roster-delivery.md §1, docs/roster-api.md).

Pure and columnar: production states (polars frames of normalized strings) in, one frame per
collection out, each with `sourcedId`, `json` (the object without `status` and
`dateLastModified`, which the roster store adds per version), `schools` and the collection's
index columns (objects.INDEX). `MAPPING` declares which source column gives which field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from rosterport.domain.roster import identity, oneroster, passport
from rosterport.domain.roster.mapping import DISTRICT_SOURCE, NO_SOURCE, MappingRow
from rosterport.domain.roster.objects import COLLECTIONS, INDEX, District, columns, empty
from rosterport.errors import UnknownModelError

MAPPING: Final[tuple[MappingRow, ...]] = (*passport.ROWS, *identity.ROWS, *oneroster.ROWS)
ROSTER_MODELS: Final = (passport.MODEL, identity.MODEL, oneroster.MODEL)


def to_roster(
    model: str, states: Mapping[str, pl.DataFrame], district: District
) -> dict[str, pl.DataFrame]:
    """The canonical OneRoster 1.1 objects of one committed state (`states`: file name → that
    file's normalized production state, as a snapshot holds it), per collection.

    Every collection of COLLECTIONS is in the result, with its columns (`columns()`) even
    when it has no objects. A file missing from `states` has no records. The district org
    comes from `district` for the Passport models; a oneroster-1.1 roster has the orgs of its
    orgs.csv, as given."""
    if model == passport.MODEL:
        result = passport.roster(states, district)
    elif model == identity.MODEL:
        result = identity.roster(states, district)
    elif model == oneroster.MODEL:
        result = oneroster.roster(states)
    else:
        known = ", ".join(ROSTER_MODELS)
        raise UnknownModelError(f"{model!r} is not a roster data model; roster models: {known}")
    return {name: result.get(name, empty(name)) for name in COLLECTIONS}


__all__ = [
    "COLLECTIONS",
    "DISTRICT_SOURCE",
    "INDEX",
    "MAPPING",
    "NO_SOURCE",
    "ROSTER_MODELS",
    "District",
    "MappingRow",
    "columns",
    "to_roster",
]
