"""Database role separation: migrations run as the owner, the web app as a role that cannot rewrite history.

The owner (the role that ran the migrations) owns every table. :func:`grant_app_role` creates (when
missing) a LOGIN role for the app processes and grants it what serving needs: ``SELECT, INSERT,
UPDATE, DELETE`` on the record, account and collaboration tables, but only ``SELECT, INSERT`` on
``audit`` and only ``SELECT`` on ``alembic_version``. PostgreSQL then refuses an ``UPDATE``,
``DELETE`` or ``TRUNCATE`` of audit rows by the app with "permission denied", before the
append-only trigger (migration 0003, the second wall) is even reached; dropping the trigger or the
table needs the owner. Run it again after every upgrade (it is idempotent): tables added by new
migrations are also covered by the owner's default privileges it sets.
"""

from __future__ import annotations

import re

from psycopg import sql

from cabledesk.server.accounts import AccountError, Accounts

#: Tables the app may only read and append to, or only read.
APPEND_ONLY = ("audit",)
READ_ONLY = ("alembic_version",)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(accounts: Accounts, role: str, password: str | None = None) -> dict[str, object]:
    """Create (if new) and grant the app's role on this database; ``accounts`` must connect as the owner.

    Refuses the owner itself, a superuser and a member of the owner's role: any of those could
    still rewrite the trail. Returns what was done, for the CLI and the audit row.
    """
    if not _NAME.match(role):
        raise AccountError(f"role name {role!r}: use lower-case letters, digits and _ (at most 63)")
    me = str(accounts.run("SELECT current_user")[0][0])
    if role == me:
        raise AccountError(f"{role} runs the migrations (it owns the tables); the app needs another role")
    found = accounts.run("SELECT rolsuper, pg_has_role(%s, current_user, 'MEMBER') FROM pg_roles WHERE rolname = %s",
                         (role, role))  # fmt: skip
    created = not found
    ident = sql.Identifier(role)
    if created:
        stmt = sql.SQL("CREATE ROLE {} LOGIN").format(ident)
        if password:
            stmt = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(password))
        accounts.run(stmt.as_string(None))
    elif found[0][0] or found[0][1]:
        raise AccountError(f"{role} is a superuser or a member of {me}: it could rewrite the audit trail")
    elif password:
        accounts.run(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)).as_string(None)
        )
    schema = sql.Identifier(str(accounts.run("SELECT current_schema()")[0][0]))
    database = sql.Identifier(str(accounts.run("SELECT current_database()")[0][0]))
    statements = [
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, ident),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, ident),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
            schema, ident
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, ident),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(schema, ident),  # fmt: skip
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
            schema, ident
        ),
    ]
    for table in APPEND_ONLY:
        statements.append(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM {}").format(
            sql.Identifier(table), ident))  # fmt: skip
    for table in READ_ONLY:
        statements.append(sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
            sql.Identifier(table), ident))  # fmt: skip
    for stmt in statements:
        accounts.run(stmt.as_string(None))
    return {"role": role, "created": created, "owner": me, "append_only": list(APPEND_ONLY)}


def app_privileges(accounts: Accounts, role: str, table: str) -> set[str]:
    """The privileges ``role`` holds on ``table`` (for checks and tests)."""
    kinds = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
    rows = accounts.run(
        "SELECT k FROM unnest(%s::text[]) k WHERE has_table_privilege(%s, %s, k)", (list(kinds), role, table)
    )
    return {str(r[0]) for r in rows}
