"""`gateway demo`: every part of the gateway on a temporary SQLite database, in under a minute.

The facade (waitress), the outbox worker, the nightly sync (run every second
here) and the agency simulator (days compressed into seconds) run in this
process. A scripted shop talks SOAP to the facade like a shop backend would;
staff request a court dunning order for a claim the agency could not collect.
The run ends with a summary and exits 0 only when the flow behaved as expected.
"""
from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import requests
import zeep
from zeep.exceptions import Fault
from zeep.transports import Transport

from gateway import app as gateway_app
from gateway.config import Settings, load
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import CourtDunningInstruction
from gateway.service import claims as uc

from gateway.sync.periodic import PeriodicSync

from .data import DemoClaim, demo_claims

SHOP_ID = "demo-shop"
SHOP_PASSWORD = "demo-shop-password-2026"
# A second storefront of the same merchant on the same agency account, and a shop whose
# claims go to the agency's REST API: one facade, one worker, one sync for all three.
SISTER_SHOP = "demo-shop-at"
REST_SHOP = "demo-shop-rest"
SHARED_CLAIM = "RE-SHARED-0001"  # submitted by both storefronts: two claims at the agency
STAFF = "Frau Schmidt (Buchhaltung)"
SUCCESS_STAGES = {ClaimState.DUNNING_ORDER_SERVED, ClaimState.OBJECTION_RAISED,
                  ClaimState.ENFORCEMENT_ORDER_REQUESTED, ClaimState.ENFORCEMENT_ORDER_ISSUED,
                  ClaimState.TITLE_OBTAINED}


@dataclass
class DemoResult:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    gateway_refusals: list[tuple[str, str]] = field(default_factory=list)  # (claim, fault text)
    agency_refusals: list[tuple[str, str]] = field(default_factory=list)  # (claim, reasons)
    states: Counter = field(default_factory=Counter)
    court_claim: str | None = None
    court_view: Any = None
    cancelled_claim: str | None = None
    paid_claim: str | None = None
    # (shop, agency account, agency reference, file number, state) of the shared-account
    # and REST claims
    other_agencies: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    duration_s: float = 0.0

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.ok = False
            self.problems.append(problem)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Parts:
    """Start and stop the running parts in the right order."""

    def __init__(self, workdir: Path, speed: float, seed: int):
        self.workdir = workdir
        self.speed = speed
        self.seed = seed
        self._stops: list[Callable[[], None]] = []

    def start(self) -> None:
        from gateway.agencies.simulator import start_rest_simulator, start_simulator
        from gateway.agencies.simulator.core import DEFAULT_CLIENTS
        from gateway.agencies.simulator.rest_server import DEFAULT_REST_CLIENTS, DEFAULT_REST_UUID
        from gateway.service.agency_accounts import add_account, add_connection
        from gateway.cli.serve import make_server
        from gateway.dispatch import start_in_process
        from gateway.service.shops import add_shop
        from gateway.shop_api import build_wsgi_app
        from gateway.store import schema
        from gateway.store.database import make_engine

        port = _free_port()
        self.settings: Settings = load(environ={
            "GATEWAY_DATABASE_URL": f"sqlite:///{self.workdir / 'demo.db'}",
            "GATEWAY_PORT": str(port), "GATEWAY_LOG_FORMAT": "json"})
        engine = make_engine(self.settings.database_url)
        schema.upgrade(engine)
        engine.dispose()
        self.simulator = start_simulator(seed=self.seed, speed=self.speed)
        self._stops.append(self.simulator.stop)
        self.rest_simulator = start_rest_simulator(seed=self.seed, speed=self.speed)
        self._stops.append(self.rest_simulator.stop)
        self.gw = gateway_app.build(self.settings)
        self._stops.append(self.gw.close)
        client_id, client_key = next(iter(DEFAULT_CLIENTS.items()))
        shop = add_shop(self.gw.uow, SHOP_ID, password=SHOP_PASSWORD, seat="BY",
                        agency_client_id=str(client_id), agency_client_key=client_key,
                        now=self.gw.clock()).shop
        add_shop(self.gw.uow, SISTER_SHOP, password=SHOP_PASSWORD, seat="BY",
                 account=shop.agency_account, now=self.gw.clock())
        rest_client = DEFAULT_REST_CLIENTS[DEFAULT_REST_UUID]
        add_connection(self.gw.uow, "demo-rest", "mediafinanz-rest",
                       tuple(gateway_app.ADAPTER_KINDS), endpoint_url=self.rest_simulator.url,
                       sandbox=True, now=self.gw.clock())
        add_account(self.gw.uow, "demo-rest", "demo-rest", DEFAULT_REST_UUID,
                    rest_client.password, user_name=rest_client.user, now=self.gw.clock())
        add_shop(self.gw.uow, REST_SHOP, password=SHOP_PASSWORD, seat="BY", account="demo-rest",
                 now=self.gw.clock())
        server = make_server(build_wsgi_app(self.gw), self.settings, "127.0.0.1", port)
        threading.Thread(target=server.run, name="demo-facade", daemon=True).start()
        self._stops.insert(0, server.close)
        agencies = gateway_app.AgencyRegistry(self.settings, default_url=self.simulator.url)
        self._stops.insert(0, agencies.close)
        self.worker = start_in_process(self.gw, agencies, concurrency=8)
        self._stops.insert(0, self.worker.stop)
        self.base_url = f"http://127.0.0.1:{port}"
        # The nightly sync, every second: simulated days pass in seconds here.
        self._stops.insert(0, PeriodicSync(self.gw, agencies, 1.0).start().stop)

    def stop(self) -> None:
        for stop in self._stops:
            try:
                stop()
            except Exception:  # noqa: BLE001 - stop the rest regardless
                pass


