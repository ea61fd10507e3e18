"""The web adapter: the admin UI (server-rendered pages) and the REST API `/api/v1`."""
