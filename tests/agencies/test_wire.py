"""What the zeep adapter puts on the wire, and how it classifies each kind of failure.

`responses` stands in for the agency here only to pin bytes and to produce
failures exactly; the simulator tests cover the real exchange.
"""
from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from gateway.agencies.mediafinanz import MediafinanzAgency
from gateway.domain.model import Claim, CourtDunningInstruction
from gateway.service.agency_port import (AgencyAmbiguous, AgencyAuthFailed, AgencyCredentials,
                                         AgencyRejected, AgencyTransient, CourtDunningAmounts,
                                         InterestAmount)

from .conftest import person_claim

URL = "http://agency.test/mediafinanz"
GOLDEN = Path(__file__).parent / "golden" / "newClaim.xml"
CREDS = AgencyCredentials("1001", "client-key")
NS = "urn:inkasso-gateway:agency:mediafinanz:v1"


def envelope(body: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soap11env:Envelope xmlns:soap11env="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:tns="{NS}"><soap11env:Body>{body}</soap11env:Body></soap11env:Envelope>')


def fault(code: str, message: str) -> str:
    return envelope(f"<soap11env:Fault><faultcode>soap11env:{code}</faultcode>"
                    f"<faultstring>{message}</faultstring></soap11env:Fault>")


ACCEPTED = envelope("<tns:newClaimResponse><tns:newClaimResult>"
                    "<tns:fileNumber>12345678901</tns:fileNumber>"
                    "</tns:newClaimResult></tns:newClaimResponse>")
REJECTED = envelope("<tns:newClaimResponse><tns:newClaimResult>"
                    "<tns:errorList>Ungültige Postleitzahl: 1234</tns:errorList>"
                    "<tns:errorList>Nachname des Schuldners fehlt</tns:errorList>"
                    "</tns:newClaimResult></tns:newClaimResponse>")


@pytest.fixture(scope="module")
def agency():
    return MediafinanzAgency(URL, "application-key", timeout_s=1.0)


def submit(agency):
    return agency.submit_claim(CREDS, Claim(shop_id="shop-1", content=person_claim()))


@responses.activate
def test_new_claim_wire_bytes_match_the_golden_file(agency):
    responses.post(URL, body=ACCEPTED, content_type="text/xml; charset=utf-8")
    assert submit(agency) == "12345678901"
    sent = responses.calls[0].request
    assert sent.headers["SOAPAction"] == '"newClaim"'
    assert sent.body == GOLDEN.read_bytes()


LAWYER_GOLDEN = Path(__file__).parent / "golden" / "instructLawyer.xml"
LAWYER_TAKEN = envelope("<tns:instructLawyerResponse><tns:instructLawyerResult>true"
                        "</tns:instructLawyerResult></tns:instructLawyerResponse>")


@responses.activate
def test_lawyer_hand_over_wire_bytes_match_the_golden_file(agency):
    """The amounts the application lists apart (§ 690 (1) Nr. 3 ZPO) go as instructLawyer's
    `amounts` (ASSUMED, mappings/mediafinanz/README.md): a business debtor in default since
    2024-04-03, reckoned on 2024-06-03: base rate 3.62 + 9 points, the 40.00 flat fee."""
    responses.post(URL, body=LAWYER_TAKEN, content_type="text/xml; charset=utf-8")
    amounts = CourtDunningAmounts(
        date(2024, 6, 3), Decimal("119.90"), Decimal("5.00"), Decimal("40.00"),
        InterestAmount(date(2024, 4, 3), date(2024, 6, 3), Decimal("9"), Decimal("12.62"),
                       Decimal("2.57")))
    agency.hand_over_to_lawyer(CREDS, "12345678901", CourtDunningInstruction.DUNNING_ONLY,
                               amounts)
    sent = responses.calls[0].request
    assert sent.headers["SOAPAction"] == '"instructLawyer"'
    if os.environ.get("GATEWAY_UPDATE_GOLDEN") == "1":
        LAWYER_GOLDEN.write_bytes(sent.body)
    assert sent.body == LAWYER_GOLDEN.read_bytes()


@responses.activate
def test_error_list_is_a_rejection_with_reasons(agency):
    responses.post(URL, body=REJECTED, content_type="text/xml")
    with pytest.raises(AgencyRejected) as caught:
        submit(agency)
    assert caught.value.reasons == ("Ungültige Postleitzahl: 1234", "Nachname des Schuldners fehlt")


@pytest.mark.parametrize("answer, error", [
    (dict(status=500, body="internal error", content_type="text/plain"), AgencyTransient),
    (dict(status=503, body="unavailable", content_type="text/plain"), AgencyTransient),
    (dict(status=502, body="", content_type="text/plain"), AgencyTransient),
    (dict(status=500, body=fault("Server.Unavailable", "down"), content_type="text/xml"),
     AgencyTransient),
    (dict(status=500, body=fault("Client.AuthenticationFailed", "no"), content_type="text/xml"),
     AgencyAuthFailed),
    (dict(status=500, body=fault("Client.UnknownFileNumber", "?"), content_type="text/xml"),
     AgencyRejected),
    (dict(body=requests.exceptions.ConnectTimeout("connect timed out")), AgencyTransient),
    (dict(body=requests.exceptions.ConnectionError(
        MaxRetryError(None, URL, NewConnectionError(None, "Connection refused")))),
     AgencyTransient),
    (dict(body=requests.exceptions.ReadTimeout("read timed out")), AgencyAmbiguous),
    (dict(body=requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))),
     AgencyAmbiguous),
    (dict(body=requests.exceptions.ChunkedEncodingError("Connection broken")), AgencyAmbiguous),
    (dict(status=200, body="<not-xml", content_type="text/xml"), AgencyAmbiguous),
], ids=["http500", "http503", "http502", "server-fault", "auth-fault", "client-fault",
        "connect-timeout", "connection-refused", "read-timeout", "connection-reset",
        "body-cut", "garbage"])
@responses.activate
def test_failure_classification(agency, answer, error):
    responses.post(URL, **answer)
    with pytest.raises(error) as caught:
        submit(agency)
    if error is AgencyTransient:
        assert not isinstance(caught.value, AgencyAmbiguous)  # nothing was sent or took effect
    assert "client-key" not in str(caught.value)


@responses.activate
def test_no_envelope_reaches_the_logs(agency, caplog):
    responses.post(URL, body=ACCEPTED, content_type="text/xml")
    caplog.set_level("DEBUG")
    import logging
    logging.getLogger("zeep.transports").setLevel(logging.DEBUG)  # someone turns it up
    submit(agency)
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in ("Weiß", "Hauptstraße", "licenceKey", "j.weiss@example.org"):
        assert secret not in logged
