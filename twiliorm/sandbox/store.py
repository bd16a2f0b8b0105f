"""The sandbox's state, in SQLite (in memory by default, in a file with ``--db``).

One generic table holds every record of every resource: the payload exactly
as the API answers it (``body``, JSON text, so a page is assembled without
parsing a record), plus ``idx``, the normalized values its list filters
compare (ISO timestamps for dates). Records are addressed by resource,
account, parent (the path parameters above the list, e.g. the conference of a
participant) and identity; ``seq`` orders them by creation and is what page
tokens point at. The days of the fields lists filter by day (a message's
``date_sent``, a call's ``start_time``...) are kept again in ``days``, one row
a record and field, so a page narrowed to some days reads only those days'
records (:class:`DayClause`) instead of the whole list. A page's bodies are
read as the UTF-8 bytes SQLite holds (the database's text encoding is
UTF-8: a file in another is refused), so a JSON page is assembled without
decoding them. Accounts and their
credentials have a table of their own;
so do the events scheduled on the sandbox clock (a message to deliver, a call
to answer) and the per-record state behaviours keep beside a payload (a
call's TwiML, a status callback URL), so a sandbox stopped and started again
on the same ``--db`` file carries on where it was.

One connection is shared by the server's threads and serialized by a lock:
the sandbox favours simple and correct over parallel writes. With a file,
aggregates (:meth:`Store.select`) read through a second, read-only
connection, so a long one does not hold up other requests.

Durability: a logical change (a request's write, a clock event and what it
changes and schedules, an account and its credentials) is one
:meth:`Store.transaction`; nested ones are savepoints. A file is owned by
one store at a time (``<db>.lock``, held with ``flock`` while the store is
open): a second sandbox on the same file is refused at start. The file, its
journals and its lock are made (or tightened to) mode 0600: they hold auth
tokens and API key secrets.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import sqlite3
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs

if sys.platform != "win32":
    import fcntl

__all__ = ["Clause", "Clauses", "Credential", "DayClause", "Event", "Record", "Store"]

#: an SQL condition on the records table and its arguments
Clause = tuple[str, Sequence[Any]]
#: the conditions a query adds (a list: ``list`` is an operation inside a Behaviour class)
Clauses = list[Clause]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    resource TEXT NOT NULL,
    account TEXT NOT NULL,
    parent TEXT NOT NULL,
    pk TEXT NOT NULL,
    body TEXT NOT NULL,
    idx TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_list ON records (resource, account, parent, seq);
CREATE UNIQUE INDEX IF NOT EXISTS records_pk ON records (resource, account, parent, pk);
CREATE INDEX IF NOT EXISTS records_find ON records (resource, pk);
CREATE TABLE IF NOT EXISTS days (
    resource TEXT NOT NULL,
    account TEXT NOT NULL,
    parent TEXT NOT NULL,
    key TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (resource, account, parent, key, day, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS days_seq ON days (seq);
CREATE TABLE IF NOT EXISTS credentials (
    username TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    account TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    sid TEXT PRIMARY KEY,
    parent TEXT
);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    due REAL NOT NULL,
    resource TEXT NOT NULL,
    account TEXT NOT NULL,
    parent TEXT NOT NULL,
    pk TEXT NOT NULL,
    action TEXT NOT NULL,
    args TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_due ON events (due, id);
CREATE TABLE IF NOT EXISTS state (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
"""

