"""The SQL unit of work: one connection, one transaction, claim + events + outbox together."""
from __future__ import annotations

import os
import threading
import weakref
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from gateway.domain.model import Claim

from . import tables
from .outbox_store import insert_messages_many
from .repositories import (SqlAgencyRepository, SqlClaimRepository, SqlShopRepository,
                           received_values)

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class SqliteWriterLock:
    """The writers of one SQLite file queue here, in this process and across processes.

    SQLite admits one writer at a time. Writers that race for BEGIN IMMEDIATE land in
    SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and gives a long
    latency tail; a lock hands the database over at once. In this process a thread lock
    (re-entrant: a writer may open a nested unit of work); across processes (`gateway
    serve --workers`, the worker and the sync job beside it) an flock on `<file>.writer-lock`,
    which the kernel passes to the next waiter as soon as it is released. Where flock does
    not exist (Windows) other processes fall back to SQLite's busy handler.
    """

    def __init__(self, database_file: str | None):
        self._path = f"{database_file}.writer-lock" if database_file else None
        self._reset()
        _ALL_WRITER_LOCKS.add(self)

    def _reset(self) -> None:
        # Also in a forked child: it holds nothing, whatever its parent held at the fork,
        # and opens its own descriptor (an flock belongs to the open file, which a child
        # would otherwise share with its parent).
        inherited = getattr(self, "_fd", None)
        if inherited is not None:
            os.close(inherited)  # the parent's lock stays: it has its own descriptor
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def acquire(self) -> None:
        self._threads.acquire()
        if self._depth == 0 and self._path is not None and fcntl is not None:
            try:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._threads.release()
                raise
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


_ALL_WRITER_LOCKS: "weakref.WeakSet[SqliteWriterLock]" = weakref.WeakSet()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: [lock._reset() for lock in _ALL_WRITER_LOCKS])

_SQLITE_WRITERS: dict[str, SqliteWriterLock] = {}
_SQLITE_WRITERS_GUARD = threading.Lock()


def _sqlite_writer_lock(engine: Engine) -> SqliteWriterLock | None:
    """The writer lock of the engine's SQLite file; None for other databases."""
    if engine.dialect.name != "sqlite":
        return None
    key = str(engine.url)
    database = engine.url.database
    on_disk = bool(database) and database != ":memory:" and not database.startswith("file:")
    with _SQLITE_WRITERS_GUARD:
        lock = _SQLITE_WRITERS.get(key)
        if lock is None:
            lock = _SQLITE_WRITERS[key] = SqliteWriterLock(database if on_disk else None)
        return lock


