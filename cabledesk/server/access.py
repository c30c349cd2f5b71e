"""Collections and the access filter: a user sees only cables of collections granted to their organisation.

A collection is a named set of cables, by ingest source (every cable any version of which came from
that input) or by saved query (the query language). The filter is applied by the library, not by
the routes: :class:`ScopedDesk` is a Desk whose index ANDs every query with a mandatory id-set
clause (so hits, totals, facet counts, timelines and ``cites:`` lists only ever count allowed
cables) and whose store answers "not found" for any other id, exactly as for an absent one. Raw
SQL on the store (references, the citation graph) runs with the record tables shadowed by views
of the allowed rows only (:meth:`PostgresStore.scoped_all`).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import tantivy

from cabledesk.desk import Desk
from cabledesk.errors import NotFoundError, StoreError
from cabledesk.model import Cable, LedgerEntry
from cabledesk.server import auth
from cabledesk.server.accounts import AccountError, Accounts, User
from cabledesk.store.index import CableIndex, cable_hash, matching_keys

Kind = Literal["source", "query"]


@dataclass(frozen=True, slots=True)
class Collection:
    """A named set of cables: ``kind`` source (spec = ingest source) or query (spec = a query)."""

    id: int
    name: str
    kind: str
    spec: str


def create_collection(accounts: Accounts, name: str, kind: Kind, spec: str) -> Collection:
    """A new collection (a saved query is checked for syntax first)."""
    if kind not in ("source", "query"):
        raise AccountError(f"unknown collection kind {kind!r}; use source or query")
    if kind == "query":
        from cabledesk.query import parse

        parse(spec)  # QueryError now rather than at every request
    accounts.run("INSERT INTO collections (name, kind, spec) VALUES (%s, %s, %s)", (name, kind, spec))
    return collection(accounts, name)


def collection(accounts: Accounts, name: str) -> Collection:
    rows = accounts.run("SELECT id, name, kind, spec FROM collections WHERE name = %s", (name,))
    if not rows:
        raise NotFoundError(f"no collection {name!r}")
    return Collection(*rows[0])


def grant(accounts: Accounts, org: str, name: str) -> None:
    """Share collection ``name`` with organisation ``org`` (created when new)."""
    cid = collection(accounts, name).id
    accounts.run(
        "INSERT INTO grants (org_id, collection_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (accounts.org_id(org, create=True), cid),
    )


def revoke(accounts: Accounts, org: str, name: str) -> None:
    """Stop sharing collection ``name`` with ``org`` (effective on the org's next request)."""
    accounts.run(
        "DELETE FROM grants WHERE org_id = %s AND collection_id = %s",
        (accounts.org_id(org), collection(accounts, name).id),
    )


def collections_for(accounts: Accounts, user: User) -> list[Collection]:
    """The collections granted to the user's organisation, by name."""
    rows = accounts.run(
        "SELECT c.id, c.name, c.kind, c.spec FROM collections c JOIN grants g ON g.collection_id = c.id "
        "WHERE g.org_id = %s ORDER BY c.name",
        (user.org_id,),
    )
    return [Collection(*r) for r in rows]


@dataclass(frozen=True, slots=True)
class Access:
    """What one request needs to scope its Desk, read in ONE round trip (see :func:`resolve`)."""

    user: User
    csrf: str | None
    collections: tuple[Collection, ...]
    ledger_id: int


#: The user, their organisation's collections and the newest ledger id, for a token or a session.
#: Nothing here is cached: a revoked token, ended session or revoked grant counts on the next request.
_RESOLVE_SQL = """
WITH who AS ({who}){audit}
SELECT who.csrf, u.id, u.name, u.role, u.org_id, o.name,
       coalesce((SELECT json_agg(json_build_array(c.id, c.name, c.kind, c.spec) ORDER BY c.name)
                 FROM grants g JOIN collections c ON c.id = g.collection_id WHERE g.org_id = u.org_id),
                '[]'::json),
       (SELECT coalesce(max(id), 0) FROM ledger)
FROM who JOIN users u ON u.id = who.user_id JOIN orgs o ON o.id = u.org_id
WHERE NOT u.disabled"""
#: The token's owner; ``last_used_at`` is rewritten at most once a minute, so most requests only
#: read (no commit, no WAL flush): it records that a token is in use, not every call.
_WHO_TOKEN = """SELECT t.user_id, NULL::text AS csrf FROM api_tokens t
    WHERE t.token_hash = %(h)s AND t.revoked_at IS NULL),
touch AS (UPDATE api_tokens SET last_used_at = now()
    WHERE token_hash = %(h)s AND revoked_at IS NULL
      AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')
      AND user_id IN (SELECT id FROM users WHERE NOT disabled)"""
_WHO_SESSION = "SELECT user_id, csrf FROM sessions WHERE id_hash = %(h)s AND expires_at > now()"


#: The request's audit row, written by the same statement (a data-modifying CTE: one round trip),
#: only for an enabled user whose role is one of ``roles``.
_AUDIT_CTE = """,
logged AS (INSERT INTO audit (username, action, target, detail, remote)
    SELECT u.name, %(a_action)s, %(a_target)s, %(a_detail)s::jsonb, %(a_remote)s
    FROM who JOIN users u ON u.id = who.user_id
    WHERE NOT u.disabled AND u.role = ANY(%(a_roles)s))"""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An audit row to append while identifying the request's user (see :func:`resolve`)."""

    action: str
    target: str | None
    detail: dict[str, Any]
    remote: str | None
    roles: tuple[str, ...]  # written only when the user holds one of these roles


def resolve(
    accounts: Accounts,
    *,
    token: str | None = None,
    session: str | None = None,
    audit: AuditEntry | None = None,
) -> Access | None:
    """The signed-in user of a bearer token or session id with their collections (None: refused).

    With ``audit``, the same statement appends that audit row for the user (when their role is in
    ``audit.roles``): a search costs one database round trip, not two.
    """
    who, secret = (_WHO_TOKEN, token) if token is not None else (_WHO_SESSION, session)
    if not secret:
        return None
    params: dict[str, Any] = {"h": auth.digest(secret)}
    if audit is not None:
        params.update(a_action=audit.action, a_target=audit.target, a_remote=audit.remote,
                      a_detail=json.dumps(audit.detail, ensure_ascii=False), a_roles=list(audit.roles))  # fmt: skip
    sql = _RESOLVE_SQL.format(who=who, audit=_AUDIT_CTE if audit is not None else "")
    rows = accounts.run(sql, params)
    if not rows:
        return None
    csrf, *user, colls, ledger_id = rows[0]
    return Access(
        User(*user), None if csrf is None else str(csrf),
        tuple(Collection(int(c[0]), str(c[1]), str(c[2]), str(c[3])) for c in colls), int(ledger_id),
    )  # fmt: skip


_T = TypeVar("_T")
#: Per-process caches, each bounded and least-recently-stored first out (see :func:`_remember`).
_CACHE: OrderedDict[tuple[Any, ...], frozenset[str]] = OrderedDict()  # allowed ids
_FILTERS: OrderedDict[tuple[str, frozenset[int]], tantivy.Query] = OrderedDict()
_HASHES: OrderedDict[frozenset[str], frozenset[int]] = OrderedDict()
_OUTSIDE: OrderedDict[tuple[int, frozenset[int]], tuple[frozenset[int], frozenset[int]]] = OrderedDict()
_GENERATIONS: dict[tuple[str, str], tuple[tuple[int, int, int], frozenset[int]]] = {}
_FILTER_LOCK = threading.Lock()
FILTER_CACHE_SIZE = 32
#: Held while a cold cache entry (an id set of up to 251,287 cables) is computed: 50 readers arriving
#: together wait for one computation instead of running 50 of them side by side.
_COMPUTE_LOCK = threading.RLock()


def allowed_ids(desk: Desk, colls: Sequence[Collection], ledger_id: int | None = None) -> frozenset[str]:
    """Ids of the cables in any of ``colls``; cached until the next ingest changes the ledger.

    The same collections at the same ledger id give the SAME frozenset object, so the compiled
    filter cache below finds it by identity, without comparing 1,000s of ids per request.
    """
    ledger = desk.store.last_ledger_id() if ledger_id is None else ledger_id
    key = (str(desk.db), ledger, tuple(colls))

    def lookup() -> frozenset[str] | None:
        with _FILTER_LOCK:
            return _CACHE.get(key)

    return _single_flight(lookup, lambda: _compute_allowed(desk, colls, key))


def _single_flight(lookup: Callable[[], _T | None], compute: Callable[[], _T]) -> _T:
    """``lookup()``'s cached value, else ``compute()`` run by one thread at a time (the rest reuse it)."""
    hit = lookup()
    if hit is not None:
        return hit
    with _COMPUTE_LOCK:
        hit = lookup()
        return hit if hit is not None else compute()


def _compute_allowed(desk: Desk, colls: Sequence[Collection], key: tuple[Any, ...]) -> frozenset[str]:
    from cabledesk.search import matching_ids

    ids: set[str] = set()
    for c in colls:
        if c.kind == "source":
            rows = desk.store._all("SELECT DISTINCT cable_id FROM cable_versions WHERE source = ?", (c.spec,))
            ids.update(r[0] for r in rows)
        else:
            ids.update(matching_ids(desk.index, c.spec, resolvers=desk.resolvers))
    return _remember(_CACHE, key, frozenset(ids), limit=64)


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any, limit: int = FILTER_CACHE_SIZE) -> Any:
    """Store ``value`` under ``key``, dropping the oldest entries beyond ``limit``; returns ``value``."""
    with _FILTER_LOCK:
        cache[key] = value
        while len(cache) > limit:
            cache.popitem(last=False)
    return value


