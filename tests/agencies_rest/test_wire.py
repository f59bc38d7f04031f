"""What the REST adapter puts on the wire, and how it classifies each kind of answer/failure.

`responses` stands in for the agency here only to pin bytes and to produce failures
exactly; test_integration.py covers the real exchange with the simulator. A golden file
(golden/<operation>.http) is the request as requests hands it to the connection: method
and path, every header in order, a blank line, the body bytes. Regenerate them after a
deliberate change with GATEWAY_UPDATE_GOLDEN=1 and read the diff.
"""
from __future__ import annotations

import io
import logging
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from gateway import logs
from gateway.agencies.mediafinanz_rest import MediafinanzRestAgency
from gateway.domain.model import CourtDunningInstruction
from gateway.service.agency_port import (AgencyAmbiguous, AgencyAuthFailed, AgencyCredentials,
                                         AgencyRejected, AgencyTransient, CourtDunningAmounts,
                                         InterestAmount)

from .conftest import claim

BASE = "https://test.api.mediafinanz.de"
GOLDEN = Path(__file__).parent / "golden"
UUID = "12345678-1234-1234-1234-123456789012"
CREDS = AgencyCredentials(UUID, "geheim-passwort", user="shop-user")
NUMBER = "12345678901"
CLAIM_URL = f"{BASE}/v2.1/collect/claim"
STATUS = {"FileNumber": NUMBER, "StatusCode": 10203, "StatusText": "Schuldner angeschrieben",
          "StatusDetails": None, "StatusDate": "2024-06-04T09:00:00+00:00"}


@pytest.fixture(scope="module")
def agency():
    client = MediafinanzRestAgency(BASE, timeout_s=1.0)
    yield client
    client.close()


def rendered(request) -> bytes:
    head = [f"{request.method} {request.path_url}"]
    head += [f"{name}: {value}" for name, value in request.headers.items()]
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return "\n".join(head).encode("utf-8") + b"\n\n" + body + b"\n"


def assert_golden(name: str, request) -> None:
    path = GOLDEN / f"{name}.http"
    if os.environ.get("GATEWAY_UPDATE_GOLDEN") == "1":
        path.write_bytes(rendered(request))
    assert rendered(request) == path.read_bytes(), f"request differs from {path}"


@responses.activate
def test_new_claim_wire_bytes_match_the_golden_file(agency):
    responses.put(f"{CLAIM_URL}/new/", status=201,
                  json={"FileNumber": NUMBER, "ClientCustomerRefNo": "ORDER-1001"})
    assert agency.submit_claim(CREDS, claim()) == NUMBER
    sent = responses.calls[0].request
    assert_golden("claim_new", sent)
    assert sent.headers["uuid"] == UUID and sent.headers["user"] == "shop-user"
    assert sent.headers["password"] == "geheim-passwort"
    assert "validate" not in sent.headers  # real calls are never dry runs


@responses.activate
def test_status_wire_bytes_match_the_golden_file(agency):
    responses.get(f"{CLAIM_URL}/{NUMBER}/status/", json=STATUS)
    status = agency.get_status(CREDS, NUMBER)
    assert_golden("claim_status", responses.calls[0].request)
    assert (status.code, status.state.value, status.file_number) == \
        (10203, "IN_COLLECTION", NUMBER)
    assert status.at.isoformat() == "2024-06-04T09:00:00+00:00"


@responses.activate
def test_close_wire_bytes_match_the_golden_file(agency):
    responses.post(f"{CLAIM_URL}/{NUMBER}/close/", json={**STATUS, "StatusCode": 10210})
    agency.close_claim(CREDS, NUMBER)
    assert_golden("claim_close", responses.calls[0].request)


@responses.activate
def test_payment_wire_bytes_match_the_golden_file(agency):
    responses.post(f"{CLAIM_URL}/{NUMBER}/payment/", json=STATUS)
    agency.book_direct_payment(CREDS, NUMBER, date(2024, 5, 2), Decimal("24.90"))
    assert_golden("claim_payment", responses.calls[0].request)


