"""Background jobs: a transactional-outbox queue in the metadata database, and workers."""
