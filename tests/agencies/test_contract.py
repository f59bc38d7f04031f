"""The committed WSDL is what the simulator implements; the mapping covers the code ranges."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import requests
from lxml import etree
from structlog.testing import capture_logs

from gateway.agencies.mediafinanz.client import default_wsdl
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import Claim, Debtor, DebtorKind, Salutation
from gateway.service.claims import apply_agency_status
from mappings.mediafinanz import (OPERATIONS, debtor_arguments, state_for,
                                  status_table, to_status)
from mappings.mediafinanz import codes

from .conftest import person_claim
from mappings.mediafinanz import new_claim_arguments


def _normalized(document: bytes) -> bytes:
    tree = etree.fromstring(document, etree.XMLParser(remove_comments=True,
                                                      remove_blank_text=True))
    for address in tree.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address"):
        address.set("location", "ENDPOINT")
    # Spyne emits types and messages in no fixed order; the order carries no meaning.
    for parent in [tree, *tree.iter("{http://www.w3.org/2001/XMLSchema}schema")]:
        parent[:] = sorted(parent, key=lambda e: (e.tag, e.get("name") or ""))
    return etree.tostring(tree, method="c14n", exclusive=True,
                          inclusive_ns_prefixes=["tns", "xs", "wsdl", "wsdlsoap11"])


def test_committed_wsdl_is_what_the_simulator_serves(sim):
    served = requests.get(sim.url, timeout=5).content
    assert _normalized(default_wsdl().read_bytes()) == _normalized(served)


def test_wsdl_declares_every_operation():
    tree = etree.fromstring(default_wsdl().read_bytes())
    names = {op.get("name") for op in tree.iter("{http://schemas.xmlsoap.org/wsdl/}operation")}
    assert names == set(OPERATIONS)


def test_every_code_of_both_ranges_has_a_state():
    expected = set(range(10201, 10234)) | set(range(11301, 11317))
    assert set(status_table()) == expected
    assert state_for(10210) is ClaimState.CANCELLED


@pytest.mark.parametrize("code, state", [
    (11301, ClaimState.COURT_DUNNING_REQUESTED), (11303, ClaimState.DUNNING_ORDER_ISSUED),
    (11304, ClaimState.DUNNING_ORDER_SERVED), (11306, ClaimState.OBJECTION_RAISED),
    (11307, ClaimState.ENFORCEMENT_ORDER_REQUESTED), (11308, ClaimState.ENFORCEMENT_ORDER_ISSUED),
    (11311, ClaimState.TITLE_OBTAINED), (11314, ClaimState.IN_COLLECTION),
    (10209, ClaimState.PAID), (10207, ClaimState.INSTALMENT_PLAN),
])
def test_court_stages_and_collection(code, state):
    assert state_for(code) is state


def test_unknown_code_maps_to_none_with_one_warning():
    codes._warned.discard(19999)
    with capture_logs() as logs:
        assert state_for(19999) is None
        assert to_status("12345678901", 19999, None).state is None
    warnings = [e for e in logs if e["event"] == "agency_status_code_unknown"]
    assert len(warnings) == 1 and warnings[0]["status_code"] == 19999


def test_court_dates_come_from_status_details():
    """The mapping names the date a code carries; the service reads it from statusDetails."""
    reported_at = datetime(2024, 5, 9, 8, 0, tzinfo=timezone.utc)

    def served_on(status):
        claim = Claim(shop_id="s", content=person_claim(), state=ClaimState.DUNNING_ORDER_ISSUED,
                      agency_account="mediafinanz")
        apply_agency_status(claim, status, reported_at)
        return claim.court.dunning_order_served_on

    served = to_status("1", 11304, "Mahnbescheid zugestellt", "Zustellung am 2024-05-03")
    assert served.court_date == "dunning_order_served_on"
    assert served_on(served) == date(2024, 5, 3)
    no_date = to_status("1", 11304, None, "zugestellt")
    assert no_date.court_date == "dunning_order_served_on"
    assert served_on(no_date) == reported_at.date()  # no date in the details: the report's
    assert to_status("1", 10203, None, "2024-05-03").court_date is None


def test_debtor_field_mapping():
    company = Debtor(kind=DebtorKind.COMPANY, company="Müller", legal_form="GmbH",
                     street="Am Markt", house_number="3", postcode="10115", city="Berlin")
    args = debtor_arguments(company)
    assert (args["address"], args["company"], args["street"]) == ("c", "Müller GmbH", "Am Markt 3")
    for salutation, code in ((Salutation.MR, "m"), (Salutation.MS, "f"), (Salutation.UNKNOWN, "@")):
        person = Debtor(kind=DebtorKind.PERSON, last_name="X", salutation=salutation)
        assert debtor_arguments(person)["address"] == code
    claim_args, _ = new_claim_arguments(person_claim())
    assert claim_args["type"] == 1 and str(claim_args["originalValue"]) == "119.90"
