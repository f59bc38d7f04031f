"""A shop on the SOAP agency and a shop on the REST agency go through one worker and one
sync; an agency that is down does not hold back deliveries to the other."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from gateway.agencies.simulator import start_rest_simulator
from gateway.agencies.simulator.rest_server import DEFAULT_REST_CLIENTS, DEFAULT_REST_UUID
from gateway.app import AgencyRegistry
from gateway.dispatch import Dispatcher
from gateway.service import claims as uc
from gateway.service.agency_accounts import add_account, add_connection
from gateway.service.shops import add_shop
from tests.dispatch.conftest import FAST_RETRY, Running, outbox_rows, wait_for
from tests.factories import NOW, content
from tests.sync.helpers import CLIENTS, sync


@pytest.fixture
def rest_sim():
    handle = start_rest_simulator(seed=3, start=NOW)  # the calendar of the claims' NOW
    yield handle
    handle.stop()


def add_rest_shop(gateway, rest_sim) -> None:
    """shop-rest on the account rest-merchant of the REST connection mf-rest."""
    add_connection(gateway.uow, "mf-rest", "mediafinanz-rest", ("mediafinanz-rest",),
                   endpoint_url=rest_sim.url)
    rest_client = DEFAULT_REST_CLIENTS[DEFAULT_REST_UUID]
    add_account(gateway.uow, "rest-merchant", "mf-rest", DEFAULT_REST_UUID, rest_client.password,
                user_name=rest_client.user)
    add_shop(gateway.uow, "shop-rest", password="correct horse battery", account="rest-merchant")


def submit(gateway, shop_id: str, count: int) -> None:
    for n in range(count):
        uc.submit_claim(gateway.uow, shop_id, content(f"RE-{n}"), now=NOW)


@pytest.fixture
def two_agencies(gateway, sim, rest_sim):
    add_rest_shop(gateway, rest_sim)
    add_shop(gateway.uow, "shop-soap", password="correct horse battery",
             agency_client_id="1001", agency_client_key=CLIENTS[1001])
    registry = AgencyRegistry(gateway.settings.replace(agency_timeout_s=2.0), default_url=sim.url)
    yield registry
    registry.close()


def worker(gateway, registry, concurrency: int) -> Dispatcher:
    """On a clock that starts at the claims' NOW and ticks (backoff and age limits hold)."""
    started = time.monotonic()
    return Dispatcher(gateway, registry, concurrency=concurrency, poll_s=0.05, policy=FAST_RETRY,
                      clock=lambda: NOW + timedelta(seconds=time.monotonic() - started))


def done(gateway, shop_id: str) -> int:
    claim_ids = {uc.get_claim(gateway.read_uow, shop_id, r).id for r in _ids(gateway, shop_id)}
    return sum(1 for r in outbox_rows(gateway) if r.claim_id in claim_ids and r.state == "done")


def _ids(gateway, shop_id: str) -> list[str]:
    with gateway.read_uow() as uow:
        return [uow.claims.get_by_id(i).shop_claim_id for i in uow.claims.iter_ids(shop_id=shop_id)]


def test_one_worker_and_one_sync_serve_both_agencies(gateway, sim, rest_sim, two_agencies):
    for shop in ("shop-soap", "shop-rest"):
        uc.submit_claim(gateway.uow, shop, content("RE-1"), now=NOW)
    with Running(worker(gateway, two_agencies, 4)):
        wait_for(lambda: done(gateway, "shop-soap") + done(gateway, "shop-rest") == 2, 10.0,
                 "both handed over")
    soap = uc.get_claim(gateway.read_uow, "shop-soap", "RE-1")
    rest = uc.get_claim(gateway.read_uow, "shop-rest", "RE-1")
    assert sim.claims() == {"SHOPSO.RE-1": soap.agency_file_number}
    assert rest_sim.claims() == {"SHOPRE.RE-1": rest.agency_file_number}

    sim.advance(2)
    rest_sim.advance(2)
    report = sync(gateway, sim)  # the SOAP account by its feed, the REST one by polling
    assert report.exit_code == 0, report.as_dict()
    for shop in ("shop-soap", "shop-rest"):
        assert uc.get_claim(gateway.read_uow, shop, "RE-1").state.value == "IN_COLLECTION", shop


