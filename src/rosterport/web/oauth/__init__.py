"""OAuth 2.0 for OneRoster API applications: the client-credentials token endpoint."""
