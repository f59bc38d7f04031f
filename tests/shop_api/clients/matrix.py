"""The client matrix: one scenario that every third-party SOAP client runs against the facade.

Shops do not use our zeep code: they generate or configure their own clients from the WSDL.
Each client here (node-soap: clients/node/client.js; JAX-WS RI from wsimport:
clients/java/Client.java; Mono `wsdl` + SoapHttpClientProtocol: clients/dotnet/Client.cs;
suds-community: test_suds_client.py) reads the same input (`scenario`), calls every
operation of the served WSDL, provokes every declared fault a generated client can send, and
prints ONE JSON object with one key per step (`expected` is that object for a correct facade).

Steps (shop-a unless said otherwise; `claim(id, principal)` is the person claim below):
  SubmitClaim                   claim(C-1, 1234567.89)            -> created, status
  SubmitClaim.same              the same again                    -> created, sameClaimId
  SubmitClaim.changed           claim(C-1, 10.00)                 -> Conflict
  SubmitClaim.invalid           claim(C-2, 0.00), postcode 123, email "nope" -> ValidationError
  SubmitClaim.schema            claim(C-3, 1.234) (3 decimals)    -> ValidationError
  SubmitClaim.tooLarge          claim(C-4, 1.00), note of tooLargeNoteLength x -> RequestTooLarge
  SubmitClaim.malformed         claim(C-5, 1.00), reason with U+0001 -> MalformedRequest
  SubmitClaims                  [B-0 20.00, B-1 1.999, B-2 20.00 postcode 12, B-0 20.00]
                                -> results: {index, created} or {index, code, paths}
  GetClaim                      C-1 -> principal, dunningFees, dateOfOrigin, dateOfBirth,
                                lastName, street, city, state, outstanding
  ReportDirectPayment           C-1, today, 20.50                 -> status, created
  ReportDirectPayment.invalid   C-1, today, 0.00                  -> ValidationError
  GetClaimHistory               C-1 -> events (what, in order)
  CancelClaim                   B-0, "Kunde hat gezahlt"          -> status
  ListClaimChanges              pages of limit 2 from the start until a page is empty
                                -> changes ("sequence shopClaimId what"), pages,
                                   cursorKept (the empty page returns the cursor it was given)
  ListClaimChanges.badCursor    since "not-a-cursor"              -> ValidationError
  CheckCourtDunningOrder        C-1 -> allowed, reasons (codes)
  RequestCourtDunningOrder.refused  C-1, DUNNING_ONLY, "Frau Kaiser" -> DunningRefused
  CheckCourtDunningOrder.ready  readyClaim (seeded: at the agency, file number AZ-4711)
                                -> allowed, reasons
  RequestCourtDunningOrder      readyClaim, DUNNING_THEN_LAWSUIT, "Frau Kaiser",
                                "nach Rücksprache" -> status, agencyFileNumber
  RequestCourtDunningOrder.again    readyClaim, DUNNING_ONLY, "Frau Kaiser" -> Conflict
  GetClaim.unknown              "nope"                            -> NotFound
  GetClaim.otherShop            C-1 as shop-b                     -> NotFound
  GetClaim.wrongPassword        C-1 as shop-a, wrong password     -> AuthenticationFailed
  GetClaim.noCredentials        C-1 without any credentials       -> HTTP 401
  GetClaim.databaseDown         C-1 at unavailableEndpoint (the same facade over a database
                                that does not answer)             -> Unavailable

claim(id, principal): GOODS_SOLD, reason "2 x Wanderschuhe Größe 44", dunningFees 5.00, EUR,
dateOfOrigin / dueDate / dateOfLastReminder from the input, note "reagiert nicht",
counterPerformanceRendered true; debtor PERSON, MS, Jürgen Müller-Lüdenscheidt,
Große Straße 12a, 80331 München, DE, j.mueller@example.de, born 1980-02-29.

Output conventions, the same for every client:
- a value is its XML text ("true", "1234567.89", "2026-05-01"); absent is null;
- a SOAP fault is {"fault": NAME, "detail": local name of the element in <detail> or null,
  "paths": the texts of its `path` elements (ValidationError's fieldError/path), "reasons":
  for each `reason` child of it, the text of the reason's `code`, or its own text when it
  has none (DunningRefused's reason/code, the reason code of every other fault)}; NAME is
  the faultcode without prefix (Client.NotFound), for JAX-WS the class of the exception: the
  declared one (NotFound_Exception, its detail read from getFaultInfo()), or
  "SOAPFaultException(Client.NotFound)" when the client could not map it to its declared type;
- an HTTP error without a SOAP fault is {"http": "401"}.

Dates come from the test (the wall clock as the facade sees it), never from the client's own
clock: the suite also runs with Python's clock moved years ahead (tests/moved_clock).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests
from lxml import etree

from tests.factories import content, wall_now, wall_today

REQUIRE_ENV = "GATEWAY_TEST_REQUIRE_CLIENTS"
CLIENTS_DIR = Path(__file__).resolve().parent
INSTALL_HINT = ("see README, Development: apt-get install php-cli php-soap jaxws "
                "default-jdk-headless mono-devel; npm ci --prefix tests/shop_api/clients/node")

READY_CLAIM = "DUN-1"
READY_FILE_NUMBER = "AZ-4711"
TOO_LARGE_NOTE = 20_000  # characters: above the facade fixture's 16 KiB body limit
WSDL_NS = "{http://schemas.xmlsoap.org/wsdl/}"
# Nothing listens on port 1: every connection is refused at once.
DATABASE_DOWN_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"

# -- tools: skip locally, fail in CI -------------------------------------------------------------
def required() -> bool:
    return os.environ.get(REQUIRE_ENV) == "1"


def need(available: bool, reason: str) -> None:
    """Skip when a client tool is missing; with GATEWAY_TEST_REQUIRE_CLIENTS=1 (CI) fail instead,
    so a broken installation never turns the client matrix into a row of skips."""
    if available:
        return
    if required():
        pytest.fail(f"{reason}, but {REQUIRE_ENV}=1 requires every client ({INSTALL_HINT})",
                    pytrace=False)
    pytest.skip(f"{reason} ({INSTALL_HINT})")


def need_tools(*tools: str) -> dict[str, str]:
    """The absolute path of each tool on PATH, or skip/fail naming the missing ones."""
    found = {tool: shutil.which(tool) for tool in tools}
    missing = [tool for tool, path in found.items() if path is None]
    need(not missing, f"not installed: {', '.join(missing)}")
    return found  # type: ignore[return-value]


def run(command: list[str], what: str, timeout: float = 120, **kwargs) -> str:
    """Run a tool or client program; its stdout, or a failure showing what it printed."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    if done.returncode != 0:
        pytest.fail(f"{what} exited with {done.returncode}:\n{done.stdout[-3000:]}\n"
                    f"{done.stderr[-3000:]}", pytrace=False)
    return done.stdout