# What the application lists apart (§ 690 (1) Nr. 3 ZPO), reckoned on 2024-06-03 for 119.90
# in default since 2024-04-03: against a consumer base rate 3.62 + 5 points, no flat fee;
# against a business + 9 points and the 40.00 flat fee (§ 288 (1), (2), (5) BGB).
CONSUMER_AMOUNTS = CourtDunningAmounts(
    date(2024, 6, 3), Decimal("119.90"), Decimal("5.00"), Decimal("0.00"),
    InterestAmount(date(2024, 4, 3), date(2024, 6, 3), Decimal("5"), Decimal("8.62"),
                   Decimal("1.76")))
BUSINESS_AMOUNTS = CourtDunningAmounts(
    date(2024, 6, 3), Decimal("119.90"), Decimal("0.00"), Decimal("40.00"),
    InterestAmount(date(2024, 4, 3), date(2024, 6, 3), Decimal("9"), Decimal("12.62"),
                   Decimal("2.57")))


@pytest.mark.parametrize("instruction, code, amounts", [
    (CourtDunningInstruction.DUNNING_ONLY, 1, CONSUMER_AMOUNTS),
    (CourtDunningInstruction.DUNNING_THEN_LAWSUIT, 2, BUSINESS_AMOUNTS)])
@responses.activate
def test_lawyer_wire_bytes_match_the_golden_file(agency, instruction, code, amounts):
    responses.post(f"{CLAIM_URL}/{NUMBER}/lawyer/", json=STATUS)
    agency.hand_over_to_lawyer(CREDS, NUMBER, instruction, amounts)
    assert_golden(f"claim_lawyer_{code}", responses.calls[0].request)


@responses.activate
def test_accounting_and_account_wire_bytes_match_the_golden_files(agency):
    responses.get(f"{CLAIM_URL}/{NUMBER}/accounting/", json={"FileNumber": NUMBER})
    responses.get(f"{BASE}/v2.1/account/", json={"Uuid": UUID, "User": "shop-user"})
    agency.get_accounting(CREDS, NUMBER)
    agency.check_credentials(CREDS)
    assert_golden("claim_accounting", responses.calls[0].request)
    assert_golden("account", responses.calls[1].request)


@responses.activate
def test_the_hand_over_reference_is_the_client_customer_ref_no(agency):
    responses.put(f"{CLAIM_URL}/new/", json={"FileNumber": NUMBER})
    agency.submit_claim(CREDS, claim("ORDER-1001", reference="GW7-000042"))
    body = responses.calls[0].request.body
    assert b'"ClientCustomerRefNo":"GW7-000042"' in body
    assert b'"PrincipalClaim":{"Number":"ORDER-1001"' in body  # the invoice stays the shop's


@responses.activate
def test_amounts_go_over_the_wire_as_their_own_digits(agency):
    responses.put(f"{CLAIM_URL}/new/", json={"FileNumber": NUMBER})
    responses.post(f"{CLAIM_URL}/{NUMBER}/payment/", json=STATUS)
    agency.submit_claim(CREDS, claim(principal=Decimal("1234567.89"),
                                     dunning_fees=Decimal("0.10")))
    agency.book_direct_payment(CREDS, NUMBER, date(2024, 5, 2), Decimal("0.10"))
    new_claim, payment = (c.request.body for c in responses.calls)
    assert b'"Amount":1234567.89,' in new_claim
    assert b'"Value":1234567.89,' in new_claim and b'"Value":0.10,' in new_claim
    assert payment == b'{"PaymentDate":"2024-05-02","Amount":0.10}'


@responses.activate
def test_amounts_come_back_as_exact_decimals(agency):
    # 12345678901234567.89 has no float near enough: through float it would end in ...68.
    body = (b'{"FileNumber":"12345678901","TotalDebts":12345678901234567.89,"Paid":0.10,'
            b'"Outstanding":12345678901234567.79,"CurrentPayout":0,"SumPayout":0.10,'
            b'"Payouts":[{"Date":"2024-07-01","Amount":0.10,"PayoutNo":"A000000001"}]}')
    responses.get(f"{CLAIM_URL}/{NUMBER}/accounting/", body=body,
                  content_type="application/json")
    summary = agency.get_accounting(CREDS, NUMBER)
    assert summary.total_debts == Decimal("12345678901234567.89")
    assert str(summary.total_debts) == "12345678901234567.89"
    assert (summary.paid, summary.current_payout) == (Decimal("0.10"), Decimal("0.00"))
    assert [(p.paid_out_on, p.amount, p.number) for p in summary.payouts] == \
        [(date(2024, 7, 1), Decimal("0.10"), "A000000001")]
    assert all(type(v) is Decimal for v in (summary.total_debts, summary.outstanding))


