"""The sync's own queries: a keyset page of open claims as small snapshots, and checkpoints.

The page query returns just what deciding "did anything change?" needs, so the
full reconciliation reads 500 claims per query instead of loading each claim
(and its debtor) one by one; only a claim that changed is loaded, under lock,
through the unit of work.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from gateway.domain.lifecycle import ClaimState, is_open
from gateway.store.tables import (applied_agency_changes, claims, sync_checkpoints,
                                  unmatched_agency_changes)

OPEN_STATES = tuple(s.value for s in ClaimState if is_open(s))


@dataclass(frozen=True)
class ClaimRef:
    """An open claim as last stored: identity plus the fields the agency may have changed."""

    id: int
    shop_id: str
    account: str
    shop_claim_id: str
    file_number: str
    state: ClaimState
    status_code: int | None
    total_debts: Decimal
    paid: Decimal
    outstanding: Decimal
    current_payout: Decimal
    sum_payout: Decimal


_COLUMNS = (claims.c.id, claims.c.shop_id, claims.c.agency_account, claims.c.shop_claim_id,
            claims.c.agency_file_number,
            claims.c.state, claims.c.agency_status_code, claims.c.total_debts, claims.c.paid,
            claims.c.outstanding, claims.c.current_payout, claims.c.sum_payout)


def _open_with_file(query, accounts: list[str]):
    return query.where(claims.c.agency_account.in_(accounts), claims.c.state.in_(OPEN_STATES),
                       claims.c.agency_file_number.is_not(None))


def _reader(engine: Engine):
    # A plain read: on SQLite do not take the write lock the gateway's writers queue on.
    return engine.connect().execution_options(sqlite_begin="DEFERRED")


def iter_open_claims(engine: Engine, accounts: list[str], after_id: int = 0,
                     page: int = 500) -> Iterator[ClaimRef]:
    """Open claims with a file number in id order, one short read per page."""
    while True:
        with _reader(engine) as conn:
            rows = conn.execute(_open_with_file(select(*_COLUMNS), accounts)
                                .where(claims.c.id > after_id)
                                .order_by(claims.c.id).limit(page)).all()
        if not rows:
            return
        for r in rows:
            yield ClaimRef(r.id, r.shop_id, r.agency_account, r.shop_claim_id,
                           r.agency_file_number,
                           ClaimState(r.state), r.agency_status_code, r.total_debts, r.paid,
                           r.outstanding, r.current_payout, r.sum_payout)
        after_id = rows[-1].id


def accounts_of_open_claims(engine: Engine, shop_ids: list[str]) -> list[tuple[str, str]]:
    """(agency account, shop id) of the shops' open claims: a claim stays on its account
    when its shop moves, so the sync reads those accounts too."""
    if not shop_ids:
        return []
    with _reader(engine) as conn:
        return [(r[0], r[1]) for r in conn.execute(
            select(claims.c.agency_account, claims.c.shop_id).distinct()
            .where(claims.c.agency_account.is_not(None), claims.c.state.in_(OPEN_STATES),
                   claims.c.shop_id.in_(shop_ids)))]


def has_open_claims(engine: Engine, shop_id: str) -> bool:
    with _reader(engine) as conn:
        return conn.execute(select(claims.c.id).where(
            claims.c.shop_id == shop_id, claims.c.state.in_(OPEN_STATES)).limit(1)).first() \
            is not None


def count_open_claims(engine: Engine, accounts: list[str], after_id: int = 0) -> int:
    with _reader(engine) as conn:
        return conn.execute(_open_with_file(select(func.count()), accounts)
                            .where(claims.c.id > after_id)).scalar_one()


def load_checkpoint(engine: Engine, name: str) -> dict[str, Any] | None:
    with _reader(engine) as conn:
        return conn.execute(select(sync_checkpoints.c.value)
                            .where(sync_checkpoints.c.name == name)).scalar_one_or_none()


def save_checkpoint(engine: Engine, name: str, value: dict[str, Any],
                    now: datetime | None = None) -> None:
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        done = conn.execute(update(sync_checkpoints).where(sync_checkpoints.c.name == name)
                            .values(value=value, updated_at=now)).rowcount
        if not done:
            conn.execute(insert(sync_checkpoints).values(name=name, value=value, updated_at=now))


def clear_checkpoint(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sync_checkpoints).where(sync_checkpoints.c.name == name))


@dataclass(frozen=True)
class UnmatchedChange:
    account: str
    file_number: str
    status_code: int
    status_text: str | None
    changed_at: datetime | None
    received_at: datetime


def unmatched_changes(engine: Engine, account: str | None = None,
                      limit: int = 1000) -> list[UnmatchedChange]:
    """Changes an agency reported for file numbers no claim of the account has, newest last."""
    query = select(unmatched_agency_changes).order_by(unmatched_agency_changes.c.id).limit(limit)
    if account:
        query = query.where(unmatched_agency_changes.c.agency_account == account)
    with _reader(engine) as conn:
        return [UnmatchedChange(r.agency_account, r.file_number, r.status_code, r.status_text,
                                r.changed_at, r.received_at) for r in conn.execute(query)]


def unmatched_counts(engine: Engine) -> dict[str, int]:
    """{account: unmatched changes} for the metrics."""
    with _reader(engine) as conn:
        return dict(conn.execute(
            select(unmatched_agency_changes.c.agency_account, func.count())
            .group_by(unmatched_agency_changes.c.agency_account)).all())


def prune_applied_changes(engine: Engine, applied_before: datetime) -> int:
    """Forget the keys of agency changes applied before applied_before: an agency delivers a
    batch again only until it is committed, so old keys dedupe nothing any more."""
    with engine.begin() as conn:
        return conn.execute(applied_agency_changes.delete().where(
            applied_agency_changes.c.applied_at < applied_before)).rowcount
