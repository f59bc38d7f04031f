"""Court dunning preflight, court fee, competent court, limitation and deadlines."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from gateway.domain.court_dunning import (
    Code,
    InvalidCatalogueOverride,
    NoFeeTable,
    UnknownSeat,
    catalogue_entry,
    court_deadlines,
    court_fee,
    court_for_seat,
    limitation_end,
    preflight,
)
from gateway.domain.errors import DomainError
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import Claim, ClaimContent, ClaimType, CourtDates, Debtor, DebtorKind

TODAY = date(2025, 9, 1)
FEE_TABLE_2025 = date(2025, 6, 1)


def make_claim(
    state: ClaimState = ClaimState.UNCOLLECTIBLE,
    file_number: str | None = "12345678901",
    principal: Decimal = Decimal("1000.00"),
    currency: str = "EUR",
    date_of_origin: date = date(2024, 3, 15),
    counter_performance_rendered: bool = True,
    claim_type: ClaimType = ClaimType.GOODS_SOLD,
    **debtor_changes: object,
) -> Claim:
    """A claim the agency could not collect and that may go to court, unless changed."""
    debtor = Debtor(
        kind=DebtorKind.PERSON,
        last_name="Muster",
        first_name="Erika",
        street="Hauptstraße",
        house_number="1",
        postcode="10115",
        city="Berlin",
        country="DE",
    )
    content = ClaimContent(
        shop_claim_id="order-1",
        claim_type=claim_type,
        reason="Order 1",
        principal=principal,
        dunning_fees=Decimal("5.00"),
        date_of_origin=date_of_origin,
        due_date=None,
        date_of_last_reminder=None,
        note=None,
        counter_performance_rendered=counter_performance_rendered,
        debtor=replace(debtor, **debtor_changes),
        currency=currency,
    )
    return Claim(shop_id="shop-1", content=content, state=state, agency_file_number=file_number)


# -- limitation -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("date_of_origin", "expected"),
    [
        (date(2023, 1, 1), date(2026, 12, 31)),
        (date(2023, 12, 31), date(2026, 12, 31)),
        (date(2024, 1, 1), date(2027, 12, 31)),
        (date(2024, 2, 29), date(2027, 12, 31)),
        (date(2022, 12, 31), date(2025, 12, 31)),
    ],
)
def test_limitation_ends_on_31_december_of_the_third_following_year(date_of_origin, expected):
    assert limitation_end(date_of_origin) == expected


# -- court fee --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("principal", "expected_fee"),
    [
        ("0.01", "38.00"),
        ("500.00", "38.00"),  # 0.5 x 40.00 = 20.00, raised to the minimum
        ("500.01", "38.00"),  # 0.5 x 61.00 = 30.50
        ("1000.00", "38.00"),
        ("1000.01", "41.00"),
        ("1500.00", "41.00"),
        ("2000.00", "51.50"),
        ("2000.01", "62.75"),
        ("5000.00", "85.25"),
        ("10000.00", "141.50"),
        ("10000.01", "156.75"),
        ("25000.00", "217.75"),
        ("50000.00", "319.00"),
        ("200000.00", "1019.00"),
        ("500000.00", "2069.00"),
        ("500000.01", "2174.00"),  # first started 50,000 above 500,000: +210 full fee
    ],
)
def test_court_fee_since_june_2025(principal, expected_fee):
    assert court_fee(Decimal(principal), FEE_TABLE_2025) == Decimal(expected_fee)


@pytest.mark.parametrize(
    ("principal", "on", "expected_fee"),
    [
        ("1000.00", date(2025, 5, 31), "36.00"),  # old minimum the day before the change
        ("1000.00", date(2025, 6, 1), "38.00"),
        ("2000.00", date(2025, 5, 31), "49.00"),  # 0.5 x 98.00 under the 2021 table
        ("50000.00", date(2024, 1, 1), "300.50"),  # 0.5 x 601.00 under the 2021 table
    ],
)
def test_court_fee_uses_the_table_valid_on_the_filing_day(principal, on, expected_fee):
    assert court_fee(Decimal(principal), on) == Decimal(expected_fee)


def test_court_fee_is_a_decimal_with_cents():
    fee = court_fee(Decimal("5000"), FEE_TABLE_2025)
    assert isinstance(fee, Decimal)
    assert fee.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("principal", "error"),
    [(1000.0, TypeError), (Decimal("0.00"), ValueError), (Decimal("-5.00"), ValueError)],
)
def test_court_fee_refuses_floats_and_non_positive_principals(principal, error):
    with pytest.raises(error):
        court_fee(principal, FEE_TABLE_2025)


def test_court_fee_before_any_known_table_raises():
    with pytest.raises(NoFeeTable, match="2020-12-31"):
        court_fee(Decimal("100.00"), date(2020, 12, 31))


# -- competent court --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seat", "court"),
    [
        ("BY", "AG Coburg"),
        ("NW-KOELN", "AG Euskirchen"),
        ("NW", "AG Hagen"),
        ("BE", "AG Wedding"),
        ("BB", "AG Wedding"),
        (None, "AG Wedding"),
        ("SN", "AG Aschersleben"),
        ("TH", "AG Aschersleben"),
        ("BW", "AG Stuttgart"),
        ("MV", "AG Hamburg-Altona"),
        ("SL", "AG Mayen"),
        ("HE", "AG Hünfeld"),
        ("de-nw-koeln", "AG Euskirchen"),  # ISO prefix and lower case accepted
    ],
)
def test_court_for_the_applicants_seat(seat, court):
    assert court_for_seat(seat) == court


@pytest.mark.parametrize("seat", ["XX", "", "NRW", "AT"])
def test_unknown_seat_raises_a_domain_error_naming_it(seat):
    with pytest.raises(UnknownSeat, match=repr(seat)) as raised:
        court_for_seat(seat)
    assert isinstance(raised.value, DomainError)


def test_every_german_state_has_a_dunning_court():
    states = "BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH".split()
    assert all(court_for_seat(state).startswith("AG ") for state in states)


# -- catalogue numbers ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("claim_type", "overrides", "expected"),
    [
        (ClaimType.GOODS_SOLD, None, (11, "Kaufvertrag")),
        (ClaimType.GOODS_PREPAID, None, (11, "Kaufvertrag")),
        (ClaimType.SERVICE, None, (5, "Dienstleistungsvertrag")),
        (ClaimType.GOODS_SOLD, {"GOODS_SOLD": 43}, (43, "Warenlieferung(en)")),
        (ClaimType.SERVICE, {"GOODS_SOLD": 43}, (5, "Dienstleistungsvertrag")),
        (ClaimType.SERVICE, {"SERVICE": 76}, (76, "Telekommunikationsleistungen")),
    ],
)
def test_catalogue_number_per_claim_type_and_shop_override(claim_type, overrides, expected):
    assert catalogue_entry(claim_type, overrides) == expected


@pytest.mark.parametrize(
    "overrides",
    [{"GOODS_SOLD": 10}, {"GOODS_SOLD": 46}, {"GOODS_SOLD": 19}, {"GOOD_SOLD": 11}],
)
def test_invalid_catalogue_override_raises(overrides):
    with pytest.raises(InvalidCatalogueOverride):
        catalogue_entry(ClaimType.GOODS_SOLD, overrides)


def test_preflight_reports_the_shops_catalogue_number():
    result = preflight(make_claim(), TODAY, "BY", catalogue_overrides={"GOODS_SOLD": 43})
    assert (result.catalogue_number, result.catalogue_label) == (43, "Warenlieferung(en)")


# -- preflight: allowed -----------------------------------------------------------------
@pytest.mark.parametrize(
    "state",
    [
        ClaimState.SUBMITTED,
        ClaimState.IN_COLLECTION,
        ClaimState.INSTALMENT_PLAN,
        ClaimState.PARTIALLY_PAID,
        ClaimState.UNCOLLECTIBLE,
    ],
)
def test_open_claims_the_agency_could_not_collect_are_allowed(state):
    result = preflight(make_claim(state=state), TODAY, "NW")
    assert result.allowed
    assert result.reasons == ()


def test_allowed_preflight_carries_the_facts_of_filing():
    result = preflight(make_claim(principal=Decimal("1500.00")), TODAY, "NW-KOELN")
    assert result.court == "AG Euskirchen"
    assert result.court_fee == Decimal("41.00")
    assert result.limitation_ends_on == date(2027, 12, 31)
    assert (result.catalogue_number, result.catalogue_label) == (11, "Kaufvertrag")
    assert result.warnings == ()


# -- preflight: each refusal alone --------------------------------------------------------
@pytest.mark.parametrize(
    ("claim", "code"),
    [
        (make_claim(state=ClaimState.RECEIVED, file_number=None), Code.NO_FILE_NUMBER),
        (make_claim(state=ClaimState.PAID), Code.CLOSED),
        (make_claim(state=ClaimState.CANCELLED), Code.CLOSED),
        (make_claim(state=ClaimState.CLOSED_BY_AGENCY), Code.CLOSED),
        (make_claim(state=ClaimState.CANCEL_REQUESTED), Code.CANCEL_REQUESTED),
        (make_claim(state=ClaimState.COURT_DUNNING_REQUESTED), Code.ALREADY_IN_COURT_DUNNING),
        (make_claim(state=ClaimState.DUNNING_ORDER_SERVED), Code.ALREADY_IN_COURT_DUNNING),
        (make_claim(state=ClaimState.TITLE_OBTAINED), Code.ALREADY_IN_COURT_DUNNING),
        (make_claim(principal=Decimal("0.00")), Code.PRINCIPAL_NOT_POSITIVE_EUR),
        (make_claim(principal=Decimal("-1.00")), Code.PRINCIPAL_NOT_POSITIVE_EUR),
        (make_claim(currency="CHF"), Code.PRINCIPAL_NOT_POSITIVE_EUR),
        (make_claim(counter_performance_rendered=False), Code.COUNTER_PERFORMANCE_MISSING),
        (make_claim(street=None), Code.ADDRESS_INCOMPLETE),
        (make_claim(postcode=""), Code.ADDRESS_INCOMPLETE),
        (make_claim(country="AT", postcode="1010", city="Wien"), Code.DEBTOR_ABROAD),
        (make_claim(date_of_origin=date(2021, 12, 31)), Code.TIME_BARRED),
    ],
)
def test_each_refusal_alone(claim, code):
    result = preflight(claim, TODAY, "BY")
    assert not result.allowed
    assert result.reason_codes == (code,)
    assert result.reasons[0].message.endswith(".")


def test_rejected_claim_without_file_number_gives_both_reasons():
    claim = make_claim(state=ClaimState.REJECTED, file_number=None)
    assert preflight(claim, TODAY, "BY").reason_codes == (Code.NO_FILE_NUMBER, Code.CLOSED)


def test_foreign_debtor_message_names_the_manual_route():
    result = preflight(make_claim(country="FR"), TODAY, "BY")
    assert "§ 688 (3)" in result.reasons[0].message
    assert "§ 703d" in result.reasons[0].message


def test_every_reason_is_reported_not_only_the_first():
    claim = make_claim(
        state=ClaimState.PAID,
        principal=Decimal("0.00"),
        counter_performance_rendered=False,
        date_of_origin=date(2020, 6, 1),
        city=None,
        country="PL",
    )
    result = preflight(claim, TODAY, None)
    assert result.reason_codes == (
        Code.CLOSED,
        Code.PRINCIPAL_NOT_POSITIVE_EUR,
        Code.COUNTER_PERFORMANCE_MISSING,
        Code.ADDRESS_INCOMPLETE,
        Code.DEBTOR_ABROAD,
        Code.TIME_BARRED,
    )
    assert result.court_fee is None  # no positive principal to charge on
    assert result.court == "AG Wedding"


def test_preflight_with_unknown_seat_raises():
    with pytest.raises(UnknownSeat):
        preflight(make_claim(), TODAY, "ZZ")


# -- limitation at the edge ------------------------------------------------------------
@pytest.mark.parametrize(
    ("today", "codes", "warning_codes"),
    [
        (date(2026, 10, 31), (), ()),  # 61 days left
        (date(2026, 11, 1), (), (Code.LIMITATION_SOON,)),  # 60 days left
        (date(2026, 12, 31), (), (Code.LIMITATION_SOON,)),  # last day: still in time
        (date(2027, 1, 1), (Code.TIME_BARRED,), ()),  # one day late: barred, no warning
    ],
)
def test_limitation_soon_and_time_barred_at_the_edges(today, codes, warning_codes):
    result = preflight(make_claim(date_of_origin=date(2023, 5, 10)), today, "BY")
    assert result.reason_codes == codes
    assert tuple(w.code for w in result.warnings) == warning_codes


def test_limitation_soon_message_gives_the_date_and_days_left():
    result = preflight(make_claim(date_of_origin=date(2023, 5, 10)), date(2026, 11, 1), "BY")
    assert "2026-12-31" in result.warnings[0].message
    assert "60 days" in result.warnings[0].message


# -- deadlines after the court acted ---------------------------------------------------
@pytest.mark.parametrize(
    ("court", "objection_ends", "enforcement_deadline", "suspension_ends"),
    [
        (CourtDates(), None, None, None),
        (
            CourtDates(dunning_order_served_on=date(2025, 3, 10)),
            date(2025, 3, 24), date(2025, 9, 10), None,
        ),
        (  # month end clamped, ordinary year
            CourtDates(dunning_order_served_on=date(2025, 8, 31)),
            date(2025, 9, 14), date(2026, 2, 28), None,
        ),
        (  # month end clamped, leap year
            CourtDates(dunning_order_served_on=date(2023, 8, 31)),
            date(2023, 9, 14), date(2024, 2, 29), None,
        ),
        (  # objection period runs over the year end
            CourtDates(dunning_order_served_on=date(2025, 12, 20)),
            date(2026, 1, 3), date(2026, 6, 20), None,
        ),
        (
            CourtDates(procedure_stalled_on=date(2025, 3, 31)),
            None, None, date(2025, 9, 30),
        ),
        (
            CourtDates(dunning_order_issued_on=date(2025, 1, 2),
                       dunning_order_served_on=date(2025, 1, 6),
                       procedure_stalled_on=date(2025, 7, 15)),
            date(2025, 1, 20), date(2025, 7, 6), date(2026, 1, 15),
        ),
    ],
)
def test_court_deadlines(court, objection_ends, enforcement_deadline, suspension_ends):
    deadlines = court_deadlines(court)
    assert deadlines.objection_period_ends_on == objection_ends
    assert deadlines.enforcement_order_deadline == enforcement_deadline
    assert deadlines.limitation_suspension_ends_on == suspension_ends
