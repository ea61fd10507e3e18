"""What a row of the roster store holds: the two statuses, the columns of `roster_objects` and
`roster_links` (the index columns and the frame columns they come from), and `Place`, the
dataset generation rows are written to."""

from __future__ import annotations

from dataclasses import dataclass

BATCH = 50_000  # keys per IN (…) list, rows per delete
ACTIVE = "active"
TOBEDELETED = "tobedeleted"

# frame column of the mapping → column of roster_objects
INDEX_COLUMNS = {
    "type": "type",
    "role": "role",
    "school": "school",
    "course": "course",
    "class": "class_id",
    "user": "user_id",
    "email": "email",
    "username": "username",
    "givenName": "given_name",
    "familyName": "family_name",
    "identifier": "identifier",
}
OBJECT_COLUMNS = [
    "org_id",
    "dataset_id",
    "generation",
    "collection",
    "sourced_id",
    "status",
    "date_last_modified",
    "version_id",
    "data",
    *INDEX_COLUMNS.values(),
]
LINK_COLUMNS = ["dataset_id", "generation", "collection", "sourced_id", "kind", "target"]


@dataclass(frozen=True, slots=True)
class Place:
    """Where rows go: the dataset's generation."""

    org_id: int
    dataset_id: int
    generation: int
