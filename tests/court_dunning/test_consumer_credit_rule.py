"""§ 688 (2) Nr. 1 ZPO: no dunning procedure for a consumer credit (§§ 491-508 BGB, instalment
supply included) whose effective annual rate exceeds the base rate at the contract date by
MORE than 12 percentage points; and the checks of the fields that say so.

Sources: § 688 (2) Nr. 1 ZPO; § 247 BGB and the base rates of docs/domain.md
("Default and interest (BGB)"; gateway/data/base_rates.toml); § 13 BGB (consumer).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from gateway.domain.court_dunning import Code, check_consumer_credit, preflight
from gateway.domain.fingerprint import content_fingerprint
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import Claim, ConsumerCredit
from gateway.domain.validation import validate_claim
from tests.factories import company, content

D = date.fromisoformat
TODAY = D("2026-11-20")


def credit_claim(rate: str, contract: str, origin: str = "2026-09-01") -> Claim:
    """An instalment claim the agency could not collect: only the credit rule may refuse it."""
    credit = ConsumerCredit(effective_annual_rate=Decimal(rate), contract_date=D(contract))
    return Claim(shop_id="shop-1", content=content(date_of_origin=D(origin), consumer_credit=credit,
                                                   today=TODAY),
                 state=ClaimState.UNCOLLECTIBLE, agency_file_number="12345678901")


# -- the limit: base rate at the contract date + 12 points ---------------------------------------
CREDIT = [
    # effective annual rate, contract date, base rate then, limit, refused?
    ("15.12", "2023-08-01", "3.12", "15.12", False),  # exactly 12 points: still allowed
    ("15.13", "2023-08-01", "3.12", "15.12", True),
    ("14.27", "2025-06-30", "2.27", "14.27", False),  # the day before a base-rate change ...
    ("14.27", "2025-07-01", "1.27", "13.27", True),  # ... and the day of it
    ("13.2700", "2026-01-01", "1.27", "13.27", False),
    ("13.2701", "2026-01-01", "1.27", "13.27", True),  # four decimals count
    ("11.12", "2021-05-01", "-0.88", "11.12", False),  # a negative base rate
    ("11.50", "2021-05-01", "-0.88", "11.12", True),
    ("15.50", "2024-07-15", "3.37", "15.37", True),  # base rate not confirmed: said in the facts
    ("0", "2024-03-01", "3.62", "15.62", False),  # 0 % financing
    ("99.99", "2024-03-01", "3.62", "15.62", True),
]


@pytest.mark.parametrize(("rate", "contract", "base", "limit", "refused"), CREDIT)
def test_consumer_credit_above_base_rate_plus_12_points_is_refused(rate, contract, base, limit,
                                                                   refused):
    check = check_consumer_credit(ConsumerCredit(Decimal(rate), D(contract)))
    assert (check.base_rate.percent, check.limit, check.excluded) == (
        Decimal(base), Decimal(limit), refused)
    result = preflight(credit_claim(rate, contract), TODAY, "BY")
    assert result.reason_codes == ((Code.CONSUMER_CREDIT_RATE_TOO_HIGH,) if refused else ())


def test_the_refusal_gives_the_numbers():
    result = preflight(credit_claim("15.50", "2024-07-15"), TODAY, "BY")
    [reason] = result.reasons
    assert dict(reason.facts) == {
        "effectiveAnnualRate": "15.50", "contractDate": "2024-07-15", "baseRate": "3.37",
        "baseRateValidFrom": "2024-07-01", "baseRateStatus": "UNCONFIRMED", "limit": "15.37",
        "pointsOverBaseRate": "12.13"}
    assert "§ 688 (2) Nr. 1 ZPO" in reason.message
    assert "15.50 %" in reason.message and "15.37 %" in reason.message


def test_a_contract_before_the_base_rate_table_must_be_checked_by_a_person():
    result = preflight(credit_claim("9.90", "2015-03-01"), TODAY, "BY")
    assert result.reason_codes == (Code.CONSUMER_CREDIT_RATE_UNCHECKED,)
    assert dict(result.reasons[0].facts) == {"effectiveAnnualRate": "9.90",
                                             "contractDate": "2015-03-01"}


def test_a_claim_that_is_no_consumer_credit_is_not_checked():
    claim = credit_claim("99.00", "2024-03-01")
    ordinary = replace(claim, content=replace(claim.content, consumer_credit=None))
    assert preflight(ordinary, TODAY, "BY").allowed


def test_the_refusal_comes_with_the_others():
    claim = credit_claim("20.00", "2024-03-01")
    claim = replace(claim, content=replace(claim.content, counter_performance_rendered=False))
    assert preflight(claim, TODAY, "BY").reason_codes == (
        Code.COUNTER_PERFORMANCE_MISSING, Code.CONSUMER_CREDIT_RATE_TOO_HIGH)


# -- the model stays backwards compatible ----------------------------------------------------------
def test_a_claim_without_the_field_is_no_consumer_credit_and_keeps_its_fingerprint():
    plain = content(today=TODAY)
    assert plain.consumer_credit is None
    credit = replace(plain, consumer_credit=ConsumerCredit(Decimal("9.90"), D("2026-08-01")))
    assert content_fingerprint(credit) != content_fingerprint(plain)
    other_rate = replace(credit, consumer_credit=ConsumerCredit(Decimal("9.91"), D("2026-08-01")))
    assert content_fingerprint(other_rate) != content_fingerprint(credit)


# -- validation ------------------------------------------------------------------------------------
VALID = [("0", "2026-08-01"), ("100", "2026-08-01"), ("14.9", "2026-09-01"), ("7.1234", "2020-01-01")]


@pytest.mark.parametrize(("rate", "contract"), VALID)
def test_valid_consumer_credit_fields(rate, contract):
    claim = credit_claim(rate, contract)
    assert validate_claim(claim.content, TODAY) == []


INVALID = [
    # rate, contract date, debtor, the errors (path, part of the message)
    ("-0.01", "2026-08-01", None, [("claim.consumerCredit.effectiveAnnualRate", "between 0 and 100")]),
    ("100.01", "2026-08-01", None, [("claim.consumerCredit.effectiveAnnualRate", "between 0 and 100")]),
    ("9.12345", "2026-08-01", None, [("claim.consumerCredit.effectiveAnnualRate", "4 decimal")]),
    ("NaN", "2026-08-01", None, [("claim.consumerCredit.effectiveAnnualRate", "decimal percentage")]),
    ("9.90", "2026-11-21", None, [("claim.consumerCredit.contractDate", "future")]),
    ("9.90", "2026-09-02", None, [("claim.consumerCredit.contractDate", "after dateOfOrigin")]),
    ("9.90", "2026-08-01", company(),
     [("claim.consumerCredit", "needs a debtor of kind PERSON")]),
]


@pytest.mark.parametrize(("rate", "contract", "debtor", "errors"), INVALID)
def test_invalid_consumer_credit_fields_are_named(rate, contract, debtor, errors):
    claim = credit_claim(rate, contract)  # date of origin 2026-09-01, today 2026-11-20
    claim_content = replace(claim.content, debtor=debtor) if debtor else claim.content
    found = validate_claim(claim_content, TODAY)
    assert [e.path for e in found] == [path for path, _ in errors]
    for error, (_, part) in zip(found, errors):
        assert part in error.message


def test_a_float_rate_and_missing_values_are_refused():
    claim = credit_claim("9.90", "2026-08-01")
    broken = replace(claim.content, consumer_credit=ConsumerCredit(9.9, None))
    assert [e.path for e in validate_claim(broken, TODAY)] == [
        "claim.consumerCredit.effectiveAnnualRate", "claim.consumerCredit.contractDate"]
