"""The roster store: the canonical OneRoster roster the REST API reads, and every query on it.

One row of `roster_objects` per object per dataset (the organization's roster source):
collection, sourcedId, status (`active`, or `tobedeleted` for a tombstone), the commit time
of the version in which the object last changed, its JSON text and the index columns the API
filters on. `roster_links` holds the object ↔ school memberships (for scoping and the
`/schools/{id}/…` endpoints) and class ↔ term links.

Rows belong to a generation: readers see the generation `read_models` names for the dataset,
so a large load is written beside the visible rows and swapped in with the read model in one
small transaction.

The modules: `rows` (what a row holds, and where rows go), `loading` (a version's objects
written, removed and turned into tombstones), `tombstones` (carried into a new generation,
purged past their retention), `generations` (other generations dropped, one cleared),
`queries` (the API's reads). Bulk paths as `store/bulk.py`: PostgreSQL `COPY … FROM STDIN`
with lines built by polars, SQLite the driver's `executemany`. Every function runs in the
caller's transaction.
"""
