"""`gateway sync` over the changes feed: exactly once per change, batch by batch, per shop."""
from __future__ import annotations

from decimal import Decimal

from gateway.domain.lifecycle import ClaimState
from gateway.service.agency_port import AgencyCredentials
from gateway.agencies.mediafinanz import MediafinanzAgency
from gateway.store import tables
from tests.sync.helpers import (CLIENTS, add_shops, count, event_count, history, seed,
                                status_events, sync)


def test_several_shops_each_with_its_own_credentials(gateway, sim):
    add_shops(gateway)
    a = seed(gateway, sim, "shop-a", 3)
    b = seed(gateway, sim, "shop-b", 2)
    sim.advance(2)  # every claim gets its first letter: 10203, IN_COLLECTION

    report = sync(gateway, sim)

    assert report.exit_code == 0, report.as_dict()
    assert report.changed == {"IN_COLLECTION": 5} and report.failed == 0
    for shop_id, made in (("shop-a", a), ("shop-b", b)):
        for shop_claim_id, _ in made:
            assert status_events(gateway, shop_id, shop_claim_id) == ["IN_COLLECTION"]
    # Each client's own feed was drained (one client cannot read the other's).
    assert sim.simulator.status_changes(1001) == (None, [])
    assert sim.simulator.status_changes(1002) == (None, [])


def test_refused_credentials_of_one_shop_do_not_stop_the_others(gateway, sim):
    add_shops(gateway, keys={"shop-b": "wrong-key"})
    (a_id, _), = seed(gateway, sim, "shop-a", 1)
    sim.advance(2)

    report = sync(gateway, sim)

    assert report.exit_code == 2
    assert list(report.config_errors) == ["account client-1002"]  # shop-b's account
    assert status_events(gateway, "shop-a", a_id) == ["IN_COLLECTION"]


def test_crash_between_store_and_agency_commit_applies_each_change_exactly_once(gateway, sim):
    add_shops(gateway, "shop-a")
    made = seed(gateway, sim, "shop-a", 5)
    assert sync(gateway, sim).exit_code == 0  # drain the creation changes (10201)
    (first_id, first_no), (second_id, second_no) = made[:2]
    # Two moves of one claim in one batch: re-applying them would record both again.
    sim.force_status(first_no, 10203)
    sim.force_status(first_no, 10208)
    sim.force_status(second_no, 10203)
    sim.force_status(made[2][1], 10203)
    sim.force_status(made[3][1], 10203)  # fifth change: a second batch (batch size 4)
    # The agency fails every commitTransaction attempt of this run (3 tries):
    # the first batch is stored, but the agency never hears it was.
    sim.inject("server_fault", "commitTransaction", count=3)

    crashed = sync(gateway, sim)

    assert crashed.exit_code == 2 and "agency unreachable" in crashed.aborted
    assert status_events(gateway, "shop-a", first_id) == ["IN_COLLECTION", "PARTIALLY_PAID"]
    stored_events = event_count(gateway)

    rerun = sync(gateway, sim)

    assert rerun.exit_code == 0, rerun.as_dict()
    assert rerun.already_applied == 4  # the whole first batch came back ...
    assert rerun.changed == {"IN_COLLECTION": 1}  # ... and only the fifth change was new
    assert event_count(gateway) == stored_events + 1
    assert status_events(gateway, "shop-a", first_id) == ["IN_COLLECTION", "PARTIALLY_PAID"]
    assert status_events(gateway, "shop-a", second_id) == ["IN_COLLECTION"]
    assert status_events(gateway, "shop-a", made[3][0]) == ["IN_COLLECTION"]
    claim, _ = history(gateway, "shop-a", first_id)
    # Money moved: the accounting figures came along with the status.
    assert claim.accounting.total_debts == Decimal("154.90")
    assert sim.simulator.status_changes(1001) == (None, [])


def test_an_uncommitted_batch_comes_back(gateway, sim):
    add_shops(gateway, "shop-a")
    (claim_id, number), _ = seed(gateway, sim, "shop-a", 2)
    sim.advance(2)
    # A run that fetched the batch and died before storing it.
    agency = MediafinanzAgency(sim.url, sim.application_key, timeout_s=2.0)
    creds = AgencyCredentials("1001", CLIENTS[1001])
    lost = agency.get_status_changes(creds)
    agency.close()
    assert lost.transaction_id and lost.changes

    report = sync(gateway, sim)

    assert report.exit_code == 0
    assert status_events(gateway, "shop-a", claim_id) == ["IN_COLLECTION"]
    # The sync committed exactly the transaction the dead run had left open.
    assert sim.simulator.commit(1001, lost.transaction_id) is True
    assert sim.simulator.status_changes(1001) == (None, [])


def test_unknown_code_lands_in_needs_review_once_with_the_code(gateway, sim):
    add_shops(gateway, "shop-a")
    (claim_id, number), (other_id, other_no) = seed(gateway, sim, "shop-a", 2)
    sim.force_status(number, 19999, "neuer Code")
    sim.force_status(number, 19998)  # a second unknown code: still one review
    sim.force_status(other_no, 10203)  # the run goes on past the unknown codes

    report = sync(gateway, sim)

    assert report.exit_code == 0
    claim, events = history(gateway, "shop-a", claim_id)
    assert claim.state is ClaimState.NEEDS_REVIEW and claim.agency_status_code == 19998
    reviews = [e for e in events if e.state_after is ClaimState.NEEDS_REVIEW]
    assert len(reviews) == 1 and reviews[0].details["unknownStatusCode"] == 19999
    assert status_events(gateway, "shop-a", other_id) == ["IN_COLLECTION"]


def test_change_for_an_unknown_file_number_is_kept_counted_and_shown(gateway, sim, db_url):
    from gateway.metrics import Registry
    from gateway.sync.metrics import register_sync_metrics
    from gateway.sync.store import unmatched_changes
    from tests.factories import content
    from tests.integration.test_cli import run

    add_shops(gateway, "shop-a")
    (claim_id, _), = seed(gateway, sim, "shop-a", 1)
    # E.g. entered at the agency by hand: the gateway never heard of it.
    stranger, _ = sim.simulator.new_claim(1001, content("NOT-IN-THE-GATEWAY"))
    sim.advance(2)

    report = sync(gateway, sim)

    assert report.exit_code == 0
    assert report.unknown_file_numbers == 2  # its creation and its first letter
    assert status_events(gateway, "shop-a", claim_id) == ["IN_COLLECTION"]
    assert count(gateway, tables.applied_agency_changes) == 2  # only the known claim's
    # Kept before the batch was committed at the agency, so nothing is lost.
    kept = unmatched_changes(gateway.engine)
    assert [(c.account, c.file_number, c.status_code) for c in kept] == [
        ("client-1001", stranger, 10201), ("client-1001", stranger, 10203)]
    shown = run("accounts", "unmatched", db_url=db_url)
    assert shown.returncode == 0 and shown.stdout.count(stranger) == 2
    registry = Registry()
    register_sync_metrics(gateway.engine, registry)
    assert 'gateway_agency_changes_unmatched{account="client-1001"} 2' in registry.render()
    assert sync(gateway, sim).unknown_file_numbers == 0  # nothing new, nothing twice