def test_an_agency_that_is_down_does_not_hold_back_the_other(gateway, sim, rest_sim,
                                                             two_agencies):
    rest_sim.stop()  # connection refused from now on
    submit(gateway, "shop-rest", 5)
    submit(gateway, "shop-soap", 5)
    with Running(worker(gateway, two_agencies, 2)):
        wait_for(lambda: done(gateway, "shop-soap") == 5, 10.0, "the SOAP agency's claims")
    rest_rows = [r for r in outbox_rows(gateway) if r.state != "done"]
    assert len(rest_rows) == 5 and all(r.state == "pending" and r.attempts >= 1
                                       for r in rest_rows)
    # Refused connections, then (after 5 in a row) the open circuit answers without a call.
    assert all("AgencyTransient" in r.last_error or r.last_error.startswith("CircuitOpen")
               for r in rest_rows), [r.last_error for r in rest_rows]


def test_a_slow_agency_holds_back_only_its_own_rows(gateway, sim, rest_sim, two_agencies):
    # Every REST call times out (2 s). The REST agency holds one of the two threads (its
    # share), so the other delivers the SOAP claims at once; after 5 timeouts the circuit
    # opens and the REST rows go to backoff without calls.
    rest_sim.app.latency_s = 5.0
    submit(gateway, "shop-rest", 20)
    submit(gateway, "shop-soap", 5)
    started = time.monotonic()
    with Running(worker(gateway, two_agencies, 2)):
        wait_for(lambda: done(gateway, "shop-soap") == 5, 15.0, "the SOAP agency's claims")
        elapsed = time.monotonic() - started
        circuit = wait_for(lambda: [r for r in outbox_rows(gateway)
                                    if (r.last_error or "").startswith("CircuitOpen")], 15.0,
                           "rows answered by the open circuit")
    rest_sim.app.latency_s = 0.0
    # Without share and breaker: 20 calls of 2 s on 2 threads before the first SOAP claim.
    assert elapsed < 6.0
    assert circuit and done(gateway, "shop-rest") == 0


def test_a_slow_agency_that_answers_keeps_only_its_share_of_the_threads(gateway, sim, rest_sim,
                                                                        two_agencies):
    # Every REST call answers, after 1 s (below the 2 s timeout: the breaker never opens).
    # Its 12 rows come first in the outbox; with 4 threads and a share of 3/4 it holds at
    # most 3 rows at a time, so the fourth thread hands the SOAP claims over meanwhile.
    # Without the share the SOAP claims wait behind 12 one-second calls on 4 threads.
    rest_sim.app.latency_s = 1.0
    submit(gateway, "shop-rest", 12)
    submit(gateway, "shop-soap", 6)
    dispatcher = worker(gateway, two_agencies, 4)
    assert dispatcher.agency_limit == 3
    started = time.monotonic()
    with Running(dispatcher):
        wait_for(lambda: done(gateway, "shop-soap") == 6, 10.0, "the SOAP agency's claims")
        soap_s = time.monotonic() - started
        rest_when_soap_done = done(gateway, "shop-rest")
        wait_for(lambda: done(gateway, "shop-rest") == 12, 15.0, "the REST agency's claims")
    rest_sim.app.latency_s = 0.0
    assert soap_s < 2.5, soap_s
    assert rest_when_soap_done <= 6  # the REST agency went on at its own pace
    rows = outbox_rows(gateway)
    assert all(r.state == "done" and r.attempts == 1 for r in rows), \
        [(r.id, r.state, r.attempts) for r in rows]  # rows given back count no attempt
    assert len(rest_sim.claims()) == 12 and len(sim.claims()) == 6


def test_one_agency_gets_every_thread_when_it_is_the_only_one(gateway, rest_sim):
    # The share holds only between connections: alone, the slow agency has all 4 threads
    # (8 calls of 1.5 s: two rounds, 3 s; held to 3 threads it would take three, 4.5 s).
    add_rest_shop(gateway, rest_sim)
    registry = AgencyRegistry(gateway.settings.replace(agency_timeout_s=3.0))
    rest_sim.app.latency_s = 1.5
    try:
        submit(gateway, "shop-rest", 8)
        started = time.monotonic()
        with Running(worker(gateway, registry, 4)):
            wait_for(lambda: done(gateway, "shop-rest") == 8, 10.0, "all claims")
            elapsed = time.monotonic() - started
    finally:
        rest_sim.app.latency_s = 0.0
        registry.close()
    assert elapsed < 4.2, elapsed