class Shop:
    """The scripted shop backend: a zeep client of the facade's published WSDL."""

    def __init__(self, base_url: str, shop_id: str = SHOP_ID):
        session = requests.Session()
        session.auth = (shop_id, SHOP_PASSWORD)
        transport = Transport(session=session, timeout=10, operation_timeout=10)
        self.client = zeep.Client(f"{base_url}/soap/shop?wsdl", transport=transport,
                                  settings=zeep.Settings(forbid_dtd=True, forbid_external=True))
        self.service = self.client.service

    def submit(self, claim: DemoClaim) -> str | None:
        """None when stored; the fault text when the gateway refused it."""
        try:
            self.service.SubmitClaim(claim=claim.claim)
        except Fault as fault:
            code = (fault.code or "").rpartition(":")[2]  # drop the envelope's namespace prefix
            return f"{code}: {fault.message}"
        return None


def run_demo(speed: float = 4.0, seed: int = 7, claims: int = 30, timeout_s: float = 55.0,
             render: Callable[[list, DemoResult, str], None] | None = None,
             workdir: Path | None = None) -> DemoResult:
    """Run the scripted flow; render(rows, result, phase) is called about twice a second."""
    started = time.monotonic()
    result = DemoResult()
    with tempfile.TemporaryDirectory(prefix="gateway-demo-") as tmp:
        parts = Parts(Path(workdir or tmp), speed, seed)
        parts.start()
        try:
            _script(parts, result, claims, started + timeout_s, render or (lambda *a: None))
        finally:
            parts.stop()
    result.duration_s = time.monotonic() - started
    return result


def _script(parts: Parts, result: DemoResult, count: int, deadline: float, render) -> None:
    from gateway.service.court_dunning import request_court_dunning

    today = parts.gw.clock().date()
    shop = Shop(parts.base_url)
    demo = demo_claims(today, count=count, seed=parts.seed)
    expected = {c.shop_claim_id: c for c in demo}

    def rows() -> list:
        with parts.gw.read_uow() as uow:
            ids = list(uow.claims.iter_ids(shop_id=SHOP_ID))
            found = uow.claims.get_many(ids)  # one query, twice a second
            # The scripted claims; the shared-account claim is followed on its own below.
            return [found[i] for i in ids if found[i].shop_claim_id in expected]

    def show(phase: str) -> list:
        current = rows()
        result.states = Counter(c.state.value for c in current)
        render(current, result, phase)
        return current

    for claim in demo:
        refusal = shop.submit(claim)
        if refusal:
            result.gateway_refusals.append((claim.shop_claim_id, refusal))
    # The same claim id from the merchant's second storefront (same agency account), and a
    # claim of the shop on the REST agency.
    shared = next(c for c in demo if c.expect == "accepted")
    others = [(SHOP_ID, shop), (SISTER_SHOP, Shop(parts.base_url, SISTER_SHOP)),
              (REST_SHOP, Shop(parts.base_url, REST_SHOP))]
    for _, client in others:
        claim = DemoClaim(SHARED_CLAIM, dict(shared.claim, shopClaimId=SHARED_CLAIM), "accepted")
        refusal = client.submit(claim)
        result.expect(refusal is None, f"{SHARED_CLAIM}: refused ({refusal})")
    show("submitted over SOAP")

    _wait(lambda: all(c.agency_file_number for c in rows()
                      if expected[c.shop_claim_id].expect == "accepted"),
          deadline, lambda: show("handing claims to the agency"))
    # The shop cancels one claim and reports a payment on another: both still open.
    still_open = [c.shop_claim_id for c in rows()
                  if c.state in (ClaimState.SUBMITTED, ClaimState.IN_COLLECTION)]
    result.cancelled_claim, result.paid_claim = still_open[0], still_open[1]
    shop.service.CancelClaim(shopClaimId=result.cancelled_claim,
                             reason="Kunde hat die Ware zurückgeschickt")
    shop.service.ReportDirectPayment(shopClaimId=result.paid_claim, paidOn=today,
                                     amount=Decimal("50.00"))

    def collection_failed():
        for c in rows():
            if c.state is ClaimState.UNCOLLECTIBLE and c.shop_claim_id not in (
                    result.cancelled_claim, result.paid_claim):
                return c
        return None

    court = _wait(collection_failed, deadline, lambda: show("agency collecting"))
    if court is not None:
        result.court_claim = court.shop_claim_id
        request_court_dunning(parts.gw.uow, SHOP_ID, court.shop_claim_id,
                              CourtDunningInstruction.DUNNING_ONLY, STAFF,
                              "Schuldner reagiert nicht; Mahnbescheid beantragen")

        def served():
            claim = next(c for c in rows() if c.shop_claim_id == result.court_claim)
            return claim.state in SUCCESS_STAGES
        _wait(served, deadline, lambda: show(f"court dunning for {result.court_claim}"))
        result.court_view = shop.service.GetClaim(shopClaimId=result.court_claim)

    def settled():
        current = {c.shop_claim_id: c for c in rows()}
        return current[result.cancelled_claim].state is ClaimState.CANCELLED and all(
            current[c].state is ClaimState.REJECTED
            for c, d in expected.items() if d.expect == "agency_rejects")
    _wait(settled, deadline, lambda: show("waiting for the last changes"))
    def other_agencies_done():
        found = []
        for shop_id, _ in others:
            claim = uc.get_claim(parts.gw.read_uow, shop_id, SHARED_CLAIM)
            if claim.state in (ClaimState.RECEIVED, ClaimState.SUBMITTED):
                return None  # not handed over, or its first status not synced yet
            found.append((shop_id, claim.agency_account, claim.agency_reference,
                          claim.agency_file_number, claim.state.value))
        return found
    result.other_agencies = _wait(other_agencies_done, deadline,
                                  lambda: show("the other storefront and the REST agency")) or []
    final = show("done")
    _check(parts, result, final, expected)


