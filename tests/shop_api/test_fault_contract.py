"""Every fault the facade answers carries the detail its WSDL declaration says: the one child
of <detail> is the element the wsdl:fault message part names (JAX-WS and WCF map a fault to
its typed exception by that QName), and it is valid against the served WSDL's schema."""
from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from lxml import etree

from tests.factories import wall_today

from . import raw_soap
from .conftest import MAX_BODY, PASSWORDS
from .raw_soap import NS, claim_fields, request
from .test_operations import _submitted, claim
from .test_security import without_database

WSDL = "http://schemas.xmlsoap.org/wsdl/"
XSD = "http://www.w3.org/2001/XMLSchema"
TODAY = wall_today()


class Contract:
    """The served WSDL: its schema, and the element each operation's declared faults carry."""

    def __init__(self, wsdl: bytes):
        root = etree.fromstring(wsdl)
        # tostring() of the schema element keeps the prefixes the WSDL's root declares.
        self.schema = etree.XMLSchema(etree.fromstring(etree.tostring(
            root.find(f"{{{WSDL}}}types/{{{XSD}}}schema"))))
        parts = {}
        for message in root.findall(f"{{{WSDL}}}message"):
            part = message.find(f"{{{WSDL}}}part")
            prefix, _, local = part.get("element").partition(":")
            parts[message.get("name")] = f"{{{part.nsmap[prefix]}}}{local}"
        self.faults = {}  # operation -> {fault name: detail element QName}
        for op in root.find(f"{{{WSDL}}}portType").findall(f"{{{WSDL}}}operation"):
            self.faults[op.get("name")] = {
                fault.get("name"): parts[fault.get("message").partition(":")[2]]
                for fault in op.findall(f"{{{WSDL}}}fault")}
        binding = root.find(f"{{{WSDL}}}binding")
        self.binding_faults = {op.get("name"): {f.get("name") for f in
                                                op.findall(f"{{{WSDL}}}fault")}
                               for op in binding.findall(f"{{{WSDL}}}operation")}


def check(contract: Contract, operation: str, answer: requests.Response,
          fault_name: str) -> raw_soap.Fault:
    """The answer is the declared fault `fault_name` of `operation`, its detail valid."""
    assert answer.status_code == 500, answer.content[:300]
    fault = raw_soap.fault(answer.content)
    assert fault.code.split(".")[-1] == fault_name
    declared = contract.faults[operation]
    assert fault_name in declared and fault_name in contract.binding_faults[operation]
    assert fault.detail is not None, answer.content[:500]
    assert fault.detail.tag == declared[fault_name]
    valid = contract.schema.validate(fault.detail)
    assert valid, (contract.schema.error_log, etree.tostring(fault.detail))
    return fault


def get(shop_claim_id: str = "NOPE") -> bytes:
    return request("GetClaim", [("shopClaimId", shop_claim_id)])


@pytest.fixture
def contract(facade) -> Contract:
    return Contract(requests.get(facade.endpoint + "?wsdl", timeout=10).content)