_INSERT = "INSERT INTO records (resource, account, parent, pk, body, idx) VALUES (?, ?, ?, ?, ?, ?)"
_INSERT_DAY = (
    "INSERT INTO days (resource, account, parent, key, day, seq) VALUES (?, ?, ?, ?, ?, ?)"
)
#: the days of ``key`` (a parameter) of stored records, as the index keeps them: the first ten
#: characters of the ISO text in ``idx`` (what a clause on the day compares), text values only
_DAYS_OF = (
    "INSERT INTO days (resource, account, parent, key, day, seq) "
    "SELECT resource, account, parent, :key, substr(json_extract(idx, :path), 1, 10), seq "
    "FROM records WHERE resource = :resource AND seq > :after "
    "AND json_type(idx, :path) = 'text'"
)
#: the days of a span (``bounds``: ``AND day >= ?``..., ``upper`` the ``<=`` ones) that have
#: records at ``spot``, each found from the one before by one seek in the day index (the
#: step has no lower bound but the day before: with the span's own, SQLite would seek to it
#: and read every row from there)
_SPAN = """
WITH RECURSIVE span(day) AS (
    SELECT (SELECT min(day) FROM days WHERE {spot}{bounds})
    UNION ALL
    SELECT (SELECT min(day) FROM days WHERE {spot}{upper} AND day > span.day)
    FROM span WHERE span.day IS NOT NULL
) SELECT day FROM span WHERE day IS NOT NULL
"""
#: the most days a span is read as, one arm each, merged (SQLite takes 500 arms by default)
_ARMS = 366
#: bytes of a database file read through a memory map (the rest, if larger, as before)
_MAP = 1 << 30
#: a body as the bytes SQLite holds: UTF-8 (``_connect`` refuses a database in another
#: encoding), the text a JSON page is made of without decoding it to ``str`` and back
_BODY = "CAST(body AS BLOB)"


class DayClause(tuple[str, Sequence[Any]]):
    """A clause on the day of a by-day key (``DateSent>=2026-01-05``: ``day >= ?``).

    It is a plain :data:`Clause` (SQL and its argument) wherever records are read, and
    :meth:`Store.page` answers it from the ``days`` table when the resource's ``key`` is
    indexed there (:meth:`Store.index_days`), with the same records in the same order.
    """

    key: str
    operator: str
    day: str

    def __new__(cls, key: str, operator: str, day: str) -> DayClause:
        if operator not in ("=", "<=", ">="):
            raise ValueError(f"a day is compared with =, <= or >=, not {operator!r}")
        sql = f"substr(json_extract(idx, '$.{key}'), 1, 10) {operator} ?"
        clause = super().__new__(cls, (sql, (day,)))
        clause.key, clause.operator, clause.day = key, operator, day
        return clause

    def __reduce__(self) -> tuple[Any, ...]:
        return (DayClause, (self.key, self.operator, self.day))


@attrs.frozen
class Record:
    """One stored record: its payload and where it lives."""

    seq: int
    resource: str
    account: str
    parent: str
    pk: str
    body: dict[str, Any]


@attrs.frozen
class Credential:
    username: str
    secret: str
    account: str
    kind: str  # "auth_token", "api_key", "test"; "public" for media asked without any


@attrs.frozen
class Event:
    """Something due on the sandbox clock: ``action`` of the resource's behaviour on a record."""

    resource: str
    account: str
    parent: str
    pk: str
    action: str
    args: dict[str, Any] = attrs.field(factory=dict)