def allowed_hashes(allowed: frozenset[str]) -> frozenset[int]:
    """The ``cid`` values (:func:`cable_hash`) of ``allowed``, computed once per distinct set (LRU)."""

    def lookup() -> frozenset[int] | None:
        with _FILTER_LOCK:
            return _HASHES.get(allowed)

    return _single_flight(lookup, lambda: _remember(_HASHES, allowed, frozenset(map(cable_hash, allowed))))


def hash_filter(index: CableIndex, hashes: frozenset[int]) -> tantivy.Query:
    """The compiled ``cid`` term-set clause of ``hashes``, built once per distinct set (LRU)."""
    key = (str(index.path), hashes)
    with _FILTER_LOCK:
        hit = _FILTERS.get(key)
        if hit is not None:
            _FILTERS.move_to_end(key)
            return hit
    built = tantivy.Query.term_set_query(index.schema, "cid", sorted(hashes) or [0])
    return _remember(_FILTERS, key, built)


def allowed_filter(index: CableIndex, allowed: frozenset[str]) -> tantivy.Query:
    """The ``cid`` clause keeping ``allowed``: it depends only on the ids, so it stays valid across commits."""
    return hash_filter(index, allowed_hashes(allowed))


def outside_hashes(indexed: frozenset[int], allowed: frozenset[int]) -> frozenset[int]:
    """Indexed cables not in ``allowed`` (cached per indexed set, itself cached per commit).

    A term-set clause costs a term lookup per id in every segment, on every search: when the
    cables outside a collection are fewer than those inside, the filter drops them instead. It
    is computed from the very commit being searched, so a cable indexed later is outside too.
    """
    key = (id(indexed), allowed)
    with _FILTER_LOCK:
        hit = _OUTSIDE.get(key)
    if hit is not None and hit[0] is indexed:
        return hit[1]
    return _remember(_OUTSIDE, key, (indexed, indexed - allowed))[1]


