"""Background jobs: the workers that run the queue (`store/jobs.py`: the queue's rows and
queries, a transactional outbox in the metadata database)."""
