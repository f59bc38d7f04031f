"""The worker and the sync against the in-memory agency: the use cases of shared agency
accounts, fast (no HTTP), on SQLite and PostgreSQL."""
from __future__ import annotations

import time
from datetime import timedelta

from gateway.dispatch import Dispatcher
from gateway.domain.lifecycle import ClaimState
from gateway.service import claims as uc
from gateway.service.shops import add_shop
from gateway.sync import run_sync
from gateway.sync.store import unmatched_changes
from tests.agency_in_memory import InMemoryAgency, InMemoryRoutes
from tests.dispatch.conftest import FAST_RETRY, Running, all_done, outbox_rows, wait_for
from tests.factories import NOW, content

CLIENT = ("4711", "key-of-client-4711")


def shared_account(gateway) -> InMemoryAgency:
    """shop-a and shop-b on one agency account (the client id shorthand)."""
    for shop in ("shop-a", "shop-b"):
        add_shop(gateway.uow, shop, password="correct horse battery",
                 agency_client_id=CLIENT[0], agency_client_key=CLIENT[1])
    return InMemoryAgency({CLIENT[0]: CLIENT[1]})


def deliver_all(gateway, agency: InMemoryAgency, total: int) -> None:
    started = time.monotonic()
    dispatcher = Dispatcher(gateway, InMemoryRoutes(agency), concurrency=2, poll_s=0.02,
                            policy=FAST_RETRY,
                            clock=lambda: NOW + timedelta(seconds=time.monotonic() - started))
    with Running(dispatcher):
        wait_for(lambda: all_done(gateway, total), 10.0, f"{total} rows delivered")


def claim(gateway, shop_id: str, shop_claim_id: str = "RE-1"):
    return uc.get_claim(gateway.read_uow, shop_id, shop_claim_id)


def equal_claim_ids_delivered(gateway):
    """RE-1 of shop-a and RE-1 of shop-b, handed over on their shared account."""
    agency = shared_account(gateway)
    for shop in ("shop-a", "shop-b"):
        uc.submit_claim(gateway.uow, shop, content("RE-1"), now=NOW)
    deliver_all(gateway, agency, 2)
    return agency, claim(gateway, "shop-a"), claim(gateway, "shop-b")


def test_equal_claim_ids_of_two_shops_on_one_account_are_two_agency_claims(gateway):
    agency, a, b = equal_claim_ids_delivered(gateway)
    assert a.agency_file_number != b.agency_file_number
    assert agency.file_number(CLIENT[0], "SHOPA.RE-1") == a.agency_file_number
    assert agency.file_number(CLIENT[0], "SHOPB.RE-1") == b.agency_file_number


def test_a_lost_answer_is_retried_into_the_same_agency_claim(gateway):
    agency = shared_account(gateway)
    agency.lost_answers = 1
    uc.submit_claim(gateway.uow, "shop-a", content("RE-1"), now=NOW)
    deliver_all(gateway, agency, 1)
    assert agency.calls["submit_claim"] == 2
    assert claim(gateway, "shop-a").agency_file_number == agency.file_number(CLIENT[0],
                                                                              "SHOPA.RE-1")
    assert [r.attempts for r in outbox_rows(gateway)] == [2]


def test_one_feed_read_per_account_routes_each_change_and_keeps_the_unknown(gateway):
    agency, a, b = equal_claim_ids_delivered(gateway)
    agency.report(a.agency_file_number, 10203, ClaimState.PARTIALLY_PAID)
    agency.report(b.agency_file_number, 10208, ClaimState.PAID)
    agency.report_unknown(CLIENT[0], "999999", 10203)

    report = run_sync(gateway, InMemoryRoutes(agency), correlation_id="t", backoff_s=(0.01,))

    assert report.exit_code == 0, report.as_dict()
    assert claim(gateway, "shop-a").state is ClaimState.PARTIALLY_PAID
    assert claim(gateway, "shop-b").state is ClaimState.PAID
    assert report.unknown_file_numbers == 1
    # One account: its feed is read until empty once, not once per shop.
    assert agency.calls["get_status_changes"] == 2 and agency.calls["commit_changes"] == 1
    assert [c.file_number for c in unmatched_changes(gateway.engine)] == ["999999"]
