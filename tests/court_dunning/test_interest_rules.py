"""Default (§ 286 BGB), default interest (§ 288 (1), (2) BGB) and the flat fee (§ 288 (5) BGB).

Sources: § 247 BGB and the Bundesbank's base rates as docs/domain.md lists them
("Default and interest (BGB)"; gateway/data/base_rates.toml); § 286 (1) (reminder after the
due date), § 286 (3) (30 days after due date and invoice; against a consumer only when the
invoice said so), § 271 (1) (due at once without a term), § 187 (1) and § 193 BGB; § 288 (1)
2 (+ 5 points), (2) (+ 9 points), (5) (40 EUR, only when the debtor is no consumer).
Day count: actual days / 365 (principal x rate x days / 36500), start and end included.
Expected amounts are worked out by that formula by hand in each row's comment.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from gateway.domain.court_dunning import preflight
from gateway.domain.interest import (
    FLAT_FEE,
    NoBaseRate,
    RateStatus,
    base_rate_on,
    default_begins_on,
    default_claims,
    default_interest,
    flat_fee,
)
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import Claim, DebtorKind
from tests.factories import company, content, person

D = date.fromisoformat
PERSON, COMPANY = DebtorKind.PERSON, DebtorKind.COMPANY


# -- the base rate table ----------------------------------------------------------------------
# Source: docs/domain.md "Default and interest (BGB)" (2024-07-01 not confirmed); -0.88 from
# 2016-07-01 to 2022-12-31 is from the Bundesbank's history, marked unconfirmed in the data.
@pytest.mark.parametrize(("day", "percent", "valid_from", "status"), [
    ("2022-12-31", "-0.88", "2016-07-01", RateStatus.UNCONFIRMED),
    ("2023-01-01", "1.62", "2023-01-01", RateStatus.CONFIRMED),
    ("2023-06-30", "1.62", "2023-01-01", RateStatus.CONFIRMED),
    ("2023-07-01", "3.12", "2023-07-01", RateStatus.CONFIRMED),
    ("2024-01-01", "3.62", "2024-01-01", RateStatus.CONFIRMED),
    ("2024-07-01", "3.37", "2024-07-01", RateStatus.UNCONFIRMED),
    ("2025-01-01", "2.27", "2025-01-01", RateStatus.CONFIRMED),
    ("2025-07-01", "1.27", "2025-07-01", RateStatus.CONFIRMED),
    ("2026-06-30", "1.27", "2026-01-01", RateStatus.CONFIRMED),
    ("2026-07-01", "1.27", "2026-01-01", RateStatus.ASSUMED),  # after the table: carried on
    ("2031-01-02", "1.27", "2026-01-01", RateStatus.ASSUMED),
])
def test_base_rate_on_a_day(day, percent, valid_from, status):
    rate = base_rate_on(D(day))
    assert (rate.percent, rate.valid_from, rate.status) == (Decimal(percent), D(valid_from), status)
    assert isinstance(rate.percent, Decimal)


def test_before_the_table_there_is_no_base_rate():
    with pytest.raises(NoBaseRate, match="2016-06-30"):
        base_rate_on(D("2016-06-30"))


# -- default interest -------------------------------------------------------------------------
INTEREST = [
    # principal, debtor, from, to (both included),
    #   periods as (from, to, days, rate %, rounded amount), total
    # Business: base + 9; a base-rate change on 1 July 2023 inside the period.
    # 1000 x 10.62 x 16 / 36500 = 4.6553; 1000 x 12.12 x 14 / 36500 = 4.6488; sum 9.3041
    ("1000.00", COMPANY, "2023-06-15", "2023-07-14",
     [("2023-06-15", "2023-06-30", 16, "10.62", "4.66"),
      ("2023-07-01", "2023-07-14", 14, "12.12", "4.65")], "9.30"),
    # Consumer: base + 5, a whole leap year, counted 366/365 (act/365).
    # 500 x 8.62 x 182 / 36500 = 21.4910; 500 x 8.37 x 184 / 36500 = 21.0970; sum 42.5879
    ("500.00", PERSON, "2024-01-01", "2024-12-31",
     [("2024-01-01", "2024-06-30", 182, "8.62", "21.49"),
      ("2024-07-01", "2024-12-31", 184, "8.37", "21.10")], "42.59"),
    # Business over a year end and two base-rate changes.
    # 2500 x 12.37 x 42 / 36500 = 35.5849; x 11.27 x 181 = 139.7171; x 10.27 x 41 = 28.8404
    ("2500.00", COMPANY, "2024-11-20", "2025-08-10",
     [("2024-11-20", "2024-12-31", 42, "12.37", "35.58"),
      ("2025-01-01", "2025-06-30", 181, "11.27", "139.72"),
      ("2025-07-01", "2025-08-10", 41, "10.27", "28.84")], "204.14"),
    # 29 February counts as a day: 1000 x 8.62 x 3 / 36500 = 0.7085
    ("1000.00", PERSON, "2024-02-28", "2024-03-01",
     [("2024-02-28", "2024-03-01", 3, "8.62", "0.71")], "0.71"),
    # One day: 100 x 7.27 / 36500 = 0.0199
    ("100.00", PERSON, "2025-03-03", "2025-03-03",
     [("2025-03-03", "2025-03-03", 1, "7.27", "0.02")], "0.02"),
    # A negative base rate: -0.88 + 9 = 8.12; 1000 x 8.12 x 31 / 36500 = 6.8964
    ("1000.00", COMPANY, "2022-12-01", "2022-12-31",
     [("2022-12-01", "2022-12-31", 31, "8.12", "6.90")], "6.90"),
    # Past the table: the last rate carried on, split at 1 July all the same.
    # 1000 x 6.27 x 11 / 36500 = 1.8896; x 10 = 1.7178; sum 3.6074
    ("1000.00", PERSON, "2026-06-20", "2026-07-10",
     [("2026-06-20", "2026-06-30", 11, "6.27", "1.89"),
      ("2026-07-01", "2026-07-10", 10, "6.27", "1.72")], "3.61"),
]


@pytest.mark.parametrize(("principal", "kind", "start", "end", "periods", "total"), INTEREST)
def test_default_interest_per_base_rate_period(principal, kind, start, end, periods, total):
    interest = default_interest(Decimal(principal), kind, D(start), D(end))
    assert [(p.start, p.end, p.days, p.rate, p.amount) for p in interest.periods] == [
        (D(a), D(b), days, Decimal(rate), Decimal(amount)) for a, b, days, rate, amount in periods]
    assert interest.total == Decimal(total)
    assert interest.total.as_tuple().exponent == -2
    assert (interest.start, interest.end) == (D(start), D(end))
    assert interest.points_over_base == (Decimal(5) if kind is PERSON else Decimal(9))
    assert interest.rule == ("§ 288 (1) BGB" if kind is PERSON else "§ 288 (2) BGB")


def test_the_total_is_rounded_once_from_the_exact_amounts():
    # 4.66 + 4.65 would be 9.31; the exact sum 9.3041 rounds to 9.30.
    interest = default_interest(Decimal("1000.00"), COMPANY, D("2023-06-15"), D("2023-07-14"))
    assert sum(p.amount for p in interest.periods) == Decimal("9.31")
    assert interest.total == Decimal("9.30")


@pytest.mark.parametrize(("start", "end", "confirmed"), [
    ("2023-03-01", "2023-12-31", True),
    ("2024-06-01", "2024-07-31", False),  # 2024-07-01 is not confirmed
    ("2026-06-01", "2026-07-01", False),  # 2026-07-01 is assumed
])
def test_interest_says_whether_every_base_rate_is_confirmed(start, end, confirmed):
    interest = default_interest(Decimal("100.00"), PERSON, D(start), D(end))
    assert interest.rates_confirmed is confirmed


def test_no_interest_for_an_end_before_the_start():
    interest = default_interest(Decimal("100.00"), PERSON, D("2026-03-02"), D("2026-03-01"))
    assert (interest.periods, interest.total) == ((), Decimal("0.00"))


def test_interest_refuses_a_float_principal():
    with pytest.raises(TypeError):
        default_interest(100.0, PERSON, D("2026-01-01"), D("2026-01-31"))


# -- § 286 BGB: when default begins -------------------------------------------------------------
def claim(kind: DebtorKind = COMPANY, origin: str = "2025-12-15", due: str | None = "2026-01-14",
          reminder: str | None = None, principal: str = "1000.00"):
    return content(debtor=company() if kind is COMPANY else person(),
                   date_of_origin=D(origin), due_date=D(due) if due else None,
                   date_of_last_reminder=D(reminder) if reminder else None,
                   principal=Decimal(principal))


DEFAULT_BEGINS = [
    # debtor, origin, due, last reminder, options, default begins (None: not in default), rule
    # § 286 (3): 30 days after due date and invoice; 2026-02-13 is a Friday.
    (COMPANY, "2025-12-15", "2026-01-14", None, {}, "2026-02-14", "§ 286 (3) BGB"),
    # No due date: due at once (§ 271 (1)); day 30 a Saturday: § 193 moves it to Monday.
    (COMPANY, "2025-05-01", None, None, {}, "2025-06-03", "§ 286 (3) BGB"),
    # Day 30 on Reformationstag (a holiday in some states), then a weekend: the debtor's
    # place is unknown, so the latest state counts.
    (COMPANY, "2025-10-01", None, None, {}, "2025-11-04", "§ 286 (3) BGB"),
    # Day 30 on 26 December (Saturday), then a Sunday.
    (COMPANY, "2026-11-26", None, None, {}, "2026-12-29", "§ 286 (3) BGB"),
    # A reminder after the due date: default the next day, earlier than the 30 days.
    (COMPANY, "2025-12-15", "2026-01-14", "2026-01-20", {}, "2026-01-21", "§ 286 (1) BGB"),
    # A reminder ON the due date is no reminder after it.
    (COMPANY, "2025-12-15", "2026-01-14", "2026-01-14", {}, "2026-02-14", "§ 286 (3) BGB"),
    # The invoice arrived after the due date: the 30 days run from its receipt (2026-03-03).
    (COMPANY, "2025-12-15", "2026-01-14", None, {"invoice_received_on": D("2026-02-01")},
     "2026-03-04", "§ 286 (3) BGB"),
    # A consumer: only by a reminder ...
    (PERSON, "2025-12-15", "2026-01-14", None, {}, None, None),
    (PERSON, "2025-12-15", "2026-01-14", "2026-03-02", {}, "2026-03-03", "§ 286 (1) BGB"),
    (PERSON, "2026-03-10", None, "2026-03-20", {}, "2026-03-21", "§ 286 (1) BGB"),
    (PERSON, "2026-03-10", None, "2026-03-10", {}, None, None),
    # ... or by the 30 days when the invoice told them.
    (PERSON, "2025-12-15", "2026-01-14", None, {"consumer_notified": True}, "2026-02-14",
     "§ 286 (3) BGB"),
    (PERSON, "2025-12-15", "2026-01-14", "2026-03-02", {"consumer_notified": True}, "2026-02-14",
     "§ 286 (3) BGB"),
]


@pytest.mark.parametrize(("kind", "origin", "due", "reminder", "options", "begins", "rule"),
                         DEFAULT_BEGINS)
def test_default_begins(kind, origin, due, reminder, options, begins, rule):
    result = default_begins_on(claim(kind, origin, due, reminder), **options)
    if begins is None:
        assert result is None
    else:
        assert (result.on, result.rule) == (D(begins), rule)
        assert result.reason


def test_a_moved_30th_day_is_shown_with_its_rule():
    begins = default_begins_on(claim(COMPANY, "2025-05-01", None))
    assert begins.last_day_to_pay.original == D("2025-05-31")
    assert begins.last_day_to_pay.moved_to == D("2025-06-02")
    assert begins.last_day_to_pay.rule == "§ 193 BGB"
    assert "2025-06-02" in begins.reason and "§ 193 BGB" in begins.reason


# -- default claims up to a day, and the flat fee ------------------------------------------------
def test_business_debtor_in_default_owes_interest_and_the_flat_fee():
    claims = default_claims(claim(COMPANY, reminder="2026-01-20"), D("2026-02-19"))
    assert claims.begins.on == D("2026-01-21")
    # 1000 x 10.27 x 30 / 36500 = 8.4411
    assert (claims.interest.start, claims.interest.end) == (D("2026-01-21"), D("2026-02-19"))
    assert claims.interest.total == Decimal("8.44")
    assert claims.flat_fee == FLAT_FEE == Decimal("40.00")


def test_consumer_in_default_owes_interest_but_no_flat_fee():
    claims = default_claims(claim(PERSON, reminder="2026-01-20"), D("2026-02-19"))
    # 1000 x 6.27 x 30 / 36500 = 5.1534
    assert claims.interest.total == Decimal("5.15")
    assert claims.flat_fee == Decimal("0.00")


def test_before_default_begins_there_is_neither_interest_nor_fee():
    claims = default_claims(claim(COMPANY), D("2026-02-13"))  # default from 2026-02-14
    assert claims.begins.on == D("2026-02-14")
    assert (claims.interest, claims.flat_fee) == (None, Decimal("0.00"))
    on_the_day = default_claims(claim(COMPANY), D("2026-02-14"))
    assert on_the_day.interest.periods[0].days == 1
    assert on_the_day.flat_fee == Decimal("40.00")


def test_a_consumer_never_reminded_is_not_in_default():
    claims = default_claims(claim(PERSON), D("2027-01-01"))
    assert (claims.begins, claims.interest, claims.flat_fee) == (None, None, Decimal("0.00"))


@pytest.mark.parametrize(("kind", "begins_on", "on", "fee"), [
    (COMPANY, "2026-02-14", "2026-02-14", "40.00"),
    (COMPANY, "2026-02-14", "2026-02-13", "0.00"),
    (PERSON, "2026-02-14", "2026-03-01", "0.00"),
    (COMPANY, None, "2026-03-01", "0.00"),
])
def test_flat_fee_only_against_a_business_debtor_in_default(kind, begins_on, on, fee):
    begins = default_begins_on(claim(COMPANY)) if begins_on else None
    assert flat_fee(kind, begins, D(on)) == Decimal(fee)


# -- in the preflight ----------------------------------------------------------------------------
def test_preflight_carries_the_default_claims_up_to_its_day():
    uncollectible = Claim(shop_id="shop-1", content=claim(COMPANY, reminder="2026-01-20"),
                          state=ClaimState.UNCOLLECTIBLE, agency_file_number="12345678901")
    result = preflight(uncollectible, D("2026-02-19"), "BY")
    assert result.default_claims.interest.total == Decimal("8.44")
    assert result.default_claims.flat_fee == Decimal("40.00")
    zero = replace(uncollectible, content=replace(uncollectible.content, principal=Decimal("0")))
    assert preflight(zero, D("2026-02-19"), "BY").default_claims is None  # nothing to charge on


def test_preflight_of_a_claim_that_defaulted_before_the_rate_table_has_no_interest():
    old = Claim(shop_id="shop-1", content=claim(COMPANY, "2015-03-01", None, "2015-04-01"),
                state=ClaimState.UNCOLLECTIBLE, agency_file_number="12345678901")
    result = preflight(old, D("2026-02-19"), "BY")
    assert result.default_claims is None
    assert not result.allowed  # long time-barred anyway