def _generation(index: CableIndex, kind: str, searcher: tantivy.Searcher) -> tuple[int, int, int]:
    """The commit a searcher sees: meta.json stamp, live documents, segments."""
    try:
        stamp = (index.path / kind / "meta.json").stat().st_mtime_ns
    except OSError:
        stamp = 0
    return stamp, int(searcher.num_docs), int(searcher.num_segments)


def indexed_hashes(index: CableIndex, kind: str, searcher: tantivy.Searcher) -> frozenset[int]:
    """The ``cid`` of every cable with a document in ``searcher``, cached per index commit.

    Read from the ``cid`` fast field of every live document (one pass; a terms aggregation over
    the ids would pass tantivy's 65,000-bucket limit on a Cablegate-sized index).
    """
    gen = _generation(index, kind, searcher)
    key = (str(index.path), kind)

    def lookup() -> frozenset[int] | None:
        with _FILTER_LOCK:
            hit = _GENERATIONS.get(key)
        return hit[1] if hit is not None and hit[0] == gen else None

    return _single_flight(lookup, lambda: _compute_indexed(searcher, key, gen))


def _compute_indexed(
    searcher: tantivy.Searcher, key: tuple[str, str], gen: tuple[int, int, int]
) -> frozenset[int]:
    found = frozenset(matching_keys(searcher, tantivy.Query.all_query(), int(searcher.num_docs)))
    with _FILTER_LOCK:
        _GENERATIONS[key] = (gen, found)
    return found


