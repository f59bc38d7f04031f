"""The accounting console on a real database (SQLite and PostgreSQL): shops with claims in
every situation the pages show, staff of every role, and a logged-in client.

The console takes now from the gateway's clock; here that is a clock the test holds (it
starts at tests.factories.NOW), so claims are dated from it and a test can let an idle
session run out by moving it on.
"""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterator

import pytest
from sqlalchemy import select, update
from werkzeug.test import Client

from gateway import app as gateway_app
from gateway.console import accounts
from gateway.console.web import mount
from gateway.domain.lifecycle import ClaimState
from gateway.service.agency_port import AgencyStatus
from gateway.store import tables
from tests.court_dunning.helpers import ACCOUNT, add_shop, submitted_claim
from tests.factories import NOW, person

PASSWORD = "correct horse battery staple"


class TestClock:
    """The gateway's clock in these tests: stands still until moved."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> TestClock:
    return TestClock(NOW)


@pytest.fixture
def console_settings(settings):
    """No login delays (a test would wait for them), a low staff lockout."""
    return settings.replace(login_delay_s=0, console_login_lockout_failures=3,
                            server_threads=4)


@pytest.fixture
def gw(console_settings, clock):
    gateway = gateway_app.build(console_settings, clock=clock)
    yield gateway
    gateway.close()


# -- the world the pages show ---------------------------------------------------------------
@dataclass
class World:
    claims: dict[str, int] = field(default_factory=dict)  # shop claim id -> claim id
    deliveries: dict[str, int] = field(default_factory=dict)  # shop claim id -> dead row id


STAFF = {  # name: (role, admin, shops)
    "anna": ("accountant", False, {"shop-a"}),
    "bernd": ("accountant", False, {"shop-b"}),
    "otto": ("operator", False, {"shop-a"}),
    "vera": ("viewer", False, {"shop-a"}),
    "root": ("viewer", True, set()),
}
B_DEBTOR = "Zacharias Geheimrath"  # shop-b's debtor: must never show to shop-a's staff


def uncollectible(gw, shop_id: str, shop_claim_id: str, file_number: str, **changes) -> int:
    claim = submitted_claim(gw, shop_id, shop_claim_id, file_number, now=gw.clock(), **changes)
    set_state(gw, claim.id, ClaimState.UNCOLLECTIBLE)
    return claim.id


def set_state(gw, claim_id: int, state: ClaimState, code: int | None = None) -> None:
    """What the sync does with an agency status: code None is one the mapping does not know."""
    with gw.uow() as uow:
        claim = uow.claims.get_by_id(claim_id, for_update=True)
        if code is None and state is ClaimState.NEEDS_REVIEW:
            claim.apply_agency_status(state, 99999, "Unbekannter Status", gw.clock(),
                                      {"unknownStatusCode": 99999})
        else:
            claim.apply_agency_status(state, code or 1, None, gw.clock())
        uow.commit()


def bury(gw, claim_id: int, error: str = "AgencyTimeout: no answer within 10 s") -> int:
    """The claim's first outbox row ends dead, as the worker leaves it after its retries."""
    with gw.engine.begin() as conn:
        row_id = conn.execute(select(tables.outbox.c.id).where(
            tables.outbox.c.claim_id == claim_id).order_by(tables.outbox.c.id)).scalars().first()
        conn.execute(update(tables.outbox).where(tables.outbox.c.id == row_id).values(
            state="dead", attempts=25, last_error=error))
    return row_id


