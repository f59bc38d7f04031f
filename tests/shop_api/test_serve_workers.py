"""`gateway serve --workers 2`: the facade in two gunicorn worker processes, on SQLite and
PostgreSQL; concurrent submits through both land once each, in a gap-free feed; SIGTERM
stops it all."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
import zeep
from zeep.transports import Transport

from gateway.service.shops import add_shop
from tests.factories import wall_today

PASSWORD = "password-of-the-serve-shop"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_worker_processes_serve_one_gap_free_feed_and_stop_on_sigterm(gateway, db_url,
                                                                           tmp_path):
    add_shop(gateway.uow, "shop-a", password=PASSWORD, seat="BY")
    port = free_port()
    env = dict(os.environ, GATEWAY_DATABASE_URL=db_url, GATEWAY_RUN_WORKER="false",
               GATEWAY_RUN_SIMULATOR="false", GATEWAY_SYNC_INTERVAL_S="0",
               GATEWAY_LOG_FORMAT="json", GATEWAY_SERVER_THREADS="4")
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log_file:
        server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--workers", "2",
                                   "--port", str(port)], env=env, stdout=log_file,
                                  stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/healthz", timeout=5)
                break
            except requests.RequestException:  # refused, or accepted by a worker still loading
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
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
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(60)
    lines = [json.loads(line) for line in log_path.read_text().splitlines()
             if line.startswith("{")]
    ready = {line["pid"] for line in lines if line.get("event") == "facade worker ready"}
    assert len(ready) == 2, log_path.read_text()
    assert code == 0, log_path.read_text()
    for pid in ready:  # no worker outlives the server
        assert not os.path.exists(f"/proc/{pid}") or _zombie(pid)


def _session() -> requests.Session:
    session = requests.Session()
    session.auth = ("shop-a", PASSWORD)
    return session


def _zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] == "Z"