def _wait(condition: Callable[[], Any], deadline: float, tick: Callable[[], Any]) -> Any:
    while time.monotonic() < deadline:
        tick()
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    return None


def _check(parts: Parts, result: DemoResult, final: list, expected: dict[str, DemoClaim]) -> None:
    by_id = {c.shop_claim_id: c for c in final}
    shops = {shop for shop, *_ in result.other_agencies}
    numbers = {number for *_, number, _state in result.other_agencies}
    result.expect(shops == {SHOP_ID, SISTER_SHOP, REST_SHOP} and len(numbers) == 3,
                  f"{SHARED_CLAIM}: expected three claims at the agencies, one per shop, each "
                  f"moved on by the sync; got {result.other_agencies}")
    for shop_claim_id, demo in expected.items():
        claim = by_id.get(shop_claim_id)
        if demo.expect == "invalid":
            refusal = dict(result.gateway_refusals).get(shop_claim_id, "")
            result.expect(claim is None and "ValidationError" in refusal and demo.why in refusal,
                          f"{shop_claim_id}: expected a ValidationError naming {demo.why}")
        elif demo.expect == "agency_rejects":
            ok = claim is not None and claim.state is ClaimState.REJECTED and any(
                demo.why in r for r in claim.rejection_reasons)
            result.expect(ok, f"{shop_claim_id}: expected the agency to refuse ({demo.why})")
            if claim is not None and claim.rejection_reasons:
                result.agency_refusals.append((shop_claim_id, "; ".join(claim.rejection_reasons)))
        else:
            result.expect(claim is not None and claim.agency_file_number is not None
                          and claim.state is not ClaimState.REJECTED,
                          f"{shop_claim_id}: expected the agency to accept it")
    cancelled = by_id.get(result.cancelled_claim)
    result.expect(cancelled is not None and cancelled.state is ClaimState.CANCELLED,
                  f"{result.cancelled_claim}: expected CANCELLED after CancelClaim")
    from gateway.store.outbox_store import counts as outbox_counts

    with parts.gw.engine.connect() as conn:
        counts = outbox_counts(conn)
    result.expect(counts.get("dead", 0) == 0 and counts.get("failed", 0) == 2,
                  f"outbox: expected only the 2 agency refusals to fail and none dead, got {counts}")
    result.expect(counts.get("pending", 0) == 0, f"outbox: {counts.get('pending')} rows pending")
    result.expect(result.court_claim is not None,
                  "no claim failed collection in time to request a court dunning order")
    if result.court_claim:
        view = result.court_view
        state = ClaimState(view.state) if view is not None else None
        result.expect(state in SUCCESS_STAGES,
                      f"{result.court_claim}: court dunning did not reach the served stage")
        result.expect(view is not None and view.deadlines is not None
                      and view.deadlines.objectionPeriodEndsOn is not None,
                      f"{result.court_claim}: GetClaim shows no objection deadline")