@pytest.mark.parametrize("answer, error, reasons", [
    (dict(status=422, json={"Errors": ["Ungültige Postleitzahl: 1234",
                                       "Nachname des Schuldners fehlt"]}),
     AgencyRejected, ("Ungültige Postleitzahl: 1234", "Nachname des Schuldners fehlt")),
    (dict(status=400, json={"errors": [{"Field": "Debtor.PersonType", "Message": "invalid"}]}),
     AgencyRejected, ("Debtor.PersonType: invalid",)),
    (dict(status=400, body="bad request", content_type="text/plain"), AgencyRejected,
     ("HTTP 400 without a reason",)),
    (dict(status=404, json={"Errors": ["Unbekanntes Aktenzeichen"]}), AgencyRejected,
     ("Unbekanntes Aktenzeichen",)),
    (dict(status=409, json=["Akte ist bereits abgeschlossen"]), AgencyRejected,
     ("Akte ist bereits abgeschlossen",)),
    (dict(status=401, json={"Errors": ["Authentifizierung fehlgeschlagen"]}), AgencyAuthFailed,
     None),
    (dict(status=403, body=""), AgencyAuthFailed, None),
    (dict(status=404, body="<html>Not Found</html>", content_type="text/html"),
     AgencyTransient, None),
    (dict(status=429, json={"Errors": ["zu viele Anfragen"]}), AgencyTransient, None),
    (dict(status=500, body="internal error", content_type="text/plain"), AgencyTransient, None),
    (dict(status=500, json={"Errors": ["Dienst vorübergehend nicht verfügbar"]}),
     AgencyTransient, None),
    (dict(status=502, body=""), AgencyTransient, None),
    (dict(status=503, body="unavailable", headers={"Retry-After": "1"}), AgencyTransient, None),
    (dict(status=301, headers={"Location": "https://elsewhere.test/"}), AgencyTransient, None),
    (dict(body=requests.exceptions.ConnectTimeout("connect timed out")), AgencyTransient, None),
    (dict(body=requests.exceptions.ConnectionError(
        MaxRetryError(None, BASE, NewConnectionError(None, "Connection refused")))),
     AgencyTransient, None),
    (dict(body=requests.exceptions.ReadTimeout("read timed out")), AgencyAmbiguous, None),
    (dict(body=requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))),
     AgencyAmbiguous, None),
    (dict(body=requests.exceptions.ChunkedEncodingError("Connection broken")), AgencyAmbiguous,
     None),
    (dict(status=200, body="<not-json", content_type="application/json"), AgencyAmbiguous,
     None),
    (dict(status=201, json={"ClientCustomerRefNo": "ORDER-1001"}), AgencyAmbiguous, None),
    (dict(status=200, body=""), AgencyAmbiguous, None),
], ids=["422-reasons", "400-field", "400-bare", "404-agency", "409-list", "401", "403",
        "404-proxy", "429", "500", "500-json", "502", "503", "301", "connect-timeout",
        "connection-refused", "read-timeout", "connection-reset", "body-cut", "garbage",
        "no-file-number", "empty"])
@responses.activate
def test_failure_classification(agency, answer, error, reasons):
    responses.put(f"{CLAIM_URL}/new/", **answer)
    with pytest.raises(error) as caught:
        agency.submit_claim(CREDS, claim())
    if error is AgencyTransient:
        assert not isinstance(caught.value, AgencyAmbiguous)  # nothing was sent or took effect
    if reasons is not None:
        assert caught.value.reasons == reasons
    assert "geheim-passwort" not in str(caught.value)
    assert len(responses.calls) == 1  # never retried inside the adapter


@responses.activate
def test_a_status_answer_that_does_not_fit_is_ambiguous(agency):
    responses.get(f"{CLAIM_URL}/{NUMBER}/status/", json={"StatusCode": "zehn"})
    with pytest.raises(AgencyAmbiguous):
        agency.get_status(CREDS, NUMBER)


