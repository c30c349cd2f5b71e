"""Alembic migrations of the PostgreSQL schema (applied on open by :mod:`cabledesk.store.pg_migrate`)."""
