"""suds-community, as its documentation configures it, against the facade: every operation and
every declared fault (the scenario in clients/matrix.py).

suds' default transport for `Client(url, username=..., password=...)` is
suds.transport.https.HttpAuthenticated: urllib's challenge-response Basic auth, which sends the
password only after an HTTP 401 with `WWW-Authenticate: Basic realm=...` (the preemptive
variant, suds.transport.http.HttpAuthenticated, is what suds users choose when a server never
challenges). Every call here therefore also proves the facade's challenge.
"""
from __future__ import annotations

import importlib.util
import json
from datetime import date
from decimal import Decimal

from lxml import etree

from .clients import matrix

NS = "{urn:inkasso-gateway:shop:v1}"


def text(value) -> str | None:
    """A value as its XML text, the matrix's convention."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fault_of(error: Exception) -> dict:
    from suds import WebFault

    if isinstance(error, WebFault):
        code = str(error.fault.faultcode).split(":")[-1]
        envelope = etree.fromstring(str(error.document).encode())
        detail = envelope.find(".//detail")
        element = next((c for c in detail if isinstance(c.tag, str)), None) \
            if detail is not None else None
        if element is None:
            return matrix.fault(code, None)
        return matrix.fault(code, etree.QName(element).localname,
                            [e.text for e in element.iter(f"{NS}path")],
                            [r.findtext(f"{NS}code") or r.text
                             for r in element.findall(f"{NS}reason")])
    status = getattr(error, "httpcode", None)
    if status is None and error.args and isinstance(error.args[0], tuple):
        status = error.args[0][0]  # suds raises Exception((status, reason)) for HTTP errors
    if status is not None:
        return {"http": str(status)}
    raise error


def answered(answer) -> dict:
    """The pick of a step that must fault: an answer is recorded as such."""
    return {"answered": type(answer).__name__}


def run_suds(data: dict[str, str]) -> dict:
    """The matrix scenario with suds; the result the other clients print."""
    from suds.client import Client
    from suds.transport.https import HttpAuthenticated

    def client(user=None, password=None, **options) -> Client:
        return Client(data["wsdl"], username=user, password=password, cache=None, timeout=30,
                      **options)

    shop = client(data["shop"], data["password"])
    assert type(shop.options.transport) is HttpAuthenticated  # the default: challenge-response
    service, new = shop.service, shop.factory.create
    out: dict = {}

    def step(key, call, pick):
        try:
            out[key] = pick(call())
        except Exception as error:  # noqa: BLE001 - a fault is the step's result
            out[key] = fault_of(error)

    def claim(shop_claim_id, principal, **changes):
        debtor = new(f"{NS}Debtor")
        for name, value in {"kind": "PERSON", "salutation": "MS", "firstName": "Jürgen",
                            "lastName": "Müller-Lüdenscheidt", "street": "Große Straße",
                            "houseNumber": "12a", "postcode": "80331", "city": "München",
                            "country": "DE", "email": "j.mueller@example.de",
                            "dateOfBirth": date(1980, 2, 29)}.items():
            setattr(debtor, name, changes.pop(name, value))
        c = new(f"{NS}Claim")
        for name, value in {"shopClaimId": shop_claim_id, "claimType": "GOODS_SOLD",
                            "reason": "2 x Wanderschuhe Größe 44",
                            "principal": Decimal(principal), "dunningFees": Decimal("5.00"),
                            "currency": "EUR",
                            "dateOfOrigin": date.fromisoformat(data["dateOfOrigin"]),
                            "dueDate": date.fromisoformat(data["dueDate"]),
                            "dateOfLastReminder": date.fromisoformat(data["dateOfLastReminder"]),
                            "note": "reagiert nicht", "counterPerformanceRendered": True,
                            "debtor": debtor}.items():
            setattr(c, name, changes.pop(name, value))
        assert not changes, changes
        return c

    today = date.fromisoformat(data["today"])
    first = {}
    step("SubmitClaim", lambda: service.SubmitClaim(claim("C-1", "1234567.89")),
         lambda r: first.update(id=r.claimId) or {"created": text(r.created),
                                                   "status": r.status})
    step("SubmitClaim.same", lambda: service.SubmitClaim(claim("C-1", "1234567.89")),
         lambda r: {"created": text(r.created), "sameClaimId": text(r.claimId == first["id"])})
    step("SubmitClaim.changed", lambda: service.SubmitClaim(claim("C-1", "10.00")), answered)
    step("SubmitClaim.invalid", lambda: service.SubmitClaim(
        claim("C-2", "0.00", postcode="123", email="nope")), answered)
    step("SubmitClaim.schema", lambda: service.SubmitClaim(claim("C-3", "1.234")), answered)
    step("SubmitClaim.tooLarge", lambda: service.SubmitClaim(
        claim("C-4", "1.00", note="x" * int(data["tooLargeNoteLength"]))), answered)
    step("SubmitClaim.malformed", lambda: service.SubmitClaim(
        claim("C-5", "1.00", reason="Bestellung \u0001")), answered)

    batch = new(f"{NS}ClaimArray")
    batch.claim = [claim("B-0", "20.00"), claim("B-1", "1.999"),
                   claim("B-2", "20.00", postcode="12"), claim("B-0", "20.00")]

    def results(answer):
        items = []
        for r in answer.result:
            if getattr(r, "receipt", None) is not None:  # suds leaves absent elements out
                items.append({"index": text(r.index), "created": text(r.receipt.created)})
            else:
                errors = getattr(getattr(r.error, "fieldErrors", None), "fieldError", [])
                items.append({"index": text(r.index), "code": r.error.code,
                              "paths": [e.path for e in errors]})
        return {"results": items}

    step("SubmitClaims", lambda: service.SubmitClaims(batch), results)

    def view(v):
        c, d = v.claim, v.claim.debtor
        return {"principal": text(c.principal), "dunningFees": text(c.dunningFees),
                "dateOfOrigin": text(c.dateOfOrigin), "dateOfBirth": text(d.dateOfBirth),
                "lastName": d.lastName, "street": d.street, "city": d.city, "state": v.state,
                "outstanding": text(v.accounting.outstanding)}

    step("GetClaim", lambda: service.GetClaim("C-1"), view)
    step("ReportDirectPayment", lambda: service.ReportDirectPayment(
        "C-1", today, Decimal("20.50")),
        lambda r: {"status": r.status, "created": text(r.created)})
    step("ReportDirectPayment.invalid", lambda: service.ReportDirectPayment(
        "C-1", today, Decimal("0.00")), answered)
    step("GetClaimHistory", lambda: service.GetClaimHistory("C-1"),
         lambda h: {"events": [e.what for e in h.events.event]})
    step("CancelClaim", lambda: service.CancelClaim("B-0", "Kunde hat gezahlt"),
         lambda r: {"status": r.status})

    def changes():
        seen, cursor, pages = [], None, 0
        while pages < 20:
            page = service.ListClaimChanges(since=cursor, limit=2)
            pages += 1
            items = getattr(getattr(page, "changes", None), "change", [])
            seen += [f"{c.sequence} {c.shopClaimId} {c.event.what}" for c in items]
            if not items:
                return {"changes": seen, "pages": text(pages),
                        "cursorKept": text(page.nextCursor == cursor)}
            cursor = page.nextCursor
        raise AssertionError("ListClaimChanges never returned an empty page")

    step("ListClaimChanges", changes, lambda r: r)
    step("ListClaimChanges.badCursor", lambda: service.ListClaimChanges(since="not-a-cursor"),
         answered)

    def preflight(p):
        return {"allowed": text(p.allowed),
                "reasons": [f.code for f in getattr(p.reasons, "finding", [])]}

    step("CheckCourtDunningOrder", lambda: service.CheckCourtDunningOrder("C-1"), preflight)
    step("RequestCourtDunningOrder.refused", lambda: service.RequestCourtDunningOrder(
        "C-1", "DUNNING_ONLY", "Frau Kaiser"), answered)
    ready = data["readyClaim"]
    step("CheckCourtDunningOrder.ready", lambda: service.CheckCourtDunningOrder(ready), preflight)
    step("RequestCourtDunningOrder", lambda: service.RequestCourtDunningOrder(
        ready, "DUNNING_THEN_LAWSUIT", "Frau Kaiser", "nach Rücksprache"),
        lambda r: {"status": r.status, "agencyFileNumber": r.agencyFileNumber})
    step("RequestCourtDunningOrder.again", lambda: service.RequestCourtDunningOrder(
        ready, "DUNNING_ONLY", "Frau Kaiser"), answered)
    step("GetClaim.unknown", lambda: service.GetClaim("nope"), answered)
    step("GetClaim.otherShop",
         lambda: client(data["otherShop"], data["otherPassword"]).service.GetClaim("C-1"), answered)
    step("GetClaim.wrongPassword",
         lambda: client(data["shop"], data["wrongPassword"]).service.GetClaim("C-1"), answered)
    step("GetClaim.noCredentials", lambda: client().service.GetClaim("C-1"), answered)
    step("GetClaim.databaseDown", lambda: client(data["shop"], data["password"], location=data[
        "unavailableEndpoint"]).service.GetClaim("C-1"), answered)
    return out


def test_suds_every_operation_and_fault(facade):
    matrix.need(importlib.util.find_spec("suds") is not None,
                "suds-community is not installed (pip install -e '.[test]')")
    with matrix.scenario(facade) as data:
        result = json.loads(json.dumps(run_suds(data), ensure_ascii=False))
    matrix.assert_matrix(result, matrix.expected(data), facade)
