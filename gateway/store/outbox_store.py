"""Outbox rows: written by the unit of work; leased, completed and retried by the dispatcher.

A row is pending until it ends done, failed (permanent: rejection, credentials)
or dead (retries exhausted). A lease (leased_until, leased_by) marks a pending
row in flight; when it runs out (a worker died) the row is free again.

Per-claim order: a row can be leased only when every earlier row of its claim
is done, so a claim's messages go out in the order written and a stuck claim
(a failed or dead head row) holds back its own later rows and nobody else's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import and_, any_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row

from gateway.domain.model import Claim

from .tables import claims, outbox, sync_checkpoints

PENDING, DONE, FAILED, DEAD = "pending", "done", "failed", "dead"
STATES = (PENDING, DONE, FAILED, DEAD)
SQLITE_WORKER_LOCK = "outbox-worker-lock"


@dataclass(frozen=True)
class OutboxRow:
    """One outbox message. payload holds no debtor data (dates, amounts, instructions)."""

    id: int
    claim_id: int
    shop_id: str
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    available_at: datetime
    leased_until: datetime | None
    leased_by: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


def _row(r: Row) -> OutboxRow:
    return OutboxRow(id=r.id, claim_id=r.claim_id, shop_id=r.shop_id, kind=r.kind,
                     payload=dict(r.payload or {}), state=r.state, attempts=r.attempts,
                     available_at=r.available_at, leased_until=r.leased_until,
                     leased_by=r.leased_by, last_error=r.last_error, created_at=r.created_at,
                     updated_at=r.updated_at, completed_at=r.completed_at)


_INSERT_OUTBOX = insert(outbox)


def insert_messages_many(conn: Connection, claims: list[Claim]) -> None:
    """Queue the claims' pending messages, in the order the domain produced them, in one
    statement (each at its claim's updated_at, due then or at its not_before)."""
    rows = [dict(claim_id=claim.id, shop_id=claim.shop_id, kind=m.kind.value, payload=m.payload,
                 state=PENDING, attempts=0, available_at=m.not_before or claim.updated_at,
                 created_at=claim.updated_at, updated_at=claim.updated_at)
            for claim in claims for m in claim.pending_messages]
    if rows:
        conn.execute(_INSERT_OUTBOX, rows)


# -- the dispatcher's side ---------------------------------------------------------
# Built once (the dispatcher leases many times a second). Deliverable: pending, due, not
# leased by anyone (or the lease ran out), and the first not-done row of its claim.
_NOW = bindparam("now", type_=outbox.c.updated_at.type)
_EARLIER = outbox.alias("earlier")
_DUE = (select(outbox.c.id)
        .where(outbox.c.state == PENDING, outbox.c.available_at <= _NOW,
               or_(outbox.c.leased_until.is_(None), outbox.c.leased_until < _NOW),
               ~select(_EARLIER.c.id).where(_EARLIER.c.claim_id == outbox.c.claim_id,
                                            _EARLIER.c.id < outbox.c.id,
                                            _EARLIER.c.state != DONE).exists())
        .order_by(outbox.c.available_at, outbox.c.id)
        .limit(bindparam("limit")))
_TAKE = (update(outbox)
         .values(leased_until=bindparam("until", type_=outbox.c.leased_until.type),
                 leased_by=bindparam("worker"), attempts=outbox.c.attempts + 1, updated_at=_NOW)
         .returning(*outbox.c))
_TAKE_IDS = _TAKE.where(outbox.c.id.in_(bindparam("ids", expanding=True)))
# PostgreSQL: pick and take in one statement. ARRAY(subquery) runs the locking pick
# exactly once (an IN subquery may be re-run by the planner and take more than limit).
_LEASE_PG = _TAKE.where(outbox.c.id == any_(func.array(
    _DUE.with_for_update(skip_locked=True, of=outbox).scalar_subquery())))
# The same, leaving out the rows of some agency accounts (those whose agency connection
# has all the calls in flight the worker gives one connection).
# The account is read by a scalar subquery, a primary-key probe per candidate row: the
# planner cannot turn it into a join (a NOT EXISTS was, under PostgreSQL's generic plan for
# prepared statements, a nested loop over all of an account's claims: 200 ms a lease).
_ACCOUNT_OF_ROW = select(claims.c.agency_account).where(
    claims.c.id == outbox.c.claim_id).scalar_subquery()
_DUE_NOT_EXCLUDED = _DUE.where(func.coalesce(_ACCOUNT_OF_ROW, "").not_in(
    bindparam("excluded", expanding=True)))
_LEASE_PG_NOT_EXCLUDED = _TAKE.where(outbox.c.id == any_(func.array(
    _DUE_NOT_EXCLUDED.with_for_update(skip_locked=True, of=outbox).scalar_subquery())))
_GIVE_BACK = (update(outbox)
              .where(outbox.c.id.in_(bindparam("ids", expanding=True)),
                     outbox.c.leased_by == bindparam("worker"), outbox.c.state == PENDING)
              .values(leased_until=None, leased_by=None, attempts=outbox.c.attempts - 1))


def lease(conn: Connection, worker_id: str, limit: int, lease_s: float,
          now: datetime, excluded_accounts: Iterable[str] = ()) -> list[OutboxRow]:
    """Lease up to `limit` deliverable rows to worker_id; the caller commits right after.

    Deliverable: pending, due, not leased by anyone (or the lease ran out), and the
    first not-done row of its claim; not a row of a claim handed to one of
    `excluded_accounts`. On PostgreSQL FOR UPDATE SKIP LOCKED lets several workers
    lease at once without waiting on or taking each other's rows; SQLite serialises
    writers (BEGIN IMMEDIATE) and runs a single worker anyway.
    """
    if limit <= 0:
        return []
    params = {"now": now, "limit": limit, "until": now + timedelta(seconds=lease_s),
              "worker": worker_id}
    excluded = sorted(set(excluded_accounts))
    if excluded:
        params["excluded"] = excluded
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_LEASE_PG_NOT_EXCLUDED if excluded else _LEASE_PG, params).all()
    else:
        ids = conn.execute(_DUE_NOT_EXCLUDED if excluded else _DUE, params).scalars().all()
        if not ids:
            return []
        rows = conn.execute(_TAKE_IDS, {**params, "ids": ids}).all()
    return sorted((_row(r) for r in rows), key=lambda r: r.id)


