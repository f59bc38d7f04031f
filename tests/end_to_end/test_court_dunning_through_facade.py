"""Issue 7 end to end, as a shop and its staff meet it: SubmitClaim over SOAP, the worker
hands the claim to the agency, collection fails, RequestCourtDunningOrder, the worker hands
it to the lawyer, the sync brings the court stages back, and GetClaim shows the deadlines.

Real parts only: the facade under waitress, zeep as the shop's client, the outbox worker,
the status sync, the simulator over HTTP (its clock moved by hand), SQLite and PostgreSQL.
"""
from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
import requests
import zeep
from zeep.exceptions import Fault
from zeep.transports import Transport

from gateway import app as gateway_app
from gateway import logs
from gateway.agencies.simulator import start_simulator
from gateway.cli.serve import make_server
from gateway.dispatch import start_in_process
from gateway.service.shops import add_shop
from gateway.shop_api import build_wsgi_app
from gateway.sync.run import run_sync
from tests.court_dunning.test_end_to_end import (SEED, _next_bavarian_working_day,
                                                 _six_months_after)

PASSWORD = "shop-a-password-2026"


@pytest.fixture
def running(gateway):
    """Simulator, facade and worker on loopback; yields (shop client, simulator, sync())."""
    sim = start_simulator(seed=SEED, speed=0.0)
    client_id, client_key = next(iter(sim.clients.items()))
    add_shop(gateway.uow, "shop-a", password=PASSWORD, seat="BY",
             agency_client_id=str(client_id), agency_client_key=client_key)
    server = make_server(build_wsgi_app(gateway, advertised_url="http://127.0.0.1:0"),
                         gateway.settings, "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    agencies = gateway_app.AgencyRegistry(gateway.settings, default_url=sim.url)
    worker = start_in_process(gateway, agencies, concurrency=2)
    session = requests.Session()
    session.auth = ("shop-a", PASSWORD)
    client = zeep.Client(f"{base}/soap/shop?wsdl", transport=Transport(session=session, timeout=10))
    shop = client.create_service(next(iter(client.wsdl.bindings)), f"{base}/soap/shop")

    def sync():
        report = run_sync(gateway, agencies, correlation_id=logs.new_correlation_id())
        assert report.exit_code == 0, report.as_dict()

    yield shop, sim, sync
    worker.stop()
    agencies.close()
    server.close()
    sim.stop()


def wait_for(condition, timeout_s=15.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_submit_to_enforcement_order_with_deadlines_in_get_claim(running):
    shop, sim, sync = running
    today = date.today()
    receipt = shop.SubmitClaim(claim={
        "shopClaimId": "ORDER-4711", "claimType": "GOODS_SOLD", "reason": "1 x Kaffeevollautomat",
        "principal": "1500.00", "dunningFees": "5.00", "currency": "EUR",
        "dateOfOrigin": date(today.year - 1, 3, 1), "counterPerformanceRendered": True,
        "debtor": {"kind": "PERSON", "salutation": "MR", "firstName": "Jürgen",
                   "lastName": "Weiß", "street": "Große Straße", "houseNumber": "12a",
                   "postcode": "80331", "city": "München", "country": "DE"}})
    assert (receipt.status, receipt.created) == ("RECEIVED", True)

    # The worker hands the claim over; the agency's file number shows in GetClaim.
    number = wait_for(lambda: shop.GetClaim(shopClaimId="ORDER-4711").agencyFileNumber)
    assert sim.claims() == {"SHOPA.ORDER-4711": number}  # the shop's prefix, then its id

    # Out-of-court collection fails; the sync brings the news.
    sim.force_status(number, 10227)
    sync()
    assert shop.GetClaim(shopClaimId="ORDER-4711").state == "UNCOLLECTIBLE"

    check = shop.CheckCourtDunningOrder(shopClaimId="ORDER-4711")
    assert check.allowed is True and check.court == "AG Coburg"
    assert str(check.courtFee) == "41.00"  # GKG 1100 on 1,500.00 EUR
    requested = shop.RequestCourtDunningOrder(shopClaimId="ORDER-4711",
                                              instruction="DUNNING_ONLY",
                                              requestedBy="Anna Schmidt", note="nach Inkasso")
    assert requested.status == "COURT_DUNNING_REQUESTED"
    with pytest.raises(Fault) as second:
        shop.RequestCourtDunningOrder(shopClaimId="ORDER-4711", instruction="DUNNING_ONLY",
                                      requestedBy="Anna Schmidt", note=None)
    assert second.value.code.endswith("Client.Conflict")

    # The worker hands the claim to the agency's lawyer.
    wait_for(lambda: sim.stats()["calls"].get("instructLawyer", 0) >= 1)

    # The court stages over simulated months, synced as the nightly job would.
    seen = []  # the states GetClaim showed, each once, in order
    for _ in range(40):
        sim.advance(days=5)
        sync()
        state = shop.GetClaim(shopClaimId="ORDER-4711").state
        if not seen or seen[-1] != state:
            seen.append(state)
    seen = [s for s in seen if s != "COURT_DUNNING_REQUESTED"]
    assert seen[:5] == ["DUNNING_ORDER_ISSUED", "DUNNING_ORDER_SERVED",
                        "ENFORCEMENT_ORDER_REQUESTED", "ENFORCEMENT_ORDER_ISSUED",
                        "TITLE_OBTAINED"]

    view = shop.GetClaim(shopClaimId="ORDER-4711")
    d = view.deadlines
    # The served date as the agency recorded it ("Zustellung am YYYY-MM-DD").
    journal = {subject: details for _at, subject, details in sim.simulator.history(1001, number)}
    served_on = date.fromisoformat(journal["Mahnbescheid zugestellt"].rsplit(" ", 1)[-1])
    assert d.dunningOrderServedOn == served_on
    # The court's periods end on a working day at AG Coburg's seat (Bavaria, § 222 (2) ZPO).
    assert d.objectionPeriodEndsOn == _next_bavarian_working_day(served_on + timedelta(days=14))
    assert d.enforcementOrderEarliestOn == d.objectionPeriodEndsOn + timedelta(days=1)
    assert d.enforcementOrderDeadline == _next_bavarian_working_day(_six_months_after(served_on))
    assert d.courtSeatState == "BY" and view.dunningCourt == "AG Coburg"
    assert d.dunningOrderIssuedOn < served_on < d.enforcementOrderIssuedOn
    history = shop.GetClaimHistory(shopClaimId="ORDER-4711")
    whats = [e.what for e in history.events.event]
    assert "court_dunning_requested" in whats and whats[0] == "received"
