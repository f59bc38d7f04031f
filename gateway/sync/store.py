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
from gateway.store.tables import claims, sync_checkpoints

OPEN_STATES = tuple(s.value for s in ClaimState if is_open(s))


@dataclass(frozen=True)
class ClaimRef:
    """An open claim as last stored: identity plus the fields the agency may have changed."""

    id: int
    shop_id: str
    shop_claim_id: str
    file_number: str
    state: ClaimState
    status_code: int | None
    total_debts: Decimal
    paid: Decimal
    outstanding: Decimal
    current_payout: Decimal
    sum_payout: Decimal


_COLUMNS = (claims.c.id, claims.c.shop_id, claims.c.shop_claim_id, claims.c.agency_file_number,
            claims.c.state, claims.c.agency_status_code, claims.c.total_debts, claims.c.paid,
            claims.c.outstanding, claims.c.current_payout, claims.c.sum_payout)


def _open_with_file(query, agency: str):
    return query.where(claims.c.agency == agency, claims.c.state.in_(OPEN_STATES),
                       claims.c.agency_file_number.is_not(None))


def _reader(engine: Engine):
    # A plain read: on SQLite do not take the write lock the gateway's writers queue on.
    return engine.connect().execution_options(sqlite_begin="DEFERRED")


def iter_open_claims(engine: Engine, agency: str, after_id: int = 0,
                     page: int = 500) -> Iterator[ClaimRef]:
    """Open claims with a file number in id order, one short read per page."""
    while True:
        with _reader(engine) as conn:
            rows = conn.execute(_open_with_file(select(*_COLUMNS), agency)
                                .where(claims.c.id > after_id)
                                .order_by(claims.c.id).limit(page)).all()
        if not rows:
            return
        for r in rows:
            yield ClaimRef(r.id, r.shop_id, r.shop_claim_id, r.agency_file_number,
                           ClaimState(r.state), r.agency_status_code, r.total_debts, r.paid,
                           r.outstanding, r.current_payout, r.sum_payout)
        after_id = rows[-1].id


def count_open_claims(engine: Engine, agency: str, after_id: int = 0) -> int:
    with _reader(engine) as conn:
        return conn.execute(_open_with_file(select(func.count()), agency)
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
