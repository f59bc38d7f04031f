"""Internal claim -> newClaim request -> the simulator's parse -> internal claim is the identity.

"Identity" for every claim the agency's fields can represent (see
mappings/mediafinanz/claims.py): reasons of at most 250 characters come back
exactly, longer ones as cut_reason(reason) (a prefix ending at a word boundary);
house numbers are one word starting with a digit; no legal form (it travels inside
the company name); companies have salutation UNKNOWN; due_date is None and
counter_performance_rendered True (the agency has no field for either).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from gateway.agencies.mediafinanz import MediafinanzAgency
from gateway.domain.countries import ISO_COUNTRIES
from gateway.domain.model import (Claim, ClaimContent, ClaimType, Debtor, DebtorKind,
                                  Salutation)
from gateway.service.agency_port import AgencyCredentials
from mappings.mediafinanz import REASON_LIMIT, cut_reason, new_claim_arguments, parse_new_claim

from .conftest import CLIENT_ID, SIM_START

TODAY = SIM_START.date()  # the simulator's calendar, not the real one
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüÄÖÜßéèçñøåÅ"
word = st.text(LETTERS + "-.'&", min_size=1, max_size=12).filter(lambda w: w[0] in LETTERS)


def words(max_words: int, max_len: int):
    return st.lists(word, min_size=1, max_size=max_words).map(" ".join).map(
        lambda s: s[:max_len].rstrip()).filter(bool)


def optional(strategy):
    return st.none() | strategy


amounts = st.integers(1, 999_999_999).map(lambda cents: Decimal(cents).scaleb(-2))
fees = st.integers(0, 99_999).map(lambda cents: Decimal(cents).scaleb(-2))
# Within the limitation period: the agency refuses time-barred claims.
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
    reason = draw(st.one_of(words(10, REASON_LIMIT), words(80, 600),
                            st.text(LETTERS, min_size=251, max_size=400)))
    reminder = draw(optional(st.dates(origin, TODAY)))
    return ClaimContent(
        shop_claim_id=draw(st.from_regex(r"[A-Za-z0-9_/-]{1,64}", fullmatch=True)),
        claim_type=draw(st.sampled_from(ClaimType)),
        reason=reason,
        principal=draw(amounts),
        dunning_fees=draw(fees),
        date_of_origin=origin,
        due_date=None,
        date_of_last_reminder=reminder,
        note=draw(optional(words(40, 2000))),
        counter_performance_rendered=True,
        debtor=draw(debtors()),
    )


def expected(content: ClaimContent) -> ClaimContent:
    return replace(content, reason=cut_reason(content.reason))


@given(claims())
@settings(max_examples=300, deadline=None)
def test_mapping_round_trip(content):
    claim_args, debtor_args = new_claim_arguments(content)
    assert len(claim_args["reason"]) <= REASON_LIMIT
    assert parse_new_claim(claim_args, debtor_args) == expected(content)
    if len(content.reason) <= REASON_LIMIT:
        assert parse_new_claim(claim_args, debtor_args) == content


@given(claims())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_wire_round_trip_through_zeep_and_the_simulator(sim, content):
    sim.reset()
    agency = _agency(sim)
    number = agency.submit_claim(AgencyCredentials(str(CLIENT_ID), sim.clients[CLIENT_ID]),
                                 Claim(shop_id="shop", content=content))
    assert sim.simulator.claim(number).content == expected(content)


def test_long_reason_is_cut_at_a_word_boundary():
    reason = "Schuhe " * 50  # 350 characters
    cut = cut_reason(reason)
    assert len(cut) <= REASON_LIMIT and reason.startswith(cut) and cut.endswith("Schuhe")
    assert cut_reason("x" * 300) == "x" * 250  # one word: no boundary to cut at


_agencies: dict[str, MediafinanzAgency] = {}


def _agency(sim) -> MediafinanzAgency:
    # One client per simulator URL: building zeep clients per example would parse the WSDL 60 times.
    if sim.url not in _agencies:
        _agencies[sim.url] = MediafinanzAgency(sim.url, sim.application_key, timeout_s=5.0)
    return _agencies[sim.url]