class Store:
    """Records, accounts and credentials; thread-safe."""

    def __init__(self, path: str | None = None) -> None:
        """Open (or make) the store; OSError naming the file if it cannot be used (or another
        sandbox holds it)."""
        path = None if path == ":memory:" else path
        self.path = path or ":memory:"
        self._lock = threading.RLock()
        self._depth = 0  # transactions open on the writing connection (under self._lock)
        # A file in WAL mode can be read by a second connection while the first writes, so
        # long aggregates (usage records) do not hold up every other request. An in-memory
        # database has one connection only: there they share the lock.
        self._read_lock = threading.RLock() if path else self._lock
        self._owner: int | None = None
        #: resource -> the idx keys whose days ``days`` keeps (:meth:`index_days`)
        self._day_keys: dict[str, tuple[str, ...]] = {}
        try:
            self._db, self._reader = self._open(path)
        except (sqlite3.Error, OSError) as exc:
            self._release()
            raise OSError(f"cannot use {self.path} as the sandbox's database: {exc}") from exc

    def _open(self, path: str | None) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        """The writing and the reading connection (one and the same in memory)."""
        if not path:
            db = _connect(":memory:")
            return db, db
        self._owner = _own(path)  # first: a refused sandbox must not touch the file
        _private(path)
        db = _connect(path)
        try:
            return db, _connect(pathlib.Path(path).absolute().as_uri() + "?mode=ro")
        except sqlite3.Error:
            db.close()
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and a transaction: all or nothing, committed when the block ends.

        Nested in another (on the same thread), a savepoint: a failure undoes the inner
        block only, and the outer one decides whether it is kept.
        """
        with self._lock:
            depth = self._depth
            savepoint = f"sp{depth}"
            self._db.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
            self._depth = depth + 1
            try:
                yield self._db
            except BaseException:
                self._undo(depth, savepoint)
                raise
            finally:
                self._depth = depth
            self._end(depth, savepoint)

    def _undo(self, depth: int, savepoint: str) -> None:
        if depth == 0:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        else:
            self._db.execute(f"ROLLBACK TO {savepoint}")
            self._db.execute(f"RELEASE {savepoint}")

    def _end(self, depth: int, savepoint: str) -> None:
        """Commit (or release the savepoint); a failed commit is rolled back and raised, so
        nothing is answered as done that is not on disk."""
        try:
            self._db.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
        except sqlite3.Error:
            if depth == 0 and self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._read_lock:
            self._reader.close()
        with self._lock:
            self._db.close()
            self._release()

    def clear(self) -> None:
        """Delete every record, account, credential, event and kept state (settings stay)."""
        with self.transaction() as db:
            for table in ("records", "days", "accounts", "credentials", "events", "state"):
                db.execute(f"DELETE FROM {table}")

    def _release(self) -> None:
        """Let the file go: another sandbox may use it now."""
        if self._owner is not None:
            os.close(self._owner)  # closing the descriptor drops its flock
            self._owner = None

    # --- records ----------------------------------------------------------------

    def insert(
        self,
        resource: str,
        account: str,
        parent: str,
        pk: str,
        body: dict[str, Any],
        idx: dict[str, Any],
    ) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                _INSERT,
                (resource, account, parent, pk, _dump(body), _dump(idx)),
            )
            seq = int(cursor.lastrowid or 0)
            self._add_days(db, Record(seq, resource, account, parent, pk, body), idx)
            return seq

    def insert_many(self, rows: Sequence[tuple[str, str, str, str, str, str]]) -> None:
        """Insert pre-rendered rows (resource, account, parent, pk, body, idx) at once."""
        with self.transaction() as db:
            after = db.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]
            db.executemany(
                _INSERT,
                rows,
            )
            for resource in dict.fromkeys(row[0] for row in rows):
                self._days_from_records(db, resource, after)

    def get(self, resource: str, account: str, parent: str, pk: str) -> Record | None:
        with self._lock:
            row = self._db.execute(
                "SELECT seq, body FROM records "
                "WHERE resource=? AND account=? AND parent=? AND pk=?",
                (resource, account, parent, pk),
            ).fetchone()
        if row is None:
            return None
        return Record(row[0], resource, account, parent, pk, json.loads(row[1]))

    def find(self, resource: str, pk: str) -> Record | None:
        """A record by identity alone, whatever its account and parent."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, account, parent, body FROM records WHERE resource=? AND pk=?",
                (resource, pk),
            ).fetchone()
        if row is None:
            return None
        return Record(row[0], resource, row[1], row[2], pk, json.loads(row[3]))

    def update(self, record: Record, body: dict[str, Any], idx: dict[str, Any]) -> Record:
        with self.transaction() as db:
            db.execute(
                "UPDATE records SET body=?, idx=? WHERE seq=?",
                (_dump(body), _dump(idx), record.seq),
            )
            db.execute("DELETE FROM days WHERE seq=?", (record.seq,))
            self._add_days(db, record, idx)
        return attrs.evolve(record, body=body)

    def delete(self, record: Record) -> None:
        """Remove a record and the state kept beside it."""
        with self.transaction() as db:
            db.execute("DELETE FROM records WHERE seq=?", (record.seq,))
            db.execute("DELETE FROM days WHERE seq=?", (record.seq,))
            db.execute("DELETE FROM state WHERE kind=? AND key=?", (record.resource, record.pk))

    def page(
        self,
        resource: str,
        account: str | Sequence[str],
        parent: str,
        where: Sequence[Clause],
        *,
        limit: int,
        following: int | None = None,
        preceding: int | None = None,
        newest_first: bool = True,
    ) -> list[tuple[int, bytes]]:
        """(seq, body) of up to ``limit`` records in list order (newest or oldest first), each
        body the payload's JSON text in UTF-8.

        ``following``: the records after seq ``following`` in that order (the next
        page); ``preceding``: the ``limit`` records just before it (the previous page).
        Clauses on the day of an indexed key (:class:`DayClause`) are read from the day
        index: the records of those days only, not the whole list.
        """
        accounts = [account] if isinstance(account, str) else list(account)
        days = self._day_clauses(resource, where)
        if days:
            rest = [c for c in where if not any(c is day for day in days)]
            place = (resource, accounts, parent)
            return self._page_by_day(place, days, rest, limit, following, preceding, newest_first)
        marks = ", ".join("?" for _ in accounts)
        sql = [
            f"SELECT seq, {_BODY} FROM records "
            f"WHERE resource=? AND account IN ({marks}) AND parent=?"
        ]
        args: list[Any] = [resource, *accounts, parent]
        for clause, values in where:
            sql.append(f"AND ({clause})")
            args.extend(values)
        backwards = preceding is not None
        mark = preceding if backwards else following
        descending = newest_first != backwards
        if mark is not None:
            sql.append("AND seq < ?" if descending else "AND seq > ?")
            args.append(mark)
        sql.append(f"ORDER BY seq {'DESC' if descending else 'ASC'} LIMIT ?")
        args.append(limit)
        with self._lock:
            rows = self._db.execute(" ".join(sql), args).fetchall()
        return rows[::-1] if backwards else rows

    def _page_by_day(
        self,
        place: tuple[str, list[str], str],
        days: list[DayClause],
        where: Sequence[Clause],
        limit: int,
        following: int | None,
        preceding: int | None,
        newest_first: bool,
    ) -> list[tuple[int, bytes]]:
        """:meth:`page` with its ``days`` read from the day index, in one statement: the seqs
        of those days in list order (only ``limit`` of them when no other clause may drop
        some, see :meth:`_seqs_of_days`), then the bodies (and the other clauses) by seq."""
        backwards = preceding is not None
        mark = preceding if backwards else following
        order = "DESC" if newest_first != backwards else "ASC"
        with self._lock:
            chosen = self._seqs_of_days(place, days, mark, order)
            if chosen is None:
                return []  # no record on any of those days
            sql, args = chosen
            if not where:
                sql += f" ORDER BY seq {order} LIMIT ?"
                args.append(limit)
            # The outer ORDER BY walks the IN list's seqs in order (SQLite sorts no bodies),
            # and reads a body only for a seq it keeps, stopping at the limit.
            statement = [f"SELECT seq, {_BODY} FROM records WHERE seq IN ({sql})"]
            for condition, values in where:
                statement.append(f"AND ({condition})")
                args.extend(values)
            statement.append(f"ORDER BY seq {order} LIMIT ?")
            args.append(limit)
            rows = self._db.execute(" ".join(statement), args).fetchall()
        return rows[::-1] if backwards else rows

    def _seqs_of_days(
        self, place: tuple[str, list[str], str], days: list[DayClause], mark: int | None, order: str
    ) -> tuple[str, list[Any]] | None:
        """A SELECT of the seqs on ``days`` of the list at ``place``, past ``mark`` in
        ``order``, and its arguments (numbered: more ``?`` may follow); None when no record
        is on any of those days (the caller holds the lock).

        The day index keeps each day's seqs in order, not a span's: sorting a span whole for
        each page sorted all its records each time (35 ms for 13 days of 2,400 messages, 126
        ms for 42). So a span is read as one arm a day, each in order, merged by SQLite
        (``UNION ALL ... ORDER BY``, about 2 ms a page): a page reads about as many seqs as
        it answers. The span's days are found by seeking from one to the next in the index.
        A span of more than ``_ARMS`` days is sorted whole, as before.
        """
        resource, accounts, parent = place
        bind = _Numbered()
        spot = (
            f"resource={bind(resource)} AND account IN ({', '.join(map(bind, accounts))}) "
            f"AND parent={bind(parent)} AND key={bind(days[0].key)}"
        )
        after = "" if mark is None else f" AND seq {'<' if order == 'DESC' else '>'} {bind(mark)}"
        named = [(c.operator, bind(c.day)) for c in days]
        bounds = "".join(f" AND day {operator} {name}" for operator, name in named)
        whole = f"SELECT seq FROM days WHERE {spot}{bounds}{after}"
        if any(c.operator == "=" for c in days):
            return whole, bind.values  # one day at most: in order in the index
        upper = "".join(f" AND day <= {name}" for operator, name in named if operator == "<=")
        sql = _SPAN.format(spot=spot, bounds=bounds, upper=upper)
        span = self._db.execute(sql, bind.values).fetchall()
        if not span:
            return None
        if len(span) > _ARMS:
            return whole, bind.values
        arms = [f"SELECT seq FROM days WHERE {spot} AND day = {bind(d)}{after}" for (d,) in span]
        return " UNION ALL ".join(arms), bind.values

    def _day_clauses(self, resource: str, where: Sequence[Clause]) -> list[DayClause]:
        """The clauses the day index answers: those on the first indexed key ``where`` has."""
        indexed = self._day_keys.get(resource, ())
        days = [c for c in where if isinstance(c, DayClause) and c.key in indexed]
        return [c for c in days if c.key == days[0].key]

    # --- the day index --------------------------------------------------------------

    def index_days(self, keys: dict[str, tuple[str, ...]]) -> None:
        """Keep the days of ``keys`` (resource -> idx keys) in the day index, (re)built from
        the records when it was made for other keys (a database an older sandbox made)."""
        wanted = {name: tuple(sorted(found)) for name, found in sorted(keys.items()) if found}
        with self.transaction() as db:
            self._day_keys = wanted
            if self.setting("day_index") == json.dumps(wanted):
                return
            db.execute("DELETE FROM days")
            for resource in wanted:
                self._days_from_records(db, resource, 0)
            self.set_setting("day_index", json.dumps(wanted))

    def _days_from_records(self, db: sqlite3.Connection, resource: str, after: int) -> None:
        """Index the days of ``resource``'s records after seq ``after`` (from their idx)."""
        for key in self._day_keys.get(resource, ()):
            args = {"key": key, "path": f"$.{key}", "resource": resource, "after": after}
            db.execute(_DAYS_OF, args)

    def _add_days(self, db: sqlite3.Connection, record: Record, idx: dict[str, Any]) -> None:
        """Index the days of one record (the text values of its indexed keys in ``idx``)."""
        place = (record.resource, record.account, record.parent)
        rows = [
            (*place, key, value[:10], record.seq)
            for key in self._day_keys.get(record.resource, ())
            if isinstance(value := idx.get(key), str)
        ]
        if rows:
            db.executemany(_INSERT_DAY, rows)

    def children(
        self,
        resource: str,
        account: str,
        parent: str,
        where: Sequence[Clause] = (),
        *,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Record]:
        """The records of ``resource`` under one parent (``""``: the account itself), in
        creation order (or newest first), narrowed by SQL ``where`` clauses."""
        sql = ["SELECT seq, pk, body FROM records WHERE resource=? AND account=? AND parent=?"]
        args: list[Any] = [resource, account, parent]
        for clause, values in where:
            sql.append(f"AND ({clause})")
            args.extend(values)
        sql.append("ORDER BY seq DESC" if newest_first else "ORDER BY seq")
        if limit is not None:
            sql.append("LIMIT ?")
            args.append(limit)
        with self._lock:
            rows = self._db.execute(" ".join(sql), args).fetchall()
        return [Record(r[0], resource, account, parent, r[1], json.loads(r[2])) for r in rows]

    def all(
        self,
        resource: str,
        account: str | None = None,
        where: Sequence[Clause] = (),
    ) -> list[Record]:
        """Every record of ``resource`` (in one account, or any), whatever its parent."""
        sql = ["SELECT seq, account, parent, pk, body FROM records WHERE resource=?"]
        args: list[Any] = [resource]
        if account is not None:
            sql.append("AND account=?")
            args.append(account)
        for clause, values in where:
            sql.append(f"AND ({clause})")
            args.extend(values)
        with self._lock:
            rows = self._db.execute(" ".join(sql) + " ORDER BY seq", args).fetchall()
        return [Record(r[0], resource, r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    # --- accounts and credentials -------------------------------------------------

    def add_account(self, sid: str, parent: str | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO accounts (sid, parent) VALUES (?, ?)", (sid, parent)
            )

    def account_parent(self, sid: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT parent FROM accounts WHERE sid=?", (sid,)).fetchone()
        return row[0] if row else None

    def account_status(self, sid: str) -> str | None:
        """An account's status (``active``, ``suspended``, ``closed``), None if none is kept."""
        with self._lock:
            row = self._db.execute(
                "SELECT json_extract(body, '$.status') FROM records "
                "WHERE resource='Account' AND account=? AND parent='' AND pk=?",
                (sid, sid),
            ).fetchone()
        return None if row is None else row[0]

    def has_account(self, sid: str) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM accounts WHERE sid=?", (sid,)).fetchone()
                is not None
            )

    def subaccounts(self, sid: str) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT sid FROM accounts WHERE parent=?", (sid,)).fetchall()
        return [r[0] for r in rows]

    def add_credential(self, credential: Credential) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO credentials (username, secret, account, kind) "
                "VALUES (?, ?, ?, ?)",
                (credential.username, credential.secret, credential.account, credential.kind),
            )

    def credential(self, username: str) -> Credential | None:
        with self._lock:
            row = self._db.execute(
                "SELECT username, secret, account, kind FROM credentials WHERE username=?",
                (username,),
            ).fetchone()
        return Credential(*row) if row else None

    def remove_credential(self, username: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM credentials WHERE username=?", (username,))

    def remove_credentials_of(self, account: str) -> None:
        """Every credential of ``account`` (its auth token, its API keys) stops working."""
        with self._lock:
            self._db.execute("DELETE FROM credentials WHERE account=?", (account,))

    def accounts(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT sid FROM accounts").fetchall()]

    # --- reads for aggregates (usage records) ---------------------------------------

    def select(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query over the tables above (on the reading connection)."""
        with self._read_lock:
            return list(self._reader.execute(sql, args).fetchall())

    def scan(
        self, sql: str, args: Sequence[Any] = (), batch: int = 500
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of a long read-only query, ``batch`` at a time, letting the lock go between
        batches: with one connection (in memory), other requests then wait for a batch,
        not for a scan of every record (usage records sum 100,000 messages this way)."""
        with self._read_lock:
            cursor = self._reader.execute(sql, args)
        try:
            while True:
                with self._read_lock:
                    rows = cursor.fetchmany(batch)
                if not rows:
                    return
                yield from rows
        finally:
            with self._read_lock:
                cursor.close()

    # --- scheduled events -------------------------------------------------------------

    def add_event(self, due: float, event: Event) -> None:
        row = (due, event.resource, event.account, event.parent, event.pk, event.action)
        with self._lock:
            self._db.execute(
                "INSERT INTO events (due, resource, account, parent, pk, action, args) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*row, _dump(event.args)),
            )

    def next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT min(due) FROM events").fetchone()
        return None if row[0] is None else float(row[0])

    def pop_due(self, now: float) -> tuple[float, Event] | None:
        """Remove and return the earliest event due at ``now`` (and its due time), if any."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, due, resource, account, parent, pk, action, args FROM events "
                "WHERE due <= ? ORDER BY due, id LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM events WHERE id=?", (row[0],))
        return float(row[1]), Event(row[2], row[3], row[4], row[5], row[6], json.loads(row[7]))

    def pending_events(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

    # --- state kept beside records ------------------------------------------------------

    def state(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM state WHERE kind=? AND key=?", (kind, key)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def set_state(self, kind: str, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO state (kind, key, value) VALUES (?, ?, ?)",
                (kind, key, _dump(value)),
            )

    # --- settings -------------------------------------------------------------------

    def setting(self, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_setting(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", (name, value)
            )


class _Numbered:
    """Numbered SQL parameters (``?1``, ``?2``...): a value bound once is referred to as
    often as a statement needs it; a plain ``?`` after them takes the next number."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"?{len(self.values)}"


def _connect(where: str) -> sqlite3.Connection:
    """A connection to the database (a ``file:`` URI: a second, read-only one).

    The writing connection is in autocommit mode (``isolation_level=None``): a
    statement outside :meth:`Store.transaction` is its own transaction, and a
    transaction begins and ends where that method says, never implicitly.
    """
    if where.startswith("file:"):
        return sqlite3.connect(where, uri=True, check_same_thread=False)
    db = sqlite3.connect(where, check_same_thread=False, isolation_level=None)
    try:
        encoding = db.execute("PRAGMA encoding").fetchone()[0]
        if encoding != "UTF-8":  # pages are read as its bytes (_BODY): they must be UTF-8
            raise sqlite3.DatabaseError(f"its text encoding is {encoding}, not UTF-8")
        if where != ":memory:":
            db.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL syncs at checkpoints, not at each commit: a committed
            # transaction is in the WAL file (the OS's cache) before COMMIT returns, so a
            # killed process (kill -9, a crash) loses nothing committed; only a power loss or
            # an OS crash could lose the last few. The sandbox is a test double: FULL's fsync
            # per write is not worth it here.
            db.execute("PRAGMA synchronous=NORMAL")
            # Reads through a memory map, not a read() into SQLite's cache per page: a page of
            # 1000 messages touches some 300 pages of the file (server CPU of the bench's
            # partitioned read 0.64 -> 0.58 s, system time halved). Writes still go through
            # write(), so what a commit promises is unchanged; an I/O error while reading a
            # mapped page stops the process (SIGBUS) instead of answering 500.
            db.execute(f"PRAGMA mmap_size={_MAP}")
        db.executescript(_SCHEMA)
    except sqlite3.Error:
        db.close()
        raise
    return db


def _own(path: str) -> int:
    """Hold ``<path>.lock`` (an exclusive ``flock``) for as long as the descriptor is open.

    SQLite's own locks only serialize statements: a second server on the same file would
    answer 500 ``database is locked`` and run the same clock events twice. The lock file
    names the process holding it, for the message of the one refused.
    """
    lock = path + ".lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _tighten(fd)
        if sys.platform != "win32":
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise OSError(
            f"another sandbox (process {holder}) is using it and holds {lock}; "
            "stop that one or give another --db file"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _private(path: str) -> None:
    """Make the database file mode 0600 before SQLite opens it, whatever the umask.

    SQLite makes the ``-wal``, ``-shm`` and ``-journal`` files with the database's own mode,
    so they follow. An existing file (and its journals) is tightened too: a database made
    by an older sandbox under a 022 umask keeps the same tokens as a new one.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _tighten(fd)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(path + suffix, 0o600)


def _tighten(fd: int) -> None:
    """Mode 0600 (``os.open``'s mode is masked by the umask; this is not). A file of another
    user's that we may write but not chmod is left as its owner made it."""
    with contextlib.suppress(PermissionError):
        os.fchmod(fd, 0o600)


def _dump(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