class ScopedSearcher:
    """A tantivy searcher whose every search and aggregation is ANDed with the allowed-id clause.

    Its statistics count allowed documents only too: ``num_docs`` and ``doc_freq`` (which the
    trace matcher turns into rare-word choices and evidence) would otherwise count cables
    outside the user's collections.
    """

    def __init__(
        self, searcher: tantivy.Searcher, allowed: tantivy.Query, schema: tantivy.Schema,
        scope: frozenset[str] = frozenset(), *, exclude: bool = False,
    ) -> None:  # fmt: skip
        self._searcher = searcher
        self._allowed = allowed
        #: ``allowed`` names the documents to drop (MustNot) rather than the ones to keep (Must).
        self._occur = tantivy.Occur.MustNot if exclude else tantivy.Occur.Must
        self._schema = schema
        self._num_docs: int | None = None
        #: The allowed ids: part of every cache key of figures computed through this searcher.
        self.scope = scope

    def _count(self, q: tantivy.Query) -> int:
        return int(getattr(self._searcher.search(self._and(q), 1, count=True), "count", 0) or 0)

    @property
    def num_docs(self) -> int:
        """Allowed documents in this searcher's commit."""
        if self._num_docs is None:
            self._num_docs = self._count(tantivy.Query.all_query())
        return self._num_docs

    def doc_freq(self, field_name: str, term: Any) -> int:
        """Allowed documents holding ``term`` (an indexed, already normalised term) in ``field_name``."""
        return self._count(tantivy.Query.term_query(self._schema, field_name, term))

    def _and(self, q: tantivy.Query) -> tantivy.Query:
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q), (self._occur, self._allowed)])

    def search(self, query: tantivy.Query, *args: Any, **kwargs: Any) -> Any:
        return self._searcher.search(self._and(query), *args, **kwargs)

    def aggregate(self, query: tantivy.Query, *args: Any, **kwargs: Any) -> Any:
        return self._searcher.aggregate(self._and(query), *args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # doc(), fast_field_values(), num_segments
        return getattr(self._searcher, name)


class ScopedIndex:
    """A CableIndex seen through an allowed-id set (read-only: writing goes to the real index)."""

    def __init__(self, index: CableIndex, allowed: frozenset[str]) -> None:
        self._index = index
        self.allowed = allowed
        self.schema = index.schema
        # A folder that never exists: a cache keyed by the index path and its meta.json then never
        # serves unfiltered figures to a scoped search. The search module's all-documents facet
        # cache reads ``real_path`` and keys its entry by the searcher's ``scope`` (the allowed ids).
        self.path = index.path / ".scoped-never-cached"
        self.real_path = index.path
        self._hashes = allowed_hashes(allowed)
        self._filter = hash_filter(index, self._hashes)

    def searcher(self, kind: str = "cables") -> tantivy.Searcher | ScopedSearcher:
        """The plain searcher when THIS commit holds no cable outside ``allowed``; else the filtered one.

        Checked on the very searcher returned (its commit's id set), so a cable indexed after the
        allowed set was computed is never shown unfiltered.
        """
        searcher = self._index.searcher(kind)
        outside = outside_hashes(indexed_hashes(self._index, kind, searcher), self._hashes)
        if not outside:  # (cached per commit and allowed set: no 251k-element set test per search)
            return searcher
        if len(outside) < len(self._hashes):  # fewer terms to look up: drop the outside cables
            exclude = hash_filter(self._index, outside)
            return ScopedSearcher(searcher, exclude, self.schema, self.allowed, exclude=True)
        return ScopedSearcher(searcher, self._filter, self.schema, self.allowed)

    def ids(self) -> set[str]:
        return set(self._index.ids()) & self.allowed


class ScopedStore:
    """The read side of a Store, limited to allowed ids; other ids are "not found", never "forbidden"."""

    def __init__(self, store: Any, allowed: frozenset[str]) -> None:
        self._store = store
        self.allowed = allowed

    def _check(self, cable_id: str) -> None:
        if cable_id not in self.allowed:
            raise NotFoundError(f"no cable {cable_id} in the store")

    def get(self, cable_id: str, version: int | None = None) -> Cable:
        self._check(cable_id)
        return self._store.get(cable_id, version)

    def get_many(self, cable_ids: Iterable[str]) -> dict[str, Cable]:
        return self._store.get_many([i for i in cable_ids if i in self.allowed])

    def has(self, cable_id: str) -> bool:
        return cable_id in self.allowed and bool(self._store.has(cable_id))

    def versions(self, cable_id: str) -> list[dict[str, Any]]:
        self._check(cable_id)
        return self._store.versions(cable_id)

    def count(self) -> int:
        return len(self.allowed)

    def ids(self) -> Iterator[str]:
        yield from sorted(self.allowed)

    def iter_cables(self, batch_size: int = 500) -> Iterator[Cable]:
        ids = sorted(self.allowed)
        for start in range(0, len(ids), batch_size):
            got = self._store.get_many(ids[start : start + batch_size])
            yield from (got[i] for i in ids[start : start + batch_size] if i in got)

    def ledger(self, failed_only: bool = False, limit: int | None = None) -> list[LedgerEntry]:
        """Only rows about allowed cables (failures name inputs, not cables: left out)."""
        rows = [e for e in self._store.ledger(failed_only=failed_only) if e.cable_id in self.allowed]
        return rows[:limit] if limit is not None else rows

    def ledger_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("ingested", "duplicate", "updated", "failed"), 0)
        for e in self.ledger():
            counts[e.status] += 1
        return counts

    def stats(self) -> dict[str, Any]:
        return self._store.stats(ids=sorted(self.allowed))

    def last_ledger_id(self) -> int:
        return int(self._store.last_ledger_id())

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Raw SQL (reference and graph queries) seeing only the allowed cables' rows."""
        scoped_all = getattr(self._store, "scoped_all", None)
        if scoped_all is None:
            raise StoreError("raw SQL on a collection-scoped store needs the PostgreSQL backend")
        return scoped_all(sql, params, self.allowed)

    def close(self) -> None:
        """The underlying store belongs to the app, not to this view."""


