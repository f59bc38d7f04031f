"""Schema errors are named by field path from the element names, whatever prefixes the client
chose (a `t:` prefix, a default namespace as node-soap, JAX-WS and .NET send, or both),
and in SubmitClaims one item's schema error never fails the others, in every style."""
from __future__ import annotations

import pytest

from tests.factories import wall_today

from . import raw_soap
from .raw_soap import STYLES, claim_fields, request

TODAY = wall_today()  # the facade under test runs on the wall clock


def _moved(fields: list, name: str, after: str) -> list:
    """The claim's fields with `name` moved behind `after` (out of the contract's order)."""
    moving = next(f for f in fields if f[0] == name)
    rest = [f for f in fields if f[0] != name]
    at = [f[0] for f in rest].index(after) + 1
    return rest[:at] + [moving] + rest[at:]


def _with_debtor_extra(fields: list, name: str) -> list:
    return [(k, v + [(name, "x")] if k == "debtor" else v) for k, v in fields]


CASES = {
    "bad enum and decimal": (
        lambda: claim_fields("S-1", TODAY, principal="1.234", debtor={"salutation": "HERR"}),
        {"claim.principal": "must have at most 2 decimal places",
         "claim.debtor.salutation": "must be one of MR, MS, UNKNOWN"}),
    "misplaced element": (
        lambda: _moved(claim_fields("S-2", TODAY), "currency", after="dateOfOrigin"),
        {"claim.currency": "is out of order or repeated; expected here: dueDate, "
                           "dateOfLastReminder, note, counterPerformanceRendered, debtor"}),
    "missing element": (
        lambda: claim_fields("S-3", TODAY, principal=None),
        {"claim.principal": "is required"}),
    "unknown element": (
        lambda: _with_debtor_extra(claim_fields("S-4", TODAY), "nickname"),
        {"claim.debtor.nickname": "is not an element of the contract here"}),
    "bad date and boolean": (
        lambda: claim_fields("S-5", TODAY, dueDate="2024-02-30",
                             counterPerformanceRendered="ja"),
        {"claim.dueDate": "must be a date (YYYY-MM-DD)",
         "claim.counterPerformanceRendered": "must be true or false"}),
}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("case", list(CASES))
def test_schema_errors_name_the_field_in_every_prefix_style(facade, style, case):
    fields, expected = CASES[case]
    answer = facade.post(request("SubmitClaim", [("claim", fields())], style))
    assert answer.status_code == 500, answer.content[:300]
    fault = raw_soap.fault(answer.content)
    assert fault.code == "Client.ValidationError"
    assert fault.fields == expected
    for path, message in expected.items():
        assert f"{path}: {message}" in fault.message


def test_an_element_outside_the_namespace_is_named_and_told_so(facade):
    body = request("SubmitClaim", [("claim", claim_fields("N-1", TODAY))])
    answer = facade.post(body.replace(b"<t:claim>", b"<claim>").replace(b"</t:claim>",
                                                                       b"</claim>"))
    fault = raw_soap.fault(answer.content)
    assert fault.fields == {"claim": "is in no namespace: every element of the contract is in "
                                     "'urn:inkasso-gateway:shop:v1'; expected here: claim"}


@pytest.mark.parametrize("style", STYLES)
def test_submit_claims_refuses_only_the_bad_items_in_every_style(facade, style):
    items = [claim_fields("P-0", TODAY),
             claim_fields("P-1", TODAY, debtor={"salutation": "HERR"}),
             _moved(claim_fields("P-2", TODAY), "currency", after="dateOfOrigin"),
             claim_fields("P-3", TODAY, dateOfLastReminder="12024-01-01"),
             claim_fields("P-4", TODAY)]
    answer = facade.post(request("SubmitClaims", [("claims", [("claim", i) for i in items]
                                                   + [("remark", "x")])], style))
    assert answer.status_code == 200, answer.content[:500]
    results = raw_soap.results(answer.content)
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4, 5]
    assert [r["created"] for r in results] == [True, None, None, None, True, None]
    assert results[1]["fields"] == {"claims[1].debtor.salutation": "must be one of MR, MS, UNKNOWN"}
    assert list(results[2]["fields"]) == ["claims[2].currency"]
    assert results[5]["fields"] == {
        "claims[5]": "<remark> is not an element of the contract here; expected here: claim"}
    assert results[3]["fields"] == {
        "claims[3].dateOfLastReminder": "must be a date between 0001-01-01 and 9999-12-31 "
                                        "(YYYY-MM-DD)"}
    client = facade.client()
    assert client.service.GetClaim("P-0").state == "RECEIVED"
    assert client.service.GetClaim("P-4").state == "RECEIVED"


def test_whitespace_around_a_boolean_or_number_reads_as_the_schema_reads_it(facade):
    # The schema takes " false " as false; Spyne alone read any padded boolean as false
    # and refused padded dates: the facade strips what the schema collapses.
    fields = claim_fields("W-1", TODAY, counterPerformanceRendered=" true ", dunningFees=" 5.00 ")
    answer = facade.post(request("SubmitClaim", [("claim", fields)], "default"))
    assert answer.status_code == 200, answer.content[:500]
    view = facade.client().service.GetClaim("W-1")
    assert view.claim.counterPerformanceRendered is True
    assert str(view.claim.dunningFees) == "5.00"
