"""Internal claim -> new-claim body -> the simulator's parse -> internal claim is the identity
where the REST body's fields can hold it (mappings/mediafinanz_rest/claims.py says what they
cannot): reasons of at most 250 characters come back exactly, longer ones as cut_reason();
house numbers are one word starting with a digit; salutation comes back UNKNOWN and
customer_id None (no field); due_date None and counter_performance_rendered True (no field).
The legal form of a company, which the SOAP interface folds into the name, has its own field.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from gateway.agencies.mediafinanz_rest import MediafinanzRestAgency
from gateway.domain.countries import ISO_COUNTRIES
from gateway.domain.model import (Claim, ClaimContent, ClaimType, Debtor, DebtorKind,
                                  Salutation)
from mappings.mediafinanz.claims import cut_reason
from mappings.mediafinanz_rest import REASON_LIMIT, jsonwire, new_claim_body, parse_new_claim

from .conftest import SIM_START, credentials_of, person_claim

TODAY = SIM_START.date()  # the simulator's calendar, not the real one
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüÄÖÜßéèçñøåÅ"
word = st.text(LETTERS + "-.'&\"", min_size=1, max_size=12).filter(lambda w: w[0] in LETTERS)


def words(max_words: int, max_len: int):
    return st.lists(word, min_size=1, max_size=max_words).map(" ".join).map(
        lambda s: s[:max_len].rstrip()).filter(bool)


def optional(strategy):
    return st.none() | strategy


amounts = st.integers(1, 999_999_999).map(lambda cents: Decimal(cents).scaleb(-2))
fees = st.integers(0, 99_999).map(lambda cents: Decimal(cents).scaleb(-2))
past = st.dates(min_value=date(TODAY.year - 3, 1, 1), max_value=TODAY - timedelta(days=1))


@st.composite
def debtors(draw) -> Debtor:
    kind = draw(st.sampled_from(DebtorKind))
    country = draw(st.sampled_from(sorted(ISO_COUNTRIES)))
    postcode = draw(st.from_regex(r"[0-9]{5}", fullmatch=True) if country == "DE"
                    else st.from_regex(r"[A-Z0-9]{2,8}", fullmatch=True))
    person = kind is DebtorKind.PERSON
    return Debtor(
        kind=kind,
        last_name=draw(words(3, 100)) if person else draw(optional(words(3, 100))),
        first_name=draw(optional(words(3, 100))),
        salutation=draw(st.sampled_from(Salutation)) if person else Salutation.UNKNOWN,
        company=None if person else draw(words(6, 200)),
        legal_form=None if person else draw(optional(st.sampled_from(
            ["GmbH", "AG", "e.K.", "GmbH & Co. KG", "UG (haftungsbeschränkt)"]))),
        care_of=draw(optional(words(4, 100))),
        street=draw(words(4, 100)),
        house_number=draw(optional(st.from_regex(r"[1-9][0-9]{0,3}[a-z]?", fullmatch=True))),
        postcode=postcode,
        city=draw(words(3, 100)),
        country=country,
        email=draw(optional(st.from_regex(r"[a-z0-9.]{1,20}@[a-z0-9]{1,20}\.(de|com|eu)",
                                          fullmatch=True))),
        phone=draw(optional(st.from_regex(r"\+?[0-9 ]{3,20}[0-9]", fullmatch=True))),
        mobile=draw(optional(st.from_regex(r"01[0-9]{8,12}", fullmatch=True))),
        date_of_birth=draw(optional(st.dates(date(1900, 1, 1), TODAY - timedelta(days=1)))),
        customer_id=draw(optional(st.from_regex(r"[A-Z0-9-]{1,20}", fullmatch=True))),
    )


@st.composite
def claims(draw) -> ClaimContent:
    origin = draw(past)
    return ClaimContent(
        shop_claim_id=draw(st.from_regex(r"[A-Za-z0-9_/-]{1,64}", fullmatch=True)),
        claim_type=draw(st.sampled_from(ClaimType)),
        reason=draw(st.one_of(words(10, REASON_LIMIT), words(80, 600),
                              st.text(LETTERS, min_size=251, max_size=400))),
        principal=draw(amounts),
        dunning_fees=draw(fees),
        date_of_origin=origin,
        due_date=draw(optional(st.dates(origin, origin + timedelta(days=30)))),
        date_of_last_reminder=draw(optional(st.dates(origin, TODAY))),
        note=draw(optional(words(40, 2000))),
        counter_performance_rendered=True,
        debtor=draw(debtors()),
    )


def expected(content: ClaimContent) -> ClaimContent:
    debtor = replace(content.debtor, salutation=Salutation.UNKNOWN, customer_id=None)
    return replace(content, reason=cut_reason(content.reason), due_date=None, debtor=debtor)


@given(claims(), optional(st.from_regex(r"[A-Z0-9]{1,8}-[0-9]{6}", fullmatch=True)))
@settings(max_examples=300, deadline=None)
def test_mapping_round_trip_through_the_json_bytes(content, reference):
    reference = reference or content.shop_claim_id
    body = new_claim_body(content, reference)
    assert len(body["Claim"]["Reason"]) <= REASON_LIMIT
    parsed_reference, parsed = parse_new_claim(jsonwire.loads(jsonwire.dumps(body)))
    assert (parsed_reference, parsed) == (reference, expected(content))


def test_what_the_body_cannot_hold_on_a_fixed_claim():
    content = person_claim("ORDER-1001", due_date=date(2024, 3, 15))
    _, parsed = parse_new_claim(new_claim_body(content, "ORDER-1001"))
    assert parsed == expected(content)
    assert content.debtor.salutation is Salutation.MS and parsed.debtor.salutation is \
        Salutation.UNKNOWN
    assert (parsed.due_date, parsed.debtor.customer_id) == (None, None)


def test_claim_types_survive_as_catalogue_number_and_condition():
    seen = set()
    for kind in ClaimType:
        body = new_claim_body(person_claim(claim_type=kind), "R")
        seen.add((body["Claim"]["ContractualItemCatalogueNo"],
                  body["Claim"]["ContractualCondition"]))
        assert parse_new_claim(body)[1].claim_type is kind
    assert seen == {("11", 1), ("11", 2), ("05", 1)}


_MARKS = ("in insolvenz", "i.l.", "in liquidation")  # the simulator's insolvency register


@given(claims())
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_wire_round_trip_through_the_adapter_and_the_simulator(sim, content):
    names = " ".join(filter(None, (content.debtor.company, content.debtor.last_name,
                                   content.debtor.legal_form))).lower()
    assume(not any(mark in names for mark in _MARKS))
    sim.reset()
    agency = _agency(sim)
    number = agency.submit_claim(credentials_of(sim), Claim(shop_id="shop", content=content))
    assert sim.simulator.claim(number).content == expected(content)
    assert sim.claims() == {content.shop_claim_id: number}


_agencies: dict[str, MediafinanzRestAgency] = {}


def _agency(sim) -> MediafinanzRestAgency:
    if sim.url not in _agencies:
        _agencies[sim.url] = MediafinanzRestAgency(sim.url, timeout_s=5.0)
    return _agencies[sim.url]