def give_back(conn: Connection, row_ids: Iterable[int], worker_id: str) -> int:
    """Undo the lease of rows this worker took but will not call now (inside the leasing
    transaction): free for any worker at once, the attempt not counted."""
    ids = list(row_ids)
    if not ids:
        return 0
    return conn.execute(_GIVE_BACK, {"ids": ids, "worker": worker_id}).rowcount


_RENEW = (update(outbox)
          .where(outbox.c.leased_by == bindparam("worker"), outbox.c.state == PENDING,
                 outbox.c.leased_until.is_not(None))
          .values(leased_until=bindparam("until", type_=outbox.c.leased_until.type)))


def renew_leases(conn: Connection, worker_id: str, lease_s: float, now: datetime) -> int:
    """The heartbeat: extend every lease worker_id holds (rows in flight or queued) to
    now + lease_s. A live worker keeps its rows however long an agency call takes, so the
    lease can be short and a dead worker's rows come free soon. Returns how many."""
    return conn.execute(_RENEW, {"worker": worker_id,
                                 "until": now + timedelta(seconds=lease_s)}).rowcount


PRUNE_BATCH = 5000


def prune_delivered(conn: Connection, done_before: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to `batch` rows delivered before done_before (the caller repeats while it
    gets a full batch): the table and its lease query stay small however many claims went
    through. Pending, failed and dead rows stay."""
    ids = select(outbox.c.id).where(outbox.c.state == DONE,
                                    outbox.c.completed_at < done_before).limit(batch)
    return conn.execute(outbox.delete().where(
        outbox.c.id.in_(ids.scalar_subquery()))).rowcount


def _owned(row_id: int, worker_id: str):
    # A worker records a result only while the row is still its own: if its lease ran
    # out and another worker took the row, that worker's result counts.
    return and_(outbox.c.id == row_id, outbox.c.state == PENDING,
                outbox.c.leased_by == worker_id)


def complete(conn: Connection, row_id: int, worker_id: str, now: datetime) -> bool:
    """done; False when the row is no longer this worker's."""
    return _finish(conn, row_id, worker_id, now, DONE, None)


def complete_many(conn: Connection, row_ids: list[int], worker_id: str,
                  now: datetime) -> set[int]:
    """done for many rows in one statement; returns the ids that were still this worker's."""
    if not row_ids:
        return set()
    rows = conn.execute(_COMPLETE_MANY, {"ids": list(row_ids), "worker": worker_id,
                                         "now": now}).scalars().all()
    return set(rows)


_COMPLETE_MANY = (update(outbox)
                  .where(outbox.c.id.in_(bindparam("ids", expanding=True)),
                         outbox.c.state == PENDING, outbox.c.leased_by == bindparam("worker"))
                  .values(state=DONE, leased_until=None, leased_by=None, updated_at=_NOW,
                          completed_at=_NOW)
                  .returning(outbox.c.id))


def fail(conn: Connection, row_id: int, worker_id: str, now: datetime, error: str) -> bool:
    """failed: permanent, an operator decides (`gateway outbox retry`)."""
    return _finish(conn, row_id, worker_id, now, FAILED, error)


def bury(conn: Connection, row_id: int, worker_id: str, now: datetime, error: str) -> bool:
    """dead: retries exhausted."""
    return _finish(conn, row_id, worker_id, now, DEAD, error)


def retry_later(conn: Connection, row_id: int, worker_id: str, now: datetime,
                available_at: datetime, error: str) -> bool:
    """Back to pending, due at available_at (the backoff lives in the row, not in a sleep)."""
    result = conn.execute(update(outbox).where(_owned(row_id, worker_id)).values(
        available_at=available_at, leased_until=None, leased_by=None,
        last_error=_clip(error), updated_at=now))
    return result.rowcount == 1


def _finish(conn: Connection, row_id: int, worker_id: str, now: datetime, state: str,
            error: str | None) -> bool:
    values: dict[str, Any] = dict(state=state, leased_until=None, leased_by=None, updated_at=now,
                                  completed_at=now)
    if error is not None:
        values["last_error"] = _clip(error)
    result = conn.execute(update(outbox).where(_owned(row_id, worker_id)).values(**values))
    return result.rowcount == 1


def fail_later_rows(conn: Connection, claim_id: int, after_id: int, now: datetime,
                    error: str) -> int:
    """End a claim's pending rows after after_id as failed: they can never go (e.g. the
    agency rejected the claim itself), and would otherwise wait forever."""
    result = conn.execute(update(outbox).where(
        outbox.c.claim_id == claim_id, outbox.c.id > after_id, outbox.c.state == PENDING)
        .values(state=FAILED, leased_until=None, leased_by=None, last_error=_clip(error),
                updated_at=now, completed_at=now))
    return result.rowcount


def _clip(error: str) -> str:
    return error if len(error) <= 2000 else error[:1997] + "..."


# -- operators -------------------------------------------------------------------
def list_rows(conn: Connection, state: str | None = None, limit: int = 100) -> list[OutboxRow]:
    query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
    if state:
        query = query.where(outbox.c.state == state)
    return [_row(r) for r in conn.execute(query)]


def get_row(conn: Connection, row_id: int) -> OutboxRow | None:
    row = conn.execute(select(outbox).where(outbox.c.id == row_id)).first()
    return _row(row) if row else None


def requeue(conn: Connection, row_ids: Iterable[int], now: datetime) -> int:
    """Failed or dead rows back to pending with a fresh attempt budget, due now."""
    ids = list(row_ids)
    if not ids:
        return 0
    result = conn.execute(update(outbox).where(
        outbox.c.id.in_(ids), outbox.c.state.in_((FAILED, DEAD)))
        .values(state=PENDING, attempts=0, available_at=now, created_at=now, leased_until=None,
                leased_by=None, completed_at=None, updated_at=now))
    return result.rowcount


def dead_ids(conn: Connection) -> list[int]:
    return conn.execute(select(outbox.c.id).where(outbox.c.state == DEAD)
                        .order_by(outbox.c.id)).scalars().all()


def counts(conn: Connection) -> dict[str, int]:
    found = dict(conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all())
    return {state: int(found.get(state, 0)) for state in STATES}


def oldest_pending_created_at(conn: Connection) -> datetime | None:
    return conn.execute(select(func.min(outbox.c.created_at))
                        .where(outbox.c.state == PENDING)).scalar()


def stats(engine: Engine, now: datetime) -> dict[str, float]:
    """Counts per state and the age in seconds of the oldest pending row (0 when none)."""
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        by_state = counts(conn)
        oldest = oldest_pending_created_at(conn)
    if oldest is not None and oldest.tzinfo is None:  # min() over SQLite skips the column type
        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=now.tzinfo)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return {**{f"outbox_{s}": float(n) for s, n in by_state.items()},
            "outbox_oldest_pending_age_seconds": age}


