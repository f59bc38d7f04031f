"""The SQL unit of work: one connection, one transaction, claim + events + outbox together."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from gateway.domain.model import Claim

from . import tables
from .outbox_store import insert_messages
from .repositories import SqlClaimRepository, SqlShopRepository


class SqlUnitOfWork:
    """Use as `with uow_factory() as uow: ...; uow.commit()`. Leaving without commit rolls back."""

    def __init__(self, engine: Engine, *, read_only: bool = False):
        self.engine = engine
        self.read_only = read_only
        self.conn: Connection | None = None
        self._seen: list[Claim] = []

    def __enter__(self) -> "SqlUnitOfWork":
        conn = self.engine.connect()
        if self.read_only:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
        self.conn = conn
        self._tx = conn.begin()
        self._seen = []
        self.claims = SqlClaimRepository(conn, self._seen)
        self.shops = SqlShopRepository(conn)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()
            self.conn = None

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("read-only unit of work cannot commit")
        self._flush()
        self._tx.commit()
        for claim in self._seen:
            claim.pending_events.clear()
            claim.pending_messages.clear()

    def rollback(self) -> None:
        self._tx.rollback()

    def _flush(self) -> None:
        # Take each shop's event numbers first: it locks the shop row, so every
        # transaction that writes events for a shop queues on the same lock in
        # the same order, and a shop's changes feed commits in sequence order.
        touched = _unique(self._seen)
        by_shop: dict[str, int] = {}
        for claim in touched:
            if claim.pending_events:
                by_shop[claim.shop_id] = by_shop.get(claim.shop_id, 0) + len(claim.pending_events)
        next_seq = {shop: self.shops.take_event_seqs(shop, n) for shop, n in sorted(by_shop.items())}
        for claim in touched:
            if claim.id is None:
                self.claims.insert(claim)
            else:
                self.claims.update(claim)
            if claim.pending_events:
                self.claims.insert_events(claim, next_seq[claim.shop_id])
                next_seq[claim.shop_id] += len(claim.pending_events)
            if claim.pending_messages:
                insert_messages(self.conn, claim, claim.updated_at)

    # -- extras written in the same transaction ---------------------------------
    def record(self, table: str, values: dict[str, Any]) -> None:
        self.conn.execute(insert(tables.metadata.tables[table]).values(**values))

    def change_seen(self, agency: str, change_key: str, at: datetime) -> bool:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(tables.applied_agency_changes).values(
                    agency=agency, change_key=change_key, applied_at=at))
        except IntegrityError:
            return False
        return True


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
