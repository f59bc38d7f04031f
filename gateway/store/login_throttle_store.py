"""The login throttle's counts in the database (table login_failures), shared by every
facade process and machine on it.

A failure is one INSERT ... ON CONFLICT DO UPDATE SET failures = failures + 1 per key, so
concurrent failures from any number of processes never lose a count (PostgreSQL locks the
row for the rest of the transaction; SQLite writers queue on the file's writer lock). The
block that follows only ever grows: of two concurrent failures, the longer block wins.
"""
from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Iterable, Iterator

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row

from gateway.service.login_throttle import KINDS, BlockRule, LoginFailures

from .tables import login_failures as t
from .unit_of_work import _sqlite_writer_lock


def _row(r: Row) -> LoginFailures:
    return LoginFailures(kind=r.kind, subject=r.subject, failures=r.failures,
                         last_failure_at=r.last_failure_at, blocked_until=r.blocked_until,
                         locked=bool(r.locked))


def _matching(keys: Iterable[tuple[str, str]]):
    return or_(*(and_(t.c.kind == kind, t.c.subject == subject) for kind, subject in keys))


class SqlLoginFailureStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._insert = (postgresql.insert if engine.dialect.name == "postgresql"
                        else sqlite.insert)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        lock = _sqlite_writer_lock(self.engine)
        if lock is not None:
            lock.acquire()
        try:
            with self.engine.begin() as conn:
                yield conn
        finally:
            if lock is not None:
                lock.release()

    def _reading(self):
        return self.engine.connect().execution_options(sqlite_begin="DEFERRED")

    def get(self, keys: Iterable[tuple[str, str]]) -> list[LoginFailures]:
        keys = list(keys)
        if not keys:
            return []
        with self._reading() as conn:
            return [_row(r) for r in conn.execute(select(t).where(_matching(keys)))]

    def count_failure(self, keys: Iterable[tuple[str, str]], now: datetime,
                      forget_before: datetime, block_after: BlockRule) -> list[LoginFailures]:
        result = []
        with self._writing() as conn:
            for kind, subject in sorted(set(keys)):  # one order everywhere: no deadlocks
                stmt = self._insert(t).values(kind=kind, subject=subject, failures=1,
                                              last_failure_at=now, blocked_until=None,
                                              locked=False)
                # Failures forgotten by now start again at 1, and a block that is over is
                # dropped with them (one still running, a lockout longer than the quiet
                # period, stays).
                forgotten = t.c.last_failure_at < forget_before
                over = and_(forgotten, or_(t.c.blocked_until.is_(None), t.c.blocked_until <= now))
                stmt = stmt.on_conflict_do_update(
                    index_elements=[t.c.kind, t.c.subject],
                    set_={"failures": case((forgotten, 1), else_=t.c.failures + 1),
                          "last_failure_at": now,
                          "blocked_until": case((over, None), else_=t.c.blocked_until),
                          "locked": case((over, False), else_=t.c.locked)},
                ).returning(t.c.failures)
                failures = conn.execute(stmt).scalar_one()
                seconds, locked = block_after(kind, failures)
                if seconds > 0:
                    until = now + timedelta(seconds=seconds)
                    conn.execute(update(t).where(
                        t.c.kind == kind, t.c.subject == subject,
                        or_(t.c.blocked_until.is_(None), t.c.blocked_until < until))
                        .values(blocked_until=until, locked=locked))
                result.append(_row(conn.execute(select(t).where(
                    t.c.kind == kind, t.c.subject == subject)).one()))
        return result

    def forget(self, kind: str, subject: str) -> bool:
        with self._writing() as conn:
            return conn.execute(delete(t).where(t.c.kind == kind, t.c.subject == subject))\
                .rowcount > 0

    def forget_stale(self, forget_before: datetime, now: datetime) -> int:
        with self._writing() as conn:
            return conn.execute(delete(t).where(
                t.c.last_failure_at < forget_before,
                or_(t.c.blocked_until.is_(None), t.c.blocked_until <= now))).rowcount

    def list(self) -> list[LoginFailures]:
        with self._reading() as conn:
            return [_row(r) for r in conn.execute(select(t).order_by(t.c.kind, t.c.subject))]

    def lockouts(self, now: datetime) -> dict[str, int]:
        with self._reading() as conn:
            found = dict(conn.execute(select(t.c.kind, func.count()).where(
                t.c.locked.is_(True), t.c.blocked_until > now).group_by(t.c.kind)).all())
        return {kind: int(found.get(kind, 0)) for kind in KINDS}


def register_lockout_metrics(engine: Engine, clock, registry=None) -> None:
    """gateway_login_lockouts{kind="shop"|"address"}: lockouts now, read from the database
    at scrape time (right in every process, whichever process locked them)."""
    if registry is None:
        from gateway.metrics import REGISTRY as registry

    store = SqlLoginFailureStore(engine)
    registry.register_gauge_callback(
        "gateway_login_lockouts", "shop ids and client addresses locked out after failed "
        "logins (`gateway logins list`)",
        lambda: {(("kind", kind),): n for kind, n in store.lockouts(clock()).items()})
