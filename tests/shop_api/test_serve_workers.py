"""`gateway serve --workers 2`: the facade in two gunicorn worker processes, on SQLite and
PostgreSQL; concurrent submits through both land once each, in a gap-free feed; SIGTERM
stops it all."""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
import zeep
from zeep.transports import Transport

from gateway.service.shops import add_shop
from tests.factories import wall_today
# free_port: other tests import it from here.
from tests.serve_process import free_port, gateway_serve  # noqa: F401

PASSWORD = "password-of-the-serve-shop"


def test_two_worker_processes_serve_one_gap_free_feed_and_stop_on_sigterm(gateway, db_url,
                                                                           tmp_path):
    add_shop(gateway.uow, "shop-a", password=PASSWORD, seat="BY")
    env = dict(os.environ, GATEWAY_DATABASE_URL=db_url, GATEWAY_RUN_WORKER="false",
               GATEWAY_RUN_SIMULATOR="false", GATEWAY_SYNC_INTERVAL_S="0",
               GATEWAY_LOG_FORMAT="json", GATEWAY_SERVER_THREADS="4")
    with gateway_serve("--workers", "2", env=env, cwd=tmp_path) as served:
        base = served.base_url
        session = requests.Session()
        session.auth = ("shop-a", PASSWORD)
        client = zeep.Client(base + "/soap/shop?wsdl",
                             transport=Transport(session=session, timeout=10))
        claim = {"claimType": "GOODS_SOLD", "reason": "Order 4711", "principal": "99.90",
                 "currency": "EUR",
                 "dateOfOrigin": (wall_today() - timedelta(days=60)).isoformat(),
                 "counterPerformanceRendered": True,
                 "debtor": {"kind": "PERSON", "lastName": "Muster", "street": "Hauptstr.",
                            "houseNumber": "1", "postcode": "10115", "city": "Berlin",
                            "country": "DE"}}

        def submit(i: int) -> bool:
            # Each client its own connection: the kernel spreads them over both workers.
            own = zeep.Client(base + "/soap/shop?wsdl", transport=Transport(
                session=_session(), timeout=10))
            return own.service.SubmitClaim(claim=dict(claim, shopClaimId=f"W-{i}")).created

        with ThreadPoolExecutor(8) as pool:
            assert all(pool.map(submit, range(40)))
        # No worker in these processes: the outbox gauges come from the database.
        scraped = requests.get(base + "/metrics", timeout=10).text
        assert 'gateway_outbox_rows{state="pending"} 40' in scraped
        changes = client.service.ListClaimChanges(since=None, limit=100).changes.change
        assert [c.sequence for c in changes] == list(range(1, 41))
        assert {c.shopClaimId for c in changes} == {f"W-{i}" for i in range(40)}
    log = served.output()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    ready = {line["pid"] for line in lines if line.get("event") == "facade worker ready"}
    assert len(ready) == 2, log
    assert served.exit_code == 0, log
    for pid in ready:  # no worker outlives the server
        assert not os.path.exists(f"/proc/{pid}") or _zombie(pid)


def _session() -> requests.Session:
    session = requests.Session()
    session.auth = ("shop-a", PASSWORD)
    return session


def _zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] == "Z"
