"""Users, organisations, roles, API tokens, sessions and the sign-in lock-out, in PostgreSQL.

One :class:`Accounts` per process holds its own few connections (not the store's, which may be
read-only) and is safe to share between threads: each statement borrows one, so the request threads
of a worker do not queue behind one another's commits (PostgreSQL groups their WAL flushes). All state lives in the database, so every app worker sees the
same sessions, revocations and lock-outs at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from cabledesk.errors import CabledeskError, NotFoundError, StoreError
from cabledesk.server import auth
from cabledesk.store.pg_migrate import is_postgres_url, libpq_url, migrate_pg, redact

#: Failed sign-ins in a row that lock an account, and for how long.
MAX_FAILURES = 5
LOCK_MINUTES = 15
#: Failed sign-ins from one client address, whatever the accounts, within ADDRESS_WINDOW_MINUTES
#: that lock the address for LOCK_MINUTES (password spraying: one guess on each of many accounts).
MAX_ADDRESS_FAILURES = 30
ADDRESS_WINDOW_MINUTES = 15
#: Lifetime of a browser session.
SESSION_HOURS = 12
#: Connections per Accounts (per app worker), opened on demand.
POOL_SIZE = 4


class AuthError(CabledeskError):
    """Sign-in refused: unknown user or wrong password (never says which), or account locked."""


class AccountError(CabledeskError):
    """An admin action that cannot be done (unknown role, duplicate name, weak password...)."""


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in person: what every access decision and audit row needs."""

    id: int
    name: str
    role: str
    org_id: int
    org: str


_USER_SQL = "SELECT u.id, u.name, u.role, u.org_id, o.name FROM users u JOIN orgs o ON o.id = u.org_id "


