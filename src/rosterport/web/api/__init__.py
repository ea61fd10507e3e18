"""The REST API, `/api/v1`: every action of the admin UI, as JSON."""