def build_world(gw) -> World:
    world = World()
    add_shop(gw, "shop-a", seat="BY")
    add_shop(gw, "shop-b", seat="NW")
    today = gw.clock().date()
    world.claims["A-READY"] = uncollectible(gw, "shop-a", "A-READY", "AZ-100")
    world.claims["A-ABROAD"] = uncollectible(
        gw, "shop-a", "A-ABROAD", "AZ-101", debtor=person(country="AT", postcode="1010",
                                                          city="Wien"))
    world.claims["A-OPEN"] = submitted_claim(gw, "shop-a", "A-OPEN", "AZ-102",
                                             now=gw.clock()).id
    set_state(gw, world.claims["A-OPEN"], ClaimState.IN_COLLECTION)
    world.claims["A-REVIEW"] = submitted_claim(gw, "shop-a", "A-REVIEW", "AZ-103",
                                               now=gw.clock()).id
    set_state(gw, world.claims["A-REVIEW"], ClaimState.NEEDS_REVIEW)
    # Arose three years before this year: limitation ends on 31 December (NOW: 20 November).
    old = date(today.year - 3, 3, 1)
    world.claims["A-OLD"] = submitted_claim(
        gw, "shop-a", "A-OLD", "AZ-104", now=gw.clock(), date_of_origin=old,
        due_date=old + timedelta(days=14), date_of_last_reminder=old + timedelta(days=40)).id
    world.claims["B-READY"] = uncollectible(
        gw, "shop-b", "B-READY", "AZ-200",
        debtor=person(first_name="Zacharias", last_name="Geheimrath"))
    world.deliveries["A-OPEN"] = bury(gw, world.claims["A-OPEN"])
    world.deliveries["B-READY"] = bury(gw, world.claims["B-READY"])
    with gw.uow() as uow:
        uow.keep_unmatched_change(ACCOUNT, "AZ-999:10201", AgencyStatus(
            "AZ-999", 10201, "Zahlung eingegangen", ClaimState.PARTIALLY_PAID, at=gw.clock()),
            gw.clock())
        uow.commit()
    for name, (role, admin, shops) in STAFF.items():
        accounts.add_staff(gw, name, role, admin=admin, shops=shops, password=PASSWORD,
                           actor="test")
    return world


@pytest.fixture
def world(gw) -> World:
    return build_world(gw)


# -- a browser-like client ------------------------------------------------------------------
class ConsoleClient:
    """werkzeug's test client on the app `gateway serve` runs (facade + console), with the
    CSRF token of the last page at hand."""

    def __init__(self, app, address: str = "192.0.2.10"):
        self.client = Client(app)
        self.address = address
        self.last_token = ""

    def _remember(self, response):
        found = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
        if found:
            self.last_token = found.group(1)
        return response

    def get(self, path: str, **kwargs):
        kwargs.setdefault("environ_base", {"REMOTE_ADDR": self.address})
        return self._remember(self.client.get(path, **kwargs))

    def post(self, path: str, data: dict | None = None, token: bool = True, **kwargs):
        data = dict(data or {})
        if token:
            data.setdefault("csrf_token", self.last_token)
        kwargs.setdefault("environ_base", {"REMOTE_ADDR": self.address})
        return self._remember(self.client.post(path, data=data, **kwargs))

    def login(self, name: str, password: str = PASSWORD):
        self.get("/console/login")
        return self.post("/console/login", {"name": name, "password": password})


class NoFacade:
    """Stands in for the shop facade beside the console: everything else is a 404."""

    def __call__(self, environ, start_response):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"facade"]


@pytest.fixture
def app(gw):
    return mount(NoFacade(), gw)


@pytest.fixture
def client(app) -> ConsoleClient:
    return ConsoleClient(app)


@pytest.fixture
def login(app):
    """login(name) -> a ConsoleClient logged in as that staff member."""
    def log_in(name: str) -> ConsoleClient:
        c = ConsoleClient(app)
        response = c.login(name)
        assert response.status_code == 303, response.get_data(as_text=True)
        c.get("/console/")  # a page with the session's CSRF token
        return c
    return log_in


def table(html: str, table_id: str = "claims") -> str:
    """The markup of one table of a page (a search box repeats what was searched for)."""
    start = html.index(f'id="{table_id}"')
    return html[start:html.index("</table>", start)]


def audit(gw, action: str | None = None) -> list:
    query = select(tables.audit_log).order_by(tables.audit_log.c.id)
    if action:
        query = query.where(tables.audit_log.c.action == action)
    with gw.engine.connect() as conn:
        return conn.execute(query).all()


def state_of(gw, claim_id: int) -> ClaimState:
    with gw.read_uow() as uow:
        return uow.claims.get_by_id(claim_id).state


# -- a real server ---------------------------------------------------------------------------
@contextmanager
def running(gw) -> Iterator[str]:
    """`gateway serve`'s app (the shop facade with the console mounted) under its waitress
    server, on a free loopback port, in a thread; yields the base URL."""
    from waitress import wasyncore

    from gateway.cli.serve import make_server, with_console
    from gateway.shop_api import ShopApp

    server = make_server(with_console(ShopApp(gw), gw), gw.settings, "127.0.0.1", 0)
    closed = threading.Event()

    def loop():
        try:
            server.run()
        except OSError:  # closed under the loop's select() on the way out
            if not closed.is_set():
                raise

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        closed.set()
        server.task_dispatcher.shutdown(timeout=5)
        server.close()
        wasyncore.close_all(server._map)
        thread.join(5)
