"""Persistence: SQLAlchemy models, engine, Alembic migrations; the only package with SQL."""
