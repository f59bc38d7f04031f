"""Dispatcher fixtures: the real simulator, the real zeep adapter, a shop with agency credentials."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from gateway.agencies.simulator import start_simulator
from gateway.agencies.simulator.core import DEFAULT_CLIENTS
from gateway.config import load
from gateway.dispatch import Dispatcher, RetryPolicy
from gateway.service import claims as claim_service
from gateway.service.shops import add_shop
from gateway.store.tables import outbox
from tests.agencies.conftest import agency, fresh_sim  # noqa: F401  (shared fixtures)
from tests.factories import content, wall_today

CLIENT_ID, CLIENT_KEY = next(iter(DEFAULT_CLIENTS.items()))
SHOP = "shop-a"
# Short backoff so retries happen within a test; the policy's logic is the production one.
FAST_RETRY = RetryPolicy(max_attempts=25, backoff_base_s=0.2, backoff_max_s=2.0, jitter_s=0.2)


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def sim():
    """On the wall clock, like the worker under test (claims come dated from wall_today())."""
    handle = start_simulator(seed=7)
    yield handle
    handle.stop()


@pytest.fixture
def settings(db_url, sim):
    """A real agency endpoint configured: no in-process simulator to fall back on."""
    return load(environ={"GATEWAY_DATABASE_URL": db_url, "GATEWAY_LOG_FORMAT": "json",
                         "GATEWAY_AGENCY_URL": sim.url})


@pytest.fixture
def shop(gateway):
    add_shop(gateway.uow, SHOP, password="correct horse battery", agency_client_id=str(CLIENT_ID),
             agency_client_key=CLIENT_KEY, agency_sandbox=True)
    return SHOP


def at_agency(gw, sim, shop_id: str = SHOP) -> dict[str, str]:
    """{shop claim id: file number} of the claims the simulated agency holds for the shop
    (the agency knows them by their agency reference, "SHOPA.INV-00001")."""
    with gw.read_uow() as uow:
        references = {}
        for claim_id in uow.claims.iter_ids(shop_id=shop_id):
            claim = uow.claims.get_by_id(claim_id)
            references[claim.agency_reference] = claim.shop_claim_id
    return {references[ref]: number for ref, number in sim.claims().items()
            if ref in references}


def submit(gw, count: int, prefix: str = "INV", shop_id: str = SHOP, **changes) -> list[str]:
    ids = [f"{prefix}-{i:05d}" for i in range(count)]
    for shop_claim_id in ids:
        claim_service.submit_claim(gw.uow, shop_id,
                                   content(shop_claim_id, today=wall_today(), **changes))
    return ids


@pytest.fixture
def agencies(settings):
    """The composition root's registry: the default connection's endpoint is the simulator."""
    from gateway.app import AgencyRegistry

    registry = AgencyRegistry(settings)
    yield registry
    registry.close()


def dispatcher(gw, agencies, **options) -> Dispatcher:
    options.setdefault("policy", FAST_RETRY)
    options.setdefault("poll_s", 0.05)
    return Dispatcher(gw, agencies, concurrency=options.pop("concurrency", 8), **options)


class Running:
    """A Dispatcher on a thread for the length of a `with` block."""

    def __init__(self, d: Dispatcher):
        self.d = d
        self.thread = threading.Thread(target=d.run, daemon=True)

    def __enter__(self) -> Dispatcher:
        self.thread.start()
        return self.d

    def __exit__(self, *exc) -> None:
        self.d.stop()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the worker did not stop"


def outbox_rows(gw) -> list:
    with gw.engine.connect() as conn:
        return conn.execute(select(outbox).order_by(outbox.c.id)).all()


def wait_for(predicate, timeout_s: float, what: str, interval_s: float = 0.05):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


def states(gw) -> dict[str, int]:
    found: dict[str, int] = {}
    for r in outbox_rows(gw):
        found[r.state] = found.get(r.state, 0) + 1
    return found


def all_done(gw, total: int) -> bool:
    return states(gw).get("done", 0) == total


def worker_process(db_url: str, agency_url: str, *, concurrency: int = 8, lease_s: float = 2.0,
                   log_path=None, agency_timeout_s: float = 2.0) -> subprocess.Popen:
    """`gateway worker` as a real process (for SIGKILL)."""
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_AGENCY_URL": agency_url,
           "GATEWAY_OUTBOX_LEASE_S": str(lease_s), "GATEWAY_LOG_FORMAT": "json",
           "GATEWAY_AGENCY_TIMEOUT_S": str(agency_timeout_s)}
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "gateway", "worker", "--concurrency",
                             str(concurrency)], env=env, stdout=out, stderr=out)


class Outage:
    """A TCP relay in front of the simulator that can refuse every connection for a while.

    down(): stop listening and cut live connections (the agency is gone: connection
    refused); up(): listen again on the same port.
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url_path = "/mediafinanz"
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.url_path}"

    def up(self) -> None:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(128)
        self._listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:  # wakes the thread blocked in accept(); close() alone does not on Linux
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass
