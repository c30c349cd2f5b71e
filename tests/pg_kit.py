"""PostgreSQL for tests: a fresh, uniquely named database per use, dropped afterwards.

The server is the machine's PostgreSQL (``.ci/run`` starts it); ``CABLEDESK_TEST_PG`` names another
maintenance URL. Without a reachable server the tests fail loudly instead of skipping silently.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

ADMIN_URL = os.environ.get("CABLEDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {ADMIN_URL} ({exc}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
            "or set CABLEDESK_TEST_PG"
        )


def url_of(name: str) -> str:
    """The URL of database ``name`` on the test server."""
    base, _sep, _db = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


@contextmanager
def fresh_database(prefix: str = "cabledesk_test") -> Iterator[str]:
    """A new empty database (its URL), dropped with every connection to it when the block ends."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url_of(name)
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