class ScopedDesk(Desk):
    """A read-only Desk limited to the cables of ``allowed`` (search, read, stats, export)."""

    def __init__(self, desk: Desk, allowed: frozenset[str]) -> None:  # no super(): nothing to open
        self.db_path = desk.db_path
        self.db = desk.db
        self.readonly = True
        self.allowed = allowed
        self.store = ScopedStore(desk.store, allowed)  # type: ignore[assignment]
        self._index = ScopedIndex(desk.index, allowed)  # type: ignore[assignment]

    def stats(self) -> dict[str, Any]:
        """Counts over the allowed cables only (the corpus-wide REF resolution figures are left out)."""
        return self.store.stats()

    def search(self, query: str, **options: Any) -> Any:
        """A search of the allowed cables, relevance ``score`` withheld (None).

        BM25 scores are computed from corpus-wide term statistics (document frequencies and
        lengths of EVERY indexed cable), so a score would let a user work out how many cables
        outside their collections contain a word. Hits are still ranked by relevance.
        """
        res = super().search(query, **options)
        for hit in res.hits:
            if "score" in hit:
                hit["score"] = None
        return res

    def close(self) -> None:
        """Nothing to close: the shared Desk belongs to the app."""


def scoped_desk(desk: Desk, accounts: Accounts, user: User) -> ScopedDesk:
    """The Desk ``user`` may see: the cables of the collections granted to their organisation."""
    return ScopedDesk(desk, allowed_ids(desk, collections_for(accounts, user)))


def org_members(accounts: Accounts, user: User) -> frozenset[str]:
    """Names of the users of ``user``'s organisation (``user`` included)."""
    rows = accounts.run("SELECT name FROM users WHERE org_id = %s", (user.org_id,))
    return frozenset(str(r[0]) for r in rows)


def audit_rows_for(
    accounts: Accounts, viewer: User, *, limit: int | None = None, offset: int = 0, **filters: Any
) -> list[dict[str, Any]]:
    """The audit rows ``viewer`` may read: an admin (who runs the server) all of them; an editor only
    those of their own organisation's members.

    Other newsrooms' rows name the cables they read, exported and annotated (ids outside this
    user's collections) and what they searched for: neither may cross to another organisation.
    ``filters`` are those of :func:`cabledesk.server.audit.rows`.
    """
    from cabledesk.server import audit

    if viewer.role == "admin":
        return audit.rows(accounts, limit=limit, offset=offset, **filters)
    members = org_members(accounts, viewer)
    if filters.get("user") is not None and filters["user"] not in members:
        return []
    mine = [r for r in audit.rows(accounts, **filters) if r["user"] in members]
    start = max(0, offset)
    return mine[start : None if limit is None else start + limit]


def desk_for(desk: Desk, found: Access) -> ScopedDesk:
    """The Desk of an already resolved request (no further database round trip when cached)."""
    return ScopedDesk(desk, allowed_ids(desk, found.collections, found.ledger_id))
