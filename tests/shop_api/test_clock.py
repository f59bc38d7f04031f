"""The facade takes now and today from the gateway's clock (gateway.app.build(clock=...)),
never from the wall: the time a claim is stored at, the "not in the future" checks and the
day a court dunning preflight is judged on all follow the clock it was handed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from gateway import app as gateway_app
from gateway.service.claims import get_claim
from gateway.service.shops import add_shop
from tests.shop_api.conftest import PASSWORDS, SECRET_KEY, Facade, serve
from tests.shop_api.test_operations import claim


def test_the_facade_runs_on_the_clock_it_was_handed(settings):
    # Ten years on: every date below is in the future for the wall clock.
    later = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3652)
    gw = gateway_app.build(settings, clock=lambda: later)
    add_shop(gw.uow, "shop-a", password=PASSWORDS["shop-a"], seat="BY")
    base_url, shop_app, stop = serve(gw, secret_key=SECRET_KEY)
    try:
        client = Facade(base_url, shop_app, gw).client()
        today = later.date()
        recent = claim("RECENT", dateOfOrigin=today - timedelta(days=60),
                       dueDate=today - timedelta(days=46),
                       dateOfLastReminder=today - timedelta(days=20))
        assert client.service.SubmitClaim(claim=recent).created is True
        assert get_claim(gw.read_uow, "shop-a", "RECENT").created_at == later

        # Arose five years before the clock's today: time-barred on that day, although the
        # wall clock has not even reached its date of origin.
        old = claim("OLD", dateOfOrigin=today.replace(year=today.year - 5, day=1),
                    dueDate=None, dateOfLastReminder=None)
        client.service.SubmitClaim(claim=old)
        preflight = client.service.CheckCourtDunningOrder("OLD")
        assert "TIME_BARRED" in [r.code for r in preflight.reasons.finding]
        assert preflight.limitationEndsOn.year == today.year - 2

        payment = client.service.ReportDirectPayment("RECENT", today - timedelta(days=1), "10.00")
        assert payment.shopClaimId == "RECENT"
    finally:
        stop()
        gw.close()