def test_every_declared_fault_carries_its_declared_detail(facade, contract):
    seen = {}
    client = facade.client()

    # Schema (middleware) and domain (Spyne) validation errors, field by field.
    fault = check(contract, "SubmitClaim", facade.post(request(
        "SubmitClaim", [("claim", claim_fields("V-1", TODAY, principal="1.234"))])),
        "ValidationError")
    assert fault.fields == {"claim.principal": "must have at most 2 decimal places"}
    fault = check(contract, "SubmitClaim", facade.post(request(
        "SubmitClaim", [("claim", claim_fields("V-2", TODAY, currency="USD"))], "default")),
        "ValidationError")
    assert fault.fields == {"claim.currency": "only EUR is accepted"}
    seen["ValidationError"] = fault

    body = request("SubmitClaim", [("claim", claim_fields("C-1", TODAY))])
    assert facade.post(body).status_code == 200
    fault = check(contract, "SubmitClaim", facade.post(body.replace(b"149.90", b"150.00")),
                  "Conflict")
    assert fault.reason == "SHOP_CLAIM_ID_TAKEN" and "C-1" not in fault.message
    seen["Conflict"] = fault

    fault = check(contract, "GetClaim", facade.post(get()), "NotFound")
    assert fault.reason == "CLAIM_NOT_FOUND"
    seen["NotFound"] = fault

    client.service.SubmitClaim(claim=claim("D-1"))
    dunning = request("RequestCourtDunningOrder", [
        ("shopClaimId", "D-1"), ("instruction", "DUNNING_ONLY"), ("requestedBy", "Frau K")])
    fault = check(contract, "RequestCourtDunningOrder", facade.post(dunning), "DunningRefused")
    assert [r.findtext(f"{{{NS}}}code") for r in fault.detail] == ["NO_FILE_NUMBER"]
    seen["DunningRefused"] = fault
    _submitted(facade, "D-1")
    assert facade.post(dunning).status_code == 200
    fault = check(contract, "RequestCourtDunningOrder", facade.post(dunning), "Conflict")
    assert fault.reason == "COURT_PROCEDURE_RUNNING"

    wrong = requests.post(facade.endpoint, data=get(), auth=("shop-a", "wrong"),
                          headers={"Content-Type": "text/xml"}, timeout=10)
    fault = check(contract, "GetClaim", wrong, "AuthenticationFailed")
    assert fault.reason == "CREDENTIALS_REFUSED"
    seen["AuthenticationFailed"] = fault

    big = get("X" * MAX_BODY)
    fault = check(contract, "GetClaim", facade.post(big), "RequestTooLarge")
    assert fault.reason == "BODY_TOO_LARGE"
    seen["RequestTooLarge"] = fault

    for body, reason in ((b"<!DOCTYPE x []>" + get()[38:], "DOCTYPE_NOT_ALLOWED"),
                         (get()[:-30], "NOT_WELL_FORMED"),
                         (get().replace(b"GetClaim", b"DropTables"), "UNKNOWN_OPERATION"),
                         (get().replace(NS.encode(), b"urn:other"), "WRONG_NAMESPACE")):
        fault = check(contract, "GetClaim", facade.post(body), "MalformedRequest")
        assert fault.reason == reason
    seen["MalformedRequest"] = fault

    seen["Unavailable"] = _unavailable(facade, contract)

    declared = {name for faults in contract.faults.values() for name in faults}
    assert set(seen) == declared  # every fault the WSDL declares was answered and checked


def _unavailable(facade, contract) -> raw_soap.Fault:
    with without_database(facade) as base_url:
        answer = requests.post(base_url + "/soap/shop", data=get(), timeout=20,
                               auth=("shop-a", PASSWORDS["shop-a"]),
                               headers={"Content-Type": "text/xml"})
    fault = check(contract, "GetClaim", answer, "Unavailable")
    assert fault.reason == "DATABASE_UNAVAILABLE"
    return fault


def test_item_errors_of_a_batch_carry_the_reason_of_their_fault(facade):
    client = facade.client()
    client.service.SubmitClaim(claim=claim("B-1"))
    results = client.service.SubmitClaims(claims={"claim": [
        claim("B-1", principal=Decimal("1.00")), claim("B-2", currency="USD")]})
    assert results[0].error.code == "Client.Conflict"
    assert results[0].error.reason == "SHOP_CLAIM_ID_TAKEN"
    assert results[1].error.reason is None
    assert results[1].error.fieldErrors.fieldError[0].path == "claims[1].currency"


def test_a_fault_spyne_raises_itself_repeats_no_value(facade):
    """Spyne's own faults (a value it cannot read) quote the value; the facade writes them
    as a declared fault without it."""
    from spyne.error import ValidationError

    from gateway.shop_api import faults
    from gateway.shop_api.service import spyne_fault

    converted = spyne_fault(ValidationError("secret-value-4711"))
    assert converted.faultcode == faults.VALIDATION
    assert "secret-value-4711" not in converted.faultstring
    assert converted.detail.tag == f"{{{NS}}}ValidationError"
