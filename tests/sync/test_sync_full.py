"""`gateway sync --full`: every open claim reconciled; a crashed run resumes from its checkpoint."""
from __future__ import annotations

from decimal import Decimal


from gateway.domain.lifecycle import ClaimState
from gateway.sync import FULL_CHECKPOINT
from gateway.sync.store import load_checkpoint, save_checkpoint
from tests.sync.helpers import add_shops, claim_ids, history, seed, status_events, sync


def test_full_sync_takes_status_and_accounting_from_the_agency(gateway, sim):
    add_shops(gateway)
    made = {"shop-a": seed(gateway, sim, "shop-a", 4), "shop-b": seed(gateway, sim, "shop-b", 2)}
    paying_id, paying_no = made["shop-a"][0]
    sim.advance(2)
    sim.simulator.direct_payment(1001, paying_no, sim.simulator.clock.now().date(),
                                 Decimal("50.00"))  # 10218: part paid

    report = sync(gateway, sim, full=True, concurrency=3)

    assert report.exit_code == 0, report.as_dict()
    assert report.checked == 6
    assert report.changed == {"IN_COLLECTION": 5, "PARTIALLY_PAID": 1}
    claim, _ = history(gateway, "shop-a", paying_id)
    assert claim.state is ClaimState.PARTIALLY_PAID
    assert (claim.accounting.paid, claim.accounting.outstanding) == (Decimal("50.00"),
                                                                     Decimal("104.90"))
    assert load_checkpoint(gateway.engine, FULL_CHECKPOINT) is None  # finished: cleared

    again = sync(gateway, sim, full=True)
    assert again.checked == 6 and again.changed == {} and again.unchanged == 6


def test_unknown_code_lands_in_needs_review_once(gateway, sim):
    add_shops(gateway, "shop-a")
    (claim_id, number), (other_id, _) = seed(gateway, sim, "shop-a", 2)
    sim.advance(2)
    sim.force_status(number, 19999, "Sonderfall")

    first = sync(gateway, sim, full=True)
    second = sync(gateway, sim, full=True)

    assert first.exit_code == second.exit_code == 0
    assert first.changed == {"IN_COLLECTION": 1, "NEEDS_REVIEW": 1}
    claim, events = history(gateway, "shop-a", claim_id)
    assert claim.state is ClaimState.NEEDS_REVIEW and claim.agency_status_code == 19999
    assert [e.details.get("unknownStatusCode") for e in events
            if e.state_after is ClaimState.NEEDS_REVIEW] == [19999]
    assert status_events(gateway, "shop-a", other_id) == ["IN_COLLECTION"]


def test_a_claim_the_agency_does_not_know_fails_alone_and_is_named(gateway, sim):
    add_shops(gateway, "shop-a")
    made = seed(gateway, sim, "shop-a", 3)
    with gateway.uow() as uow:  # a file number the agency never gave out
        claim = uow.claims.get("shop-a", made[1][0], for_update=True)
        claim.agency_file_number = "99999999999"
        uow.commit()
    sim.advance(2)

    report = sync(gateway, sim, full=True)

    assert report.exit_code == 1
    assert [(f.shop_id, f.shop_claim_id) for f in report.failures] == [("shop-a", made[1][0])]
    assert report.changed == {"IN_COLLECTION": 2}


def test_rerun_resumes_after_the_checkpoint_and_finishes(gateway, sim):
    add_shops(gateway, "shop-a")
    made = seed(gateway, sim, "shop-a", 6)
    sim.advance(2)
    ids = claim_ids(gateway)
    # What a run killed after the first three claims leaves behind.
    save_checkpoint(gateway.engine, FULL_CHECKPOINT, {"after_id": ids[2]})

    report = sync(gateway, sim, full=True)

    assert report.resumed_after_id == ids[2]
    assert report.checked == 3 and report.changed == {"IN_COLLECTION": 3}
    assert [status_events(gateway, "shop-a", c) for c, _ in made[3:]] == [["IN_COLLECTION"]] * 3
    assert [status_events(gateway, "shop-a", c) for c, _ in made[:3]] == [[]] * 3
    assert load_checkpoint(gateway.engine, FULL_CHECKPOINT) is None
    assert sync(gateway, sim, full=True, restart=True).changed == {"IN_COLLECTION": 3}


def test_agency_going_away_mid_run_keeps_the_checkpoint_then_the_rerun_finishes(gateway, sim):
    add_shops(gateway, "shop-a")
    made = seed(gateway, sim, "shop-a", 30)
    sim.advance(2)
    ids = claim_ids(gateway)
    # Five claims are answered (a zero-delay "latency" fault answers normally), then the
    # agency answers 503 to all 3 tries of the next 20 claims: the breaker stops the run.
    sim.inject("latency", "getClaimStatus", count=5, delay_s=0.0)
    sim.inject("http503", "getClaimStatus", count=20 * 3)

    report = sync(gateway, sim, full=True, concurrency=1)

    assert report.exit_code == 2 and "agency unreachable" in report.aborted
    assert report.changed == {"IN_COLLECTION": 5}
    # The claims that failed in the outage are not skipped by the rerun.
    assert load_checkpoint(gateway.engine, FULL_CHECKPOINT)["after_id"] == ids[4]

    rerun = sync(gateway, sim, full=True)
    assert rerun.exit_code == 0 and rerun.resumed_after_id == ids[4]
    assert rerun.changed == {"IN_COLLECTION": 25}
    assert all(status_events(gateway, "shop-a", c) == ["IN_COLLECTION"] for c, _ in made)
