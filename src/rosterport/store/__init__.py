"""The metadata store: SQLAlchemy Core tables, Alembic migrations, bulk paths."""