@responses.activate
def test_an_unknown_status_code_maps_to_no_state(agency):
    responses.get(f"{CLAIM_URL}/{NUMBER}/status/", json={**STATUS, "StatusCode": 19999})
    status = agency.get_status(CREDS, NUMBER)
    assert (status.code, status.state) == (19999, None)


@pytest.mark.parametrize("creds, sandbox_base", [
    (AgencyCredentials("1001", "pw", user="u"), BASE),  # a SOAP client id, not a UUID
    (AgencyCredentials(UUID, "pw"), BASE),  # no user
    (AgencyCredentials(UUID, "pw\r\nX-Injected: 1", user="u"), BASE),
    (AgencyCredentials(UUID, "pw€", user="u"), BASE),  # not sendable as a header
    (AgencyCredentials(UUID, "pw", user="u", sandbox=True), "https://api.mediafinanz.de"),
], ids=["numeric-id", "no-user", "crlf", "not-latin-1", "sandbox-on-production"])
@responses.activate
def test_unusable_credentials_fail_before_anything_is_sent(creds, sandbox_base):
    agency = MediafinanzRestAgency(sandbox_base, timeout_s=1.0)
    with pytest.raises(AgencyAuthFailed):
        agency.check_credentials(creds)
    assert len(responses.calls) == 0


@pytest.mark.parametrize("number", ["123", "1234567890a", "../../account", "123456789012"])
@responses.activate
def test_a_file_number_that_is_none_is_refused_unsent(agency, number):
    with pytest.raises(AgencyRejected):
        agency.get_status(CREDS, number)
    assert len(responses.calls) == 0


@responses.activate
def test_a_body_the_mapping_cannot_build_is_refused_unsent(agency):
    with pytest.raises(AgencyRejected):
        agency.book_direct_payment(CREDS, NUMBER, date(2024, 5, 2), Decimal("1.005"))
    with pytest.raises(AgencyRejected):
        agency.book_direct_payment(CREDS, NUMBER, date(2024, 5, 2), 1.5)  # a float
    assert len(responses.calls) == 0


def test_there_is_no_changes_feed(agency):
    assert agency.name == "mediafinanz-rest" and agency.has_changes_feed is False
    with pytest.raises(AgencyRejected, match="no changes feed"):
        agency.get_status_changes(CREDS)
    with pytest.raises(AgencyRejected, match="no changes feed"):
        agency.commit_changes(CREDS, "T1")


def test_constructor_refuses_what_would_hang_or_go_nowhere():
    with pytest.raises(ValueError):
        MediafinanzRestAgency("api.mediafinanz.de")
    with pytest.raises(ValueError):
        MediafinanzRestAgency(BASE, timeout_s=0)
    assert MediafinanzRestAgency(BASE + "/").base_url == BASE


@responses.activate
def test_no_debtor_data_or_password_reaches_the_logs(agency, caplog):
    stream = io.StringIO()
    logs.configure("debug", "json", stream=stream)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)  # someone turns it up
    responses.put(f"{CLAIM_URL}/new/", status=422,
                  json={"Errors": ["Ungültige Postleitzahl: 49074", "Weiß unbekannt"]})
    responses.get(f"{CLAIM_URL}/{NUMBER}/status/", status=500, body="down")
    try:
        with pytest.raises(AgencyRejected) as caught:
            agency.submit_claim(CREDS, claim())
        with pytest.raises(AgencyTransient):
            agency.get_status(CREDS, NUMBER)
    finally:
        logs.configure("info", "json")
        logging.getLogger("urllib3").setLevel(logging.NOTSET)
    assert "Weiß unbekannt" in caught.value.reasons  # the reasons reach the claim ...
    text = stream.getvalue()
    assert '"operation": "claim_new"' in text and '"reasons": 2' in text  # ... it is logged ...
    logged = text + caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in ("Weiß", "Hauptstraße", "49074", "j.weiss@example.org", "geheim-passwort",
                   "Jürgen", "Ungültige"):
        assert secret not in logged, secret  # ... but nothing of the debtor or the password