# -- SQLite: one worker at a time ---------------------------------------------------
def take_worker_lock(conn: Connection, worker_id: str, now: datetime,
                     ttl_s: float) -> tuple[bool, str | None]:
    """Take or renew the single-worker lock (a row in sync_checkpoints with an expiry).

    Returns (True, None) when worker_id holds it now, else (False, holder). A worker
    that died keeps it until the expiry; then the next one takes it over.
    """
    row = conn.execute(select(sync_checkpoints.c.value).where(
        sync_checkpoints.c.name == SQLITE_WORKER_LOCK)).first()
    value = {"owner": worker_id, "expires": (now + timedelta(seconds=ttl_s)).isoformat()}
    if row is None:
        conn.execute(insert(sync_checkpoints).values(name=SQLITE_WORKER_LOCK, value=value,
                                                     updated_at=now))
        return True, None
    holder = row.value or {}
    expired = datetime.fromisoformat(holder.get("expires", now.isoformat())) <= now
    if holder.get("owner") != worker_id and not expired:
        return False, holder.get("owner")
    conn.execute(update(sync_checkpoints).where(sync_checkpoints.c.name == SQLITE_WORKER_LOCK)
                 .values(value=value, updated_at=now))
    return True, None


def release_worker_lock(conn: Connection, worker_id: str) -> None:
    row = conn.execute(select(sync_checkpoints.c.value).where(
        sync_checkpoints.c.name == SQLITE_WORKER_LOCK)).first()
    if row is not None and (row.value or {}).get("owner") == worker_id:
        conn.execute(sync_checkpoints.delete().where(
            sync_checkpoints.c.name == SQLITE_WORKER_LOCK))
