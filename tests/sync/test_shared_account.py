"""Several shops on one agency account: their claims never merge at the agency, and every
status change of each arrives, by the changes feed and by the full reconciliation."""
from __future__ import annotations

import pytest

from gateway.app import AgencyRegistry
from gateway.dispatch import Dispatcher
from gateway.service import claims as uc
from gateway.service.agency_accounts import add_account, put_shop_on_account
from gateway.service.shops import add_shop
from tests.dispatch.conftest import FAST_RETRY, Running, all_done, wait_for
from tests.factories import NOW, content
from tests.sync.helpers import CLIENTS, sync

SHOPS = ("shop-de", "shop-at")


@pytest.fixture
def merchant(gateway):
    """A merchant's two storefronts on one agency account (client 1001)."""
    add_account(gateway.uow, "merchant", "default", "1001", CLIENTS[1001])
    for shop in SHOPS:
        add_shop(gateway.uow, shop, password="correct horse battery", account="merchant")
    return "merchant"


def hand_over(gateway, sim) -> None:
    agencies = AgencyRegistry(gateway.settings, default_url=sim.url)
    try:
        dispatcher = Dispatcher(gateway, agencies, concurrency=4, poll_s=0.05, policy=FAST_RETRY)
        with Running(dispatcher):
            wait_for(lambda: all_done(gateway, _rows(gateway)), 10.0, "every claim handed over")
    finally:
        agencies.close()


def _rows(gateway) -> int:
    from sqlalchemy import func, select

    from gateway.store.tables import outbox
    with gateway.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox)).scalar_one()


def claims_of(gateway, shop_claim_id: str) -> dict:
    return {shop: uc.get_claim(gateway.read_uow, shop, shop_claim_id) for shop in SHOPS}


def test_the_same_claim_id_from_two_shops_is_two_claims_at_the_agency(gateway, sim, merchant):
    for shop in SHOPS:
        uc.submit_claim(gateway.uow, shop, content("RE-2026-0001"), now=NOW)
    hand_over(gateway, sim)

    de, at = claims_of(gateway, "RE-2026-0001").values()
    assert de.agency_file_number and at.agency_file_number
    assert de.agency_file_number != at.agency_file_number
    # The debtor finds the shop's invoice number in the reference; the prefix keeps them apart.
    assert sim.claims() == {"SHOPDE.RE-2026-0001": de.agency_file_number,
                            "SHOPAT.RE-2026-0001": at.agency_file_number}
    assert (de.agency_account, at.agency_account) == ("merchant", "merchant")

    # A resubmission after a lost answer still dedupes at the agency.
    calls = sim.stats()["calls"]["newClaim"]
    from gateway.agencies.mediafinanz import MediafinanzAgency
    agency = MediafinanzAgency(sim.url, sim.application_key, timeout_s=5)
    try:
        with gateway.read_uow() as uow:
            creds = uow.agencies.credentials("merchant")
        assert agency.submit_claim(creds, de) == de.agency_file_number
    finally:
        agency.close()
    assert sim.stats()["calls"]["newClaim"] == calls + 1 and len(sim.claims()) == 2


def test_every_change_of_each_shop_arrives_by_feed_and_by_reconciliation(gateway, sim,
                                                                        merchant):
    for shop in SHOPS:
        for n in range(3):
            uc.submit_claim(gateway.uow, shop, content(f"RE-{n}"), now=NOW)
    hand_over(gateway, sim)
    sim.advance(2)  # the agency's first letters: every claim moves to IN_COLLECTION

    report = sync(gateway, sim)  # ONE feed for the account, routed by file number
    assert (report.exit_code, report.unknown_file_numbers) == (0, 0), report.as_dict()
    for n in range(3):
        for shop, claim in claims_of(gateway, f"RE-{n}").items():
            assert claim.state.value == "IN_COLLECTION", (shop, n)
            assert claim.agency_status_code == sim.simulator.claim(
                claim.agency_file_number).code

    # The full reconciliation asks claim by claim; each shop's claim gets its own status.
    de, at = claims_of(gateway, "RE-0").values()
    sim.force_status(de.agency_file_number, 10227)  # uncollectible
    sim.force_status(at.agency_file_number, 10210)  # cancelled at the agency
    report = sync(gateway, sim, full=True)
    assert report.exit_code == 0, report.as_dict()
    de, at = claims_of(gateway, "RE-0").values()
    assert (de.state.value, at.state.value) == ("UNCOLLECTIBLE", "CANCELLED")


def test_a_claim_stays_on_its_account_when_its_shop_moves(gateway, sim, merchant):
    uc.submit_claim(gateway.uow, "shop-de", content("RE-OLD"), now=NOW)
    hand_over(gateway, sim)
    add_account(gateway.uow, "merchant-2", "default", "1002", CLIENTS[1002])
    put_shop_on_account(gateway.uow, "shop-de", "merchant-2")
    uc.submit_claim(gateway.uow, "shop-de", content("RE-NEW"), now=NOW)
    hand_over(gateway, sim)

    old = uc.get_claim(gateway.read_uow, "shop-de", "RE-OLD")
    new = uc.get_claim(gateway.read_uow, "shop-de", "RE-NEW")
    assert (old.agency_account, new.agency_account) == ("merchant", "merchant-2")
    assert sim.simulator.claim(new.agency_file_number).client_id == 1002
    sim.force_status(old.agency_file_number, 10227)
    report = sync(gateway, sim)  # the old account is still read: its claim is open there
    assert report.exit_code == 0 and report.unknown_file_numbers == 0, report.as_dict()
    assert uc.get_claim(gateway.read_uow, "shop-de", "RE-OLD").state.value == "UNCOLLECTIBLE"
