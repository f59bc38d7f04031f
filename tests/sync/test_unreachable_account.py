"""An agency that stops answering holds back only its own accounts' sync: the run goes on
with the other accounts, names the one left out, and ends with exit code 2."""
from __future__ import annotations

from gateway.service import claims as uc
from gateway.sync.full import FULL_CHECKPOINT
from gateway.sync.store import load_checkpoint
from tests.dispatch.conftest import Running, wait_for
from tests.factories import NOW, content
from tests.sync.helpers import add_shops, claim_ids, seed, status_events, sync
from tests.sync.test_two_agencies import done, rest_sim, two_agencies, worker  # noqa: F401

SOAP_ACCOUNT = "account client-1001"
REST_ACCOUNT = "account rest-merchant"


def rest_claims(gateway, registry, count: int) -> list[str]:
    """Claims of shop-rest handed over to the REST agency by a worker."""
    ids = [f"R-{n}" for n in range(count)]
    for shop_claim_id in ids:
        uc.submit_claim(gateway.uow, "shop-rest", content(shop_claim_id), now=NOW)
    with Running(worker(gateway, registry, 4)):
        wait_for(lambda: done(gateway, "shop-rest") == count, 10.0, "the REST claims handed over")
    return ids


def state(gateway, shop_id: str, shop_claim_id: str) -> str:
    return uc.get_claim(gateway.read_uow, shop_id, shop_claim_id).state.value


def test_full_sync_leaves_out_the_account_whose_agency_stops_answering(gateway, sim, rest_sim,
                                                                      two_agencies):
    add_shops(gateway, "shop-a")
    soap = seed(gateway, sim, "shop-a", 25)  # claim ids 1-25, before the REST ones
    rest = rest_claims(gateway, two_agencies, 3)
    sim.advance(2)
    rest_sim.advance(2)
    # The SOAP agency answers 503 to every try from now on: 20 claims in a row fail.
    sim.inject("http503", "getClaimStatus", count=25 * 3)

    report = sync(gateway, sim, full=True, concurrency=1)

    assert report.aborted is None and report.exit_code == 2, report.as_dict()
    assert list(report.unreachable) == [SOAP_ACCOUNT]
    assert "20 claims in a row failed" in report.unreachable[SOAP_ACCOUNT]
    assert report.failed == 20  # the other 5 SOAP claims were not asked about
    assert [state(gateway, "shop-rest", r) for r in rest] == ["IN_COLLECTION"] * 3
    assert all(status_events(gateway, "shop-a", c) == [] for c, _ in soap)
    assert load_checkpoint(gateway.engine, FULL_CHECKPOINT) is None  # the run finished
    assert any(line.startswith(f"  agency unreachable for {SOAP_ACCOUNT}")
               for line in report.summary_lines())

    rerun = sync(gateway, sim, full=True)  # the agency is back
    assert rerun.exit_code == 0, rerun.as_dict()
    assert all(status_events(gateway, "shop-a", c) == ["IN_COLLECTION"] for c, _ in soap)


def test_full_sync_aborts_when_every_account_is_unreachable(gateway, sim, rest_sim, two_agencies):
    add_shops(gateway, "shop-a")
    seed(gateway, sim, "shop-a", 25)
    rest_claims(gateway, two_agencies, 1)
    sim.advance(2)
    # Two claims are answered, then the SOAP agency answers 503 to every try; the REST
    # agency refuses connections from the start.
    sim.inject("latency", "getClaimStatus", count=2, delay_s=0.0)
    sim.inject("http503", "getClaimStatus", count=23 * 3)
    rest_sim.stop()

    report = sync(gateway, sim, full=True, concurrency=1)

    assert report.exit_code == 2 and "agency unreachable" in (report.aborted or ""), \
        report.as_dict()
    assert list(report.unreachable) == [REST_ACCOUNT]  # left out at the start
    # Kept for the rerun, below the first claim of the failing streak.
    assert load_checkpoint(gateway.engine, FULL_CHECKPOINT)["after_id"] == claim_ids(gateway)[1]


def test_changes_sync_goes_on_with_the_accounts_that_answer(gateway, sim, rest_sim, two_agencies):
    add_shops(gateway, "shop-a")
    soap = seed(gateway, sim, "shop-a", 3)
    rest = rest_claims(gateway, two_agencies, 2)
    sim.advance(2)
    rest_sim.advance(2)
    # The SOAP feed fails every try of this run; the REST account (polled) answers.
    sim.inject("http503", "getClaimStatusChanges", count=3)

    report = sync(gateway, sim)

    assert report.aborted is None and report.exit_code == 2, report.as_dict()
    assert list(report.unreachable) == [SOAP_ACCOUNT]
    assert [state(gateway, "shop-rest", r) for r in rest] == ["IN_COLLECTION"] * 2
    assert all(status_events(gateway, "shop-a", c) == [] for c, _ in soap)

    rerun = sync(gateway, sim)
    assert rerun.exit_code == 0, rerun.as_dict()
    assert all(status_events(gateway, "shop-a", c) == ["IN_COLLECTION"] for c, _ in soap)


def test_an_agency_unreachable_at_the_start_is_left_out_and_the_others_sync(gateway, sim,
                                                                           rest_sim,
                                                                           two_agencies):
    add_shops(gateway, "shop-a")
    soap = seed(gateway, sim, "shop-a", 2)
    rest_claims(gateway, two_agencies, 1)
    sim.advance(2)
    rest_sim.stop()  # connection refused

    report = sync(gateway, sim)

    assert report.aborted is None and report.exit_code == 2, report.as_dict()
    assert list(report.unreachable) == [REST_ACCOUNT]
    assert all(status_events(gateway, "shop-a", c) == ["IN_COLLECTION"] for c, _ in soap)
