"""The dispatcher against the real simulator: each kind, order, failures, backoff."""
from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import SYSTEM, CourtDunningInstruction
from gateway.service import claims as claim_service
from gateway.store import outbox_store as store
from gateway.store.tables import outbox

from tests.factories import content, wall_today

from .conftest import (CLIENT_ID, CLIENT_KEY, SHOP, Running, all_done, at_agency, dispatcher, now,
                       outbox_rows, states, submit, wait_for)


def get(gw, shop_claim_id):
    return claim_service.get_claim(gw.read_uow, SHOP, shop_claim_id)


def test_submit_goes_out_within_a_second_and_marks_the_claim(gateway, shop, fresh_sim, agencies):
    with Running(dispatcher(gateway, agencies, poll_s=0.25)):
        time.sleep(0.5)  # the worker is idle
        started = time.monotonic()
        [inv] = submit(gateway, 1)
        wait_for(lambda: fresh_sim.stats()["calls"].get("newClaim"), 2.0, "newClaim")
        assert time.monotonic() - started < 1.0
        wait_for(lambda: all_done(gateway, 1), 5.0, "the row done")
    claim = get(gateway, inv)
    assert claim.state is ClaimState.SUBMITTED
    assert claim.agency_file_number == at_agency(gateway, fresh_sim)[inv]


def test_the_worker_leases_and_records_on_the_gateways_clock(gateway, shop, fresh_sim, agencies):
    ahead = timedelta(days=2)
    gateway.clock = lambda: now() + ahead  # what the composition root hands every part
    [inv] = submit(gateway, 1)
    with Running(dispatcher(gateway, agencies)):
        wait_for(lambda: all_done(gateway, 1), 5.0, "the row done")
    [row] = outbox_rows(gateway)
    assert row.completed_at - now() > ahead - timedelta(minutes=5)
    assert get(gateway, inv).updated_at - now() > ahead - timedelta(minutes=5)


def test_each_kind_in_order(gateway, shop, fresh_sim, agencies):
    [a, b] = submit(gateway, 2)
    with Running(dispatcher(gateway, agencies)):
        wait_for(lambda: all_done(gateway, 2), 10.0, "both submitted")
        # Written while the worker runs: each claim's rows go out in this order.
        claim_service.report_direct_payment(gateway.uow, SHOP, a,
                                            wall_today() - timedelta(days=1), Decimal("20.00"))
        claim_service.cancel_claim(gateway.uow, SHOP, a, "paid directly")
        with gateway.uow() as uow:
            c = uow.claims.get(SHOP, b, for_update=True)
            c.request_court_dunning(CourtDunningInstruction.DUNNING_ONLY, SYSTEM, now())
            uow.commit()
        wait_for(lambda: all_done(gateway, 5), 10.0, "five rows done")
    calls = fresh_sim.stats()["calls"]
    assert calls["newClaim"] == 2 and calls["bookDirectPayment"] == 1
    assert calls["closeClaim"] == 1
    sim_a = fresh_sim.simulator.claim(at_agency(gateway, fresh_sim)[a])
    assert sim_a.paid == Decimal("20.00") and sim_a.code == 10210
    assert get(gateway, a).state is ClaimState.CANCELLED
    assert fresh_sim.simulator.claim(at_agency(gateway, fresh_sim)[b]).instruction == 1
    # Each claim's rows were completed in the order written.
    rows = [r for r in outbox_rows(gateway) if r.claim_id == get(gateway, a).id]
    assert [r.kind for r in rows] == ["SUBMIT_CLAIM", "REPORT_DIRECT_PAYMENT", "CANCEL_CLAIM"]
    assert [r.completed_at for r in rows] == sorted(r.completed_at for r in rows)


