"""Outbox rows: written by the unit of work; leased, completed and retried by the dispatcher."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from gateway.domain.model import Claim

from .tables import outbox

PENDING, DONE, FAILED, DEAD = "pending", "done", "failed", "dead"


def insert_messages(conn: Connection, claim: Claim, at: datetime) -> None:
    """Queue the claim's pending messages in the order the domain produced them."""
    conn.execute(insert(outbox), [
        dict(claim_id=claim.id, shop_id=claim.shop_id, kind=m.kind.value, payload=m.payload,
             state=PENDING, attempts=0, available_at=at, created_at=at, updated_at=at)
        for m in claim.pending_messages])
