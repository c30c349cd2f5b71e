"""Server fixtures: one PostgreSQL database holding the whole real corpus, two newsrooms, users, tokens.

The newsrooms see different collections of REAL cables: "El Pais" gets the Mexico cables (a saved
query), "Der Spiegel" gets the Berlin ones; nobody gets the rest. Passwords are made up per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pg_kit import fresh_database
from server_kit import BERLIN_Q, MEXICO_Q, PASSWORD, USERS, Server

from cabledesk.desk import Desk
from cabledesk.server import access
from cabledesk.server.accounts import Accounts
from cabledesk.web.server import create_app


@pytest.fixture(scope="session")
def server_db(corpus_tgz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The corpus ingested into a fresh PostgreSQL database, users and collections created."""
    import os

    index = tmp_path_factory.mktemp("pgindex") / "index"
    old = os.environ.get("CABLEDESK_INDEX")
    os.environ["CABLEDESK_INDEX"] = str(index)
    with fresh_database("cabledesk_srv") as url:
        with Desk(url) as desk:
            desk.ingest([corpus_tgz])
            assert desk.store.count() == 1295
        with Accounts(url) as accounts:
            for name, (role, org) in USERS.items():
                accounts.create_user(name, PASSWORD, role, org)
            access.create_collection(accounts, "mexico", "query", MEXICO_Q)
            access.create_collection(accounts, "berlin", "query", BERLIN_Q)
            access.create_collection(accounts, "mirror", "source", str(corpus_tgz))
            access.grant(accounts, "El Pais", "mexico")
            access.grant(accounts, "Der Spiegel", "berlin")
            tokens = {name: accounts.create_token(name, "tests")[1] for name in USERS}
        yield Server(url, tokens)
    if old is None:
        os.environ.pop("CABLEDESK_INDEX", None)
    else:
        os.environ["CABLEDESK_INDEX"] = old


@pytest.fixture(scope="session")
def app_client(server_db: Server) -> Iterator[TestClient]:
    """The newsroom server app in-process (no cookies: each test signs in on its own client)."""
    with TestClient(create_app(server_db.url), follow_redirects=False) as c:
        yield c


@pytest.fixture
def accounts(server_db: Server) -> Iterator[Accounts]:
    with Accounts(server_db.url) as a:
        yield a


@pytest.fixture
def desk(server_db: Server) -> Iterator[Desk]:
    with Desk(server_db.url, readonly=True) as d:
        yield d