def test_rejection_makes_the_claim_rejected_and_ends_later_rows(gateway, shop, fresh_sim, agencies):
    # A claim the gateway accepted (its clock said the date had passed) but the agency's
    # clock puts in the future: the agency refuses it with its reason.
    bad = "BAD-1"
    future = wall_today() + timedelta(days=30)
    claim_service.submit_claim(gateway.uow, SHOP, content(bad, date_of_origin=future, due_date=None,
                                                          date_of_last_reminder=None),
                               now=now() + timedelta(days=60))
    with gateway.engine.begin() as conn:  # the row took that clock's time too: due it now
        conn.execute(update(outbox).values(available_at=now()))
    [good] = submit(gateway, 1, "GOOD")
    claim_service.cancel_claim(gateway.uow, SHOP, bad, None)
    with Running(dispatcher(gateway, agencies)):
        wait_for(lambda: states(gateway) == {"failed": 2, "done": 1}, 10.0, "rows settled")
    claim = get(gateway, bad)
    assert claim.state is ClaimState.REJECTED
    assert claim.rejection_reasons == ("Entstehungsdatum liegt in der Zukunft",)
    assert get(gateway, good).state is ClaimState.SUBMITTED
    rows = {r.kind: r for r in outbox_rows(gateway) if r.claim_id == claim.id}
    assert rows["SUBMIT_CLAIM"].last_error.startswith("AgencyRejected")
    assert "Entstehungsdatum" not in rows["SUBMIT_CLAIM"].last_error  # reasons: on the claim
    assert "rejected the claim" in rows["CANCEL_CLAIM"].last_error
    assert fresh_sim.stats()["calls"].get("closeClaim") is None


def test_transient_failure_is_retried_with_backoff_stored_in_the_row(gateway, shop, fresh_sim,
                                                                     agencies):
    from gateway.dispatch import RetryPolicy

    fresh_sim.inject("http503", "newClaim", count=1)
    policy = RetryPolicy(backoff_base_s=3.0, backoff_max_s=60.0, jitter_s=0.5)
    [inv] = submit(gateway, 1)
    before = now()
    with Running(dispatcher(gateway, agencies, policy=policy)):
        row = wait_for(lambda: next((r for r in outbox_rows(gateway) if r.last_error), None),
                       5.0, "the first failure recorded")
        assert row.state == "pending" and row.attempts == 1 and row.leased_by is None
        delay = (row.available_at - before).total_seconds()
        assert 3.0 <= delay <= 4.5, delay  # 3 s x 2**0 plus up to 0.5 s jitter
        assert row.last_error.startswith("AgencyTransient")
        assert fresh_sim.stats()["calls"]["newClaim"] == 1  # nothing before available_at
        wait_for(lambda: all_done(gateway, 1), 8.0, "delivered after the backoff")
    assert fresh_sim.stats()["calls"]["newClaim"] == 2 and len(fresh_sim.claims()) == 1


def test_retry_policy_grows_and_caps():
    from gateway.dispatch import RetryPolicy

    p = RetryPolicy(backoff_base_s=1.0, backoff_max_s=10.0, jitter_s=0.0, max_attempts=5,
                    max_age_s=100.0)
    assert [p.next_delay(n) for n in (1, 2, 3, 4, 5, 6)] == [1, 2, 4, 8, 10, 10]
    t = now()
    assert p.exhausted(4, t, t) is None and p.exhausted(5, t, t)
    assert p.exhausted(1, t - timedelta(seconds=101), t)


def test_exhausted_retries_end_dead_and_operator_replays(gateway, shop, fresh_sim, agencies):
    from gateway.dispatch import RetryPolicy

    fresh_sim.inject("http500", "newClaim", count=3)
    policy = RetryPolicy(max_attempts=3, backoff_base_s=0.05, backoff_max_s=0.1, jitter_s=0.0)
    [inv] = submit(gateway, 1)
    with Running(dispatcher(gateway, agencies, policy=policy)):
        wait_for(lambda: states(gateway) == {"dead": 1}, 5.0, "the row dead")
        [row] = outbox_rows(gateway)
        assert row.attempts == 3 and "gave up" in row.last_error
        with gateway.engine.begin() as conn:
            assert store.requeue(conn, store.dead_ids(conn), now()) == 1
        wait_for(lambda: all_done(gateway, 1), 5.0, "the replayed row done")
    assert get(gateway, inv).state is ClaimState.SUBMITTED