class SqlUnitOfWork:
    """Use as `with uow_factory() as uow: ...; uow.commit()`. Leaving without commit rolls back."""

    def __init__(self, engine: Engine, *, read_only: bool = False):
        self.engine = engine
        self.read_only = read_only
        self.conn: Connection | None = None
        self._seen: list[Claim] = []
        self._writer_lock = None if read_only else _sqlite_writer_lock(engine)

    def __enter__(self) -> "SqlUnitOfWork":
        if self._writer_lock is not None:
            self._writer_lock.acquire()
        try:
            conn = self._connect()
            if self.read_only:
                conn = conn.execution_options(sqlite_begin="DEFERRED")
            self.conn = conn
            self._tx = conn.begin()
        except BaseException:
            if self._writer_lock is not None:
                self._writer_lock.release()
            raise
        self._seen = []
        self.claims = SqlClaimRepository(conn, self._seen)
        self.shops = SqlShopRepository(conn)
        self.agencies = SqlAgencyRepository(conn)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self._release(self.conn)
            self.conn = None
            if self._writer_lock is not None:
                self._writer_lock.release()

    def _connect(self) -> Connection:
        return self.engine.connect()

    def _release(self, conn: Connection) -> None:
        conn.close()

    def commit(self) -> None:
        """Store every claim touched, its pending events and outbox messages, atomically."""
        if self.read_only:
            raise RuntimeError("read-only unit of work cannot commit")
        self._flush()
        self._tx.commit()
        for claim in self._seen:
            claim.pending_events.clear()
            claim.pending_messages.clear()

    def rollback(self) -> None:
        self._tx.rollback()

    def commit_new_claim(self, claim: Claim) -> None:
        """add(claim) + commit() for a claim just received: the same rows, fewer statements.

        On PostgreSQL claim, debtor, event and outbox row go in one statement, and when
        this unit of work has sent nothing yet that statement runs on its own: a single
        statement is atomic and durable by itself, so BEGIN and COMMIT would be two round
        trips that add nothing. Elsewhere, or for an unusual claim, the general path.
        """
        values = (None if self.read_only or self.engine.dialect.name != "postgresql"
                  or self._seen else received_values(claim))
        if values is None:
            self.claims.add(claim)
            self.commit()
            return
        alone = self._nothing_sent()
        if alone:
            self._tx.commit()  # ends a transaction the server never saw: no round trip
            self.conn.execution_options(isolation_level="AUTOCOMMIT")  # the pool resets it
        self.claims.insert_received(claim, values)
        self._seen.append(claim)
        if not alone:
            self._tx.commit()
        claim.pending_events.clear()
        claim.pending_messages.clear()

    def _nothing_sent(self) -> bool:
        """PostgreSQL: no statement of this unit of work reached the server yet."""
        from psycopg.pq import TransactionStatus

        return self.conn.connection.driver_connection.info.transaction_status \
            == TransactionStatus.IDLE

    def _flush(self) -> None:
        """A few statements for any number of claims (the dispatcher records many at once)."""
        touched = _unique(self._seen)
        stored = [c for c in touched if c.id is not None]
        for claim in touched:
            if claim.id is None:
                self.claims.insert(claim)
        self.claims.update_many(stored)
        self.claims.insert_events_many([c for c in touched if c.pending_events])
        insert_messages_many(self.conn, [c for c in touched if c.pending_messages])

    # -- extras written in the same transaction ---------------------------------
    def record(self, table: str, values: dict[str, Any]) -> None:
        self.conn.execute(insert(tables.metadata.tables[table]).values(**values))

    def keep_unmatched_change(self, account: str, change_key: str, status: Any,
                              at: datetime) -> bool:
        """Store a change for a file number no claim has; False when it was stored before."""
        return self._insert_once(tables.unmatched_agency_changes, dict(
            agency_account=account, change_key=change_key, file_number=status.file_number,
            status_code=status.code, status_text=status.text, details=status.details,
            changed_at=status.at, received_at=at))

    def change_seen(self, account: str, change_key: str, at: datetime) -> bool:
        return self._insert_once(tables.applied_agency_changes, dict(
            agency_account=account, change_key=change_key, applied_at=at))

    def _insert_once(self, table, values: dict[str, Any]) -> bool:
        """Insert under a savepoint; False when the row's key is taken (seen before)."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(table).values(**values))
        except IntegrityError:
            return False
        return True


class KeptConnectionUnitOfWork(SqlUnitOfWork):
    """A SqlUnitOfWork on a connection its caller keeps open between units.

    For one thread running many short transactions (the outbox dispatcher's loop):
    no pool checkout per unit. The caller owns and closes the connection.
    """

    def __init__(self, conn: Connection):
        super().__init__(conn.engine)
        self._kept = conn

    def _connect(self) -> Connection:
        return self._kept

    def _release(self, conn: Connection) -> None:
        pass  # the caller's, kept for its next unit

    def _nothing_sent(self) -> bool:
        # A plain submit may switch a connection to autocommit until the pool resets it; a
        # kept connection goes back to no pool, so it stays transactional.
        return False


def _unique(claims: list[Claim]) -> list[Claim]:
    """The same claim object may have been seen twice; write it once."""
    seen_ids: set[int] = set()
    result = []
    for claim in claims:
        if id(claim) in seen_ids:
            continue
        seen_ids.add(id(claim))
        result.append(claim)
    return result