def result_of(stdout: str) -> dict:
    """The client's one JSON line (the last line: tools may print notices before it)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, "the client printed nothing"
    return json.loads(lines[-1])


class Generated:
    """A client generated from the live WSDL once per test session (the first test that needs it
    builds it from its facade; a failed build fails every later test the same way)."""

    def __init__(self, directory: Path, build: Callable[[Path, str], None]):
        self.directory, self._build = directory, build
        self._error: str | None = None
        self._built = False

    def for_wsdl(self, wsdl_url: str) -> Path:
        if self._error is not None:
            pytest.fail(self._error, pytrace=False)
        if not self._built:
            try:
                self._build(self.directory, wsdl_url)
            except BaseException as exc:  # pytest.fail included: remember, then re-raise
                self._error = f"generating the client failed earlier in this session: {exc}"
                raise
            self._built = True
        return self.directory


# -- the scenario ------------------------------------------------------------------------------
def seed_ready_claim(facade) -> None:
    """A claim of shop-a the agency accepted (file number): court dunning is allowed for it."""
    from gateway.service.claims import submit_claim

    submit_claim(facade.gateway.uow, "shop-a", content(READY_CLAIM, today=wall_today()),
                 now=wall_now())
    with facade.gateway.uow() as uow:
        stored = uow.claims.get("shop-a", READY_CLAIM, for_update=True)
        stored.mark_submitted(READY_FILE_NUMBER, wall_now())
        uow.commit()


@contextmanager
def facade_without_database(facade) -> Iterator[str]:
    """The endpoint of the same facade over a database that does not answer."""
    from gateway.app import Gateway
    from gateway.store.database import make_engine
    from gateway.store.unit_of_work import SqlUnitOfWork
    from tests.shop_api.conftest import serve

    settings = facade.gateway.settings.replace(database_url=DATABASE_DOWN_URL)
    engine = make_engine(settings.database_url)
    down = Gateway(settings, engine, uow=partial(SqlUnitOfWork, engine),
                   read_uow=partial(SqlUnitOfWork, engine, read_only=True))
    base_url, _app, stop = serve(down)
    try:
        yield base_url + "/soap/shop"
    finally:
        stop()
        engine.dispose()


@contextmanager
def scenario(facade) -> Iterator[dict[str, str]]:
    """Seeds the facade's database, starts its twin without a database, and yields what
    every client program reads."""
    from tests.shop_api.conftest import PASSWORDS

    seed_ready_claim(facade)
    today = wall_today()
    with facade_without_database(facade) as unavailable_endpoint:
        yield {
            "wsdl": facade.endpoint + "?wsdl", "endpoint": facade.endpoint,
            "unavailableEndpoint": unavailable_endpoint,
            "shop": "shop-a", "password": PASSWORDS["shop-a"],
            "otherShop": "shop-b", "otherPassword": PASSWORDS["shop-b"],
            "wrongPassword": "not-the-password-of-shop-a",
            "today": today.isoformat(),
            "dateOfOrigin": (today - timedelta(days=60)).isoformat(),
            "dueDate": (today - timedelta(days=46)).isoformat(),
            "dateOfLastReminder": (today - timedelta(days=20)).isoformat(),
            "readyClaim": READY_CLAIM,
            "tooLargeNoteLength": str(TOO_LARGE_NOTE),
        }


def write_input(directory: Path, data: dict[str, str]) -> Path:
    path = directory / "input.json"
    path.write_text(json.dumps(data), encoding="ascii")  # \u escapes: the Java reader is tiny
    return path


def fault(name: str, detail: str | None, paths=(), reasons=()) -> dict:
    return {"fault": name, "detail": detail, "paths": list(paths), "reasons": list(reasons)}


FaultName = Callable[[str], str]


def faultcode(kind: str) -> str:
    """How node-soap, suds and .NET name a fault: the faultcode (Client.NotFound)."""
    return ("Server." if kind == "Unavailable" else "Client.") + kind


def expected(data: dict[str, str], name: FaultName = faultcode) -> dict:
    """The result a client prints when the facade behaves as the contract says."""

    def declared(kind: str, reasons=(), paths=()) -> dict:
        return fault(name(kind), kind, paths, reasons)

    return {
        "SubmitClaim": {"created": "true", "status": "RECEIVED"},
        "SubmitClaim.same": {"created": "false", "sameClaimId": "true"},
        "SubmitClaim.changed": declared("Conflict", ["SHOP_CLAIM_ID_TAKEN"]),
        "SubmitClaim.invalid": declared("ValidationError", paths=[
            "claim.principal", "claim.debtor.postcode", "claim.debtor.email"]),
        "SubmitClaim.schema": declared("ValidationError", paths=["claim.principal"]),
        "SubmitClaim.tooLarge": declared("RequestTooLarge", ["BODY_TOO_LARGE"]),
        "SubmitClaim.malformed": declared("MalformedRequest", ["NOT_WELL_FORMED"]),
        "SubmitClaims": {"results": [
            {"index": "0", "created": "true"},
            {"index": "1", "code": "Client.ValidationError", "paths": ["claims[1].principal"]},
            {"index": "2", "code": "Client.ValidationError",
             "paths": ["claims[2].debtor.postcode"]},
            {"index": "3", "created": "false"}]},
        "GetClaim": {"principal": "1234567.89", "dunningFees": "5.00",
                     "dateOfOrigin": data["dateOfOrigin"], "dateOfBirth": "1980-02-29",
                     "lastName": "Müller-Lüdenscheidt", "street": "Große Straße",
                     "city": "München", "state": "RECEIVED", "outstanding": "0.00"},
        "ReportDirectPayment": {"status": "RECEIVED", "created": "false"},
        "ReportDirectPayment.invalid": declared("ValidationError", paths=["amount"]),
        "GetClaimHistory": {"events": ["received", "direct_payment_reported"]},
        "CancelClaim": {"status": "CANCEL_REQUESTED"},
        "ListClaimChanges": {"changes": [
            f"1 {READY_CLAIM} received", f"2 {READY_CLAIM} agency_accepted",
            "3 C-1 received", "4 B-0 received", "5 C-1 direct_payment_reported",
            "6 B-0 cancel_requested"], "pages": "4", "cursorKept": "true"},
        "ListClaimChanges.badCursor": declared("ValidationError", paths=["since"]),
        "CheckCourtDunningOrder": {"allowed": "false", "reasons": ["NO_FILE_NUMBER"]},
        "RequestCourtDunningOrder.refused": declared("DunningRefused", ["NO_FILE_NUMBER"]),
        "CheckCourtDunningOrder.ready": {"allowed": "true", "reasons": []},
        "RequestCourtDunningOrder": {"status": "COURT_DUNNING_REQUESTED",
                                     "agencyFileNumber": READY_FILE_NUMBER},
        "RequestCourtDunningOrder.again": declared("Conflict", ["COURT_PROCEDURE_RUNNING"]),
        "GetClaim.unknown": declared("NotFound", ["CLAIM_NOT_FOUND"]),
        "GetClaim.otherShop": declared("NotFound", ["CLAIM_NOT_FOUND"]),
        "GetClaim.wrongPassword": declared("AuthenticationFailed", ["CREDENTIALS_REFUSED"]),
        "GetClaim.noCredentials": {"http": "401"},
        "GetClaim.databaseDown": declared("Unavailable", ["DATABASE_UNAVAILABLE"]),
    }


# -- what the served WSDL says ----------------------------------------------------------------
def served_contract(facade) -> tuple[set[str], set[str]]:
    """(operations, declared fault names) of the WSDL the facade serves."""
    answer = requests.get(facade.endpoint + "?wsdl", timeout=10)
    answer.raise_for_status()
    root = etree.fromstring(answer.content)
    port_type = root.find(f"{WSDL_NS}portType")
    operations = {op.get("name") for op in port_type.iter(f"{WSDL_NS}operation")}
    faults = {f.get("name") for f in port_type.iter(f"{WSDL_NS}fault")}
    return operations, faults


def assert_matrix(result: dict, want: dict, facade) -> None:
    """The client's result equals `want` step by step, and the steps cover the served WSDL:
    every operation called, every declared fault provoked."""
    operations, faults = served_contract(facade)
    assert {step.split(".")[0] for step in want} == operations
    assert {value["detail"] for value in want.values() if "fault" in value} == faults
    assert set(result) == set(want), ("the client ran other steps than the scenario's: "
                                      f"missing {set(want) - set(result)}, "
                                      f"extra {set(result) - set(want)}")
    differ = {step: {"got": result[step], "want": value} for step, value in want.items()
              if result[step] != value}
    assert not differ, "steps that differ:\n" + json.dumps(differ, indent=1, ensure_ascii=False)