def test_auth_failure_fails_the_row_and_the_claim_stays(gateway, fresh_sim, agencies):
    from gateway.service.shops import add_shop

    add_shop(gateway.uow, SHOP, password="correct horse battery", agency_client_id="1001",
             agency_client_key="wrong-key")
    [inv] = submit(gateway, 1)
    with Running(dispatcher(gateway, agencies)):
        wait_for(lambda: states(gateway) == {"failed": 1}, 5.0, "the row failed")
    [row] = outbox_rows(gateway)
    assert row.last_error.startswith("AgencyAuthFailed")
    assert get(gateway, inv).state is ClaimState.RECEIVED


def test_a_shop_on_no_account_fails_loudly_and_its_claims_follow_it_onto_one(gateway, fresh_sim,
                                                                             agencies):
    from gateway.service.agency_accounts import add_account, put_shop_on_account
    from gateway.service.shops import add_shop

    add_shop(gateway.uow, SHOP, password="correct horse battery")
    [inv] = submit(gateway, 1)
    with Running(dispatcher(gateway, agencies)):
        wait_for(lambda: states(gateway) == {"failed": 1}, 5.0, "the row failed")
    [row] = outbox_rows(gateway)
    assert row.last_error.startswith("MissingAgencyAccount")
    assert fresh_sim.stats()["calls"] == {}

    add_account(gateway.uow, "merchant", "default", str(CLIENT_ID), CLIENT_KEY)
    assert put_shop_on_account(gateway.uow, SHOP, "merchant") == 1  # the waiting claim follows
    with gateway.engine.begin() as conn:
        assert store.requeue(conn, [row.id], now()) == 1
    with Running(dispatcher(gateway, agencies)):
        wait_for(lambda: all_done(gateway, 1), 5.0, "the row done")
    claim = get(gateway, inv)
    assert (claim.state, claim.agency_account) == (ClaimState.SUBMITTED, "merchant")


def test_poison_row_does_not_block_other_claims(gateway, shop, fresh_sim, agencies):
    # A row the worker cannot even handle (a kind no code knows) fails on every attempt;
    # the claims behind it in the queue flow past it.
    [poison] = submit(gateway, 1, "POISON")
    with gateway.engine.begin() as conn:
        conn.execute(update(outbox).values(kind="NO_SUCH_KIND"))
    others = submit(gateway, 20, "OK")
    with Running(dispatcher(gateway, agencies, concurrency=4)):
        wait_for(lambda: states(gateway) == {"done": 20, "pending": 1}, 10.0, "the others done")
        bad = wait_for(lambda: [r for r in outbox_rows(gateway) if r.state == "pending"
                                and r.attempts >= 2], 10.0, "the poison row retried")
    assert "internal error" in bad[0].last_error
    assert set(at_agency(gateway, fresh_sim)) == set(others)


def test_a_later_message_waits_for_the_earlier(gateway, shop, fresh_sim, agencies):
    [inv] = submit(gateway, 1)
    claim_service.cancel_claim(gateway.uow, SHOP, inv, None)
    fresh_sim.inject("http503", "newClaim", count=1)
    from gateway.dispatch import RetryPolicy

    policy = RetryPolicy(backoff_base_s=1.0, backoff_max_s=1.0, jitter_s=0.0)
    with Running(dispatcher(gateway, agencies, policy=policy)):
        wait_for(lambda: any(r.last_error for r in outbox_rows(gateway)), 5.0, "first failure")
        time.sleep(0.5)  # the cancel is due, but its submit is not done
        assert fresh_sim.stats()["calls"].get("closeClaim") is None
        wait_for(lambda: all_done(gateway, 2), 5.0, "both done")
    assert get(gateway, inv).state is ClaimState.CANCELLED


def test_a_call_longer_than_the_lease_keeps_its_row_by_the_heartbeat(gateway, shop, fresh_sim,
                                                                     agencies):
    # Every call takes 2.5 lease periods: without renewals the worker would take its own
    # rows again when their lease ran out and send each claim twice.
    fresh_sim.app.latency_s = 2.5
    try:
        submit(gateway, 3)
        with Running(dispatcher(gateway, agencies, lease_s=1.0, concurrency=4)):
            wait_for(lambda: all_done(gateway, 3), 20.0, "all delivered")
    finally:
        fresh_sim.app.latency_s = 0.0
    stats = fresh_sim.stats()
    assert (stats["calls"]["newClaim"], stats["duplicates"]) == (3, 0)
    assert all(r.attempts == 1 for r in outbox_rows(gateway))