class Accounts:
    """The account tables of one PostgreSQL cabledesk database."""

    def __init__(self, url: str, *, max_address_failures: int = MAX_ADDRESS_FAILURES) -> None:
        if not is_postgres_url(url):
            raise AccountError("accounts need a PostgreSQL database (a postgresql:// URL)")
        self.url = url
        self.shown = redact(url)
        #: Failed sign-ins from one address within the window that lock it (a deployment setting).
        self.max_address_failures = max_address_failures
        migrate_pg(url)
        self._lock = threading.Lock()
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(POOL_SIZE)
        self._closed = False
        self._release(self._connect())  # fail now, not at the first request

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(libpq_url(self.url), autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the database {self.shown}: {exc}") from exc

    def _release(self, conn: psycopg.Connection[Any]) -> None:
        if conn.closed or conn.broken or self._closed:
            conn.close()
        else:
            self._idle.put(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[Any]:
        """Rows of one parameterised statement (every value goes through a placeholder)."""
        with self._slots:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            try:
                cur = conn.execute(sql, params)
                return cur.fetchall() if cur.description else []
            except psycopg.errors.UniqueViolation as exc:
                raise AccountError(f"already exists: {exc.diag.message_detail or exc}") from exc
            except psycopg.Error as exc:
                raise StoreError(f"database {self.shown}: {exc}") from exc
            finally:
                self._release(conn)

    # -- server secret ---------------------------------------------------------------------

    def secret(self) -> str:
        """The cookie-signing secret, created once and shared by every worker through the database."""
        self.run(
            "INSERT INTO meta (key, value) VALUES ('server_secret', %s) ON CONFLICT (key) DO NOTHING",
            (auth.new_secret(),),
        )
        return str(self.run("SELECT value FROM meta WHERE key = 'server_secret'")[0][0])

    # -- organisations and users -----------------------------------------------------------

    def org_id(self, name: str, create: bool = False) -> int:
        """Id of organisation ``name`` (created when ``create``); NotFoundError otherwise."""
        if create:
            self.run("INSERT INTO orgs (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", (name,))
        rows = self.run("SELECT id FROM orgs WHERE name = %s", (name,))
        if not rows:
            raise NotFoundError(f"no organisation {name!r}")
        return int(rows[0][0])

    def create_user(self, name: str, password: str, role: str, org: str) -> User:
        """A new user of ``org`` (the organisation is created when new)."""
        _check_role(role)
        if len(password) < auth.MIN_PASSWORD:
            raise AccountError(f"the password must have at least {auth.MIN_PASSWORD} characters")
        if not name or name != name.strip():
            raise AccountError("a user name must be non-empty, without leading or trailing spaces")
        org_id = self.org_id(org, create=True)
        self.run(
            "INSERT INTO users (name, password_hash, role, org_id) VALUES (%s, %s, %s, %s)",
            (name, auth.hash_password(password), role, org_id),
        )
        return self.user(name)

    def user(self, name: str) -> User:
        """The user called ``name``; NotFoundError otherwise."""
        rows = self.run(_USER_SQL + "WHERE u.name = %s", (name,))
        if not rows:
            raise NotFoundError(f"no user {name!r}")
        return User(*rows[0])

    def set_role(self, name: str, role: str) -> User:
        """Change a user's role (takes effect on their next request)."""
        _check_role(role)
        if not self.run("UPDATE users SET role = %s WHERE name = %s RETURNING id", (role, name)):
            raise NotFoundError(f"no user {name!r}")
        return self.user(name)

    def set_password(self, name: str, password: str) -> None:
        """New password; ends every session of the user and clears a lock-out."""
        if len(password) < auth.MIN_PASSWORD:
            raise AccountError(f"the password must have at least {auth.MIN_PASSWORD} characters")
        rows = self.run(
            "UPDATE users SET password_hash = %s, failed_logins = 0, locked_until = NULL "
            "WHERE name = %s RETURNING id",
            (auth.hash_password(password), name),
        )
        if not rows:
            raise NotFoundError(f"no user {name!r}")
        self.run("DELETE FROM sessions WHERE user_id = %s", (rows[0][0],))

    def authenticate(self, name: str, password: str, remote: str | None = None) -> User:
        """The user when the password is right and neither account nor address is locked; AuthError otherwise.

        ``MAX_FAILURES`` wrong passwords in a row lock the account for ``LOCK_MINUTES`` (even the
        right password is refused meanwhile); a success resets the count. ``max_address_failures``
        failed sign-ins from the client address ``remote`` within ``ADDRESS_WINDOW_MINUTES``, on any
        accounts (known or not), lock that address for ``LOCK_MINUTES``: it is refused before any
        password is hashed, so a spraying client cannot spend the server's CPU either.
        """
        rows = self.run(
            "SELECT u.id, u.password_hash, u.locked_until > now(), u.locked_until, u.disabled, "
            "  (SELECT t.locked_until FROM login_throttle t WHERE t.remote = %s AND t.locked_until > now()) "
            "FROM (SELECT 1) one LEFT JOIN users u ON u.name = %s",
            (remote, name),
        )
        user_id, stored, locked, until, disabled, address_until = rows[0]
        if address_until is not None:
            raise AuthError(
                f"too many failed sign-ins from your address; try again after {_hhmm(address_until)}"
            )
        ok = auth.verify_password(stored, password)  # always spend the hashing time
        if locked:
            self._address_failed(remote)
            raise AuthError(f"account locked after repeated failed sign-ins; try again after {_hhmm(until)}")
        if not ok or disabled:
            if user_id is not None:
                self.run(
                    "UPDATE users SET failed_logins = failed_logins + 1, "
                    "locked_until = CASE WHEN failed_logins + 1 >= %s "
                    "  THEN now() + make_interval(mins => %s) ELSE locked_until END "
                    "WHERE id = %s",
                    (MAX_FAILURES, LOCK_MINUTES, user_id),
                )
                self.run("UPDATE users SET failed_logins = 0 WHERE id = %s AND locked_until > now()", (user_id,))
            self._address_failed(remote)
            raise AuthError("unknown user or wrong password")
        self.run("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = %s", (user_id,))
        return self.user(name)

    def _address_failed(self, remote: str | None) -> None:
        """Count one failed sign-in from ``remote``; the last one allowed in the window locks it."""
        if not remote:
            return
        stale = "t.window_start < now() - make_interval(mins => %(w)s)"
        count = f"CASE WHEN {stale} THEN 1 ELSE t.failures + 1 END"
        self.run(  # ONE statement: concurrent failures in several app processes each count
            "INSERT INTO login_throttle AS t (remote, failures, window_start) VALUES (%(r)s, 1, now()) "
            f"ON CONFLICT (remote) DO UPDATE SET failures = {count}, "
            f"  window_start = CASE WHEN {stale} THEN now() ELSE t.window_start END, "
            f"  locked_until = CASE WHEN {count} >= %(max)s THEN now() + make_interval(mins => %(lock)s) "
            "                      ELSE t.locked_until END",
            {"r": remote, "w": ADDRESS_WINDOW_MINUTES, "max": self.max_address_failures, "lock": LOCK_MINUTES},
        )

    def address_lock(self, remote: str) -> datetime | None:
        """Until when sign-ins from ``remote`` are refused (None: not locked)."""
        rows = self.run(
            "SELECT locked_until FROM login_throttle WHERE remote = %s AND locked_until > now()", (remote,)
        )
        return rows[0][0] if rows else None

    def unlock_address(self, remote: str) -> None:
        """Lift an address lock-out at once (``cabledesk admin unlock-address``)."""
        self.run("DELETE FROM login_throttle WHERE remote = %s", (remote,))

    # -- API tokens ------------------------------------------------------------------------

    def create_token(self, name: str, label: str = "") -> tuple[int, str]:
        """(token id, token): the token is shown once; only its digest is stored."""
        user = self.user(name)
        token = auth.new_token()
        rows = self.run(
            "INSERT INTO api_tokens (user_id, token_hash, label) VALUES (%s, %s, %s) RETURNING id",
            (user.id, auth.digest(token), label),
        )
        return int(rows[0][0]), token

    def revoke_token(self, token_id: int) -> None:
        """Revoke a token for good (the next request with it gets 401)."""
        if not self.run(
            "UPDATE api_tokens SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL RETURNING id",
            (token_id,),
        ):
            raise NotFoundError(f"no active API token {token_id}")

    def tokens(self, name: str) -> list[dict[str, Any]]:
        """A user's tokens (never their value): id, label, created, revoked, last used."""
        rows = self.run(
            "SELECT t.id, t.label, t.created_at, t.revoked_at, t.last_used_at FROM api_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE u.name = %s ORDER BY t.id",
            (name,),
        )
        keys = ("id", "label", "created", "revoked", "last_used")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def user_for_token(self, token: str) -> User | None:
        """The owner of a live token (None for unknown or revoked tokens, or a disabled user)."""
        rows = self.run(
            "UPDATE api_tokens t SET last_used_at = now() FROM users u "
            "WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.id = t.user_id AND NOT u.disabled "
            "RETURNING u.name",
            (auth.digest(token),),
        )
        return self.user(rows[0][0]) if rows else None

    # -- sessions --------------------------------------------------------------------------

    def create_session(self, user: User) -> tuple[str, str]:
        """(session id, CSRF token) of a NEW session: a sign-in never reuses an earlier id."""
        sid, csrf = auth.new_secret(), auth.new_secret()
        self.run(
            "INSERT INTO sessions (id_hash, user_id, csrf, expires_at) "
            "VALUES (%s, %s, %s, now() + make_interval(hours => %s))",
            (auth.digest(sid), user.id, csrf, SESSION_HOURS),
        )
        self.run("DELETE FROM sessions WHERE expires_at < now()")
        return sid, csrf

    def session(self, sid: str) -> tuple[User, str] | None:
        """(user, CSRF token) of a live session; None when unknown, expired or ended."""
        rows = self.run(
            _USER_SQL.replace("SELECT", "SELECT s.csrf,", 1) + "JOIN sessions s ON s.user_id = u.id "
            "WHERE s.id_hash = %s AND s.expires_at > now() AND NOT u.disabled",
            (auth.digest(sid),),
        )
        return (User(*rows[0][1:]), str(rows[0][0])) if rows else None

    def end_session(self, sid: str) -> None:
        """Sign out: the session id stops working everywhere at once."""
        self.run("DELETE FROM sessions WHERE id_hash = %s", (auth.digest(sid),))


def _check_role(role: str) -> None:
    if role not in auth.ROLES:
        raise AccountError(f"unknown role {role!r}; use one of {', '.join(auth.ROLES)}")


def _hhmm(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%H:%M UTC") if at else "a while"
