"""Recording a batch: claim, event and outbox completion in one transaction, the version
check intact when the claim is saved with the narrow bulk statement."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gateway.dispatch import RetryPolicy
from gateway.dispatch.delivery import DELIVERED, Outcome
from gateway.dispatch.record import record_batch
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import CourtDates
from gateway.service import claims as claim_service
from gateway.store import outbox_store
from gateway.store.repositories import SqlClaimRepository

from .conftest import SHOP, now, outbox_rows, submit

WORKER = "test-worker"


def lease_and_read(gw, limit: int = 10):
    """What the dispatcher's loop does: lease, read the claims in the same transaction."""
    with gw.engine.begin() as conn:
        rows = outbox_store.lease(conn, WORKER, limit, 60.0, now())
        claims = SqlClaimRepository(conn, []).get_many([r.claim_id for r in rows])
    return rows, claims


def delivered(rows, claims) -> list[Outcome]:
    return [Outcome(row, DELIVERED, file_number=f"F{row.claim_id}", claim=claims[row.claim_id])
            for row in rows]


def test_a_batch_saves_claims_events_and_completions(gateway, shop):
    invoices = submit(gateway, 3)
    rows, claims = lease_and_read(gateway)
    assert len(rows) == 3 and set(claims) == {r.claim_id for r in rows}

    record_batch(gateway.uow, delivered(rows, claims), WORKER, RetryPolicy(), now)

    assert [r.state for r in outbox_rows(gateway)] == ["done"] * 3
    for inv in invoices:
        claim = claim_service.get_claim(gateway.read_uow, SHOP, inv)
        assert claim.state is ClaimState.SUBMITTED
        assert claim.agency_file_number == f"F{claim.id}"
        assert claim.version == 2
        _, events = claim_service.get_history(gateway.read_uow, SHOP, inv)
        assert [e.what for e in events] == ["received", "agency_accepted"]
    # The shop's feed stays gap-free and in order.
    seqs = [c.seq for c in claim_service.list_changes(gateway.uow, SHOP, 0, 100)]
    assert seqs == list(range(1, 7))


def test_a_claim_changed_after_the_read_is_not_overwritten(gateway, shop):
    invoices = submit(gateway, 3)
    rows, claims = lease_and_read(gateway)
    # The shop cancels one claim while its submit is at the agency.
    claim_service.cancel_claim(gateway.uow, SHOP, invoices[1], "paid in the shop")

    record_batch(gateway.uow, delivered(rows, claims), WORKER, RetryPolicy(), now)

    cancelled = claim_service.get_claim(gateway.read_uow, SHOP, invoices[1])
    # The version check sent the batch down the per-row path, which re-read the claim.
    assert cancelled.state is ClaimState.CANCEL_REQUESTED
    assert cancelled.agency_file_number == f"F{cancelled.id}"
    for inv in (invoices[0], invoices[2]):
        assert claim_service.get_claim(gateway.read_uow, SHOP, inv).state is ClaimState.SUBMITTED
    states = [r.state for r in outbox_rows(gateway)]
    assert states.count("done") == 3 and states.count("pending") == 1  # the cancel waits


def test_other_changes_to_a_batch_claim_are_written_in_full(gateway, shop):
    invoices = submit(gateway, 2)
    issued = date(2024, 5, 6)
    with gateway.uow() as uow:
        loaded = uow.claims.get_many(uow.claims.iter_ids())
        first, second = (loaded[i] for i in sorted(loaded))
        first.mark_submitted("F-1", now())
        second.mark_submitted("F-2", now())
        second.update_court_dates(CourtDates(dunning_order_issued_on=issued))
        uow.commit()

    first = claim_service.get_claim(gateway.read_uow, SHOP, invoices[0])
    second = claim_service.get_claim(gateway.read_uow, SHOP, invoices[1])
    assert (first.state, first.agency_file_number, first.version) == (
        ClaimState.SUBMITTED, "F-1", 2)
    assert (second.state, second.agency_file_number, second.version) == (
        ClaimState.SUBMITTED, "F-2", 2)
    assert second.court.dunning_order_issued_on == issued


def test_delivered_rows_and_old_change_keys_are_pruned_after_the_retention(gateway, shop):
    """Bounded growth: what is delivered and older than GATEWAY_KEEP_DELIVERED_DAYS goes;
    pending, failed and dead rows, and younger ones, stay."""
    from datetime import timedelta

    from sqlalchemy import insert, update

    from gateway.store import tables
    from gateway.sync.store import prune_applied_changes

    submit(gateway, 5)
    at = now()
    old = at - timedelta(days=31)
    ids = [r.id for r in outbox_rows(gateway)]
    with gateway.engine.begin() as conn:
        conn.execute(update(tables.outbox).where(tables.outbox.c.id.in_(ids[:2]))
                     .values(state="done", completed_at=old))
        conn.execute(update(tables.outbox).where(tables.outbox.c.id == ids[2])
                     .values(state="done", completed_at=at))
        conn.execute(update(tables.outbox).where(tables.outbox.c.id == ids[3])
                     .values(state="dead", completed_at=old))
        conn.execute(insert(tables.applied_agency_changes), [
            dict(agency_account="a", change_key="old", applied_at=old),
            dict(agency_account="a", change_key="new", applied_at=at)])
    with gateway.engine.begin() as conn:
        assert outbox_store.prune_delivered(conn, at - timedelta(days=30), batch=1) == 1
        assert outbox_store.prune_delivered(conn, at - timedelta(days=30)) == 1
        assert outbox_store.prune_delivered(conn, at - timedelta(days=30)) == 0
    assert [(r.id, r.state) for r in outbox_rows(gateway)] == [
        (ids[2], "done"), (ids[3], "dead"), (ids[4], "pending")]
    assert prune_applied_changes(gateway.engine, at - timedelta(days=30)) == 1
    with gateway.engine.connect() as conn:
        assert conn.execute(select(tables.applied_agency_changes.c.change_key)).scalars()\
            .all() == ["new"]
