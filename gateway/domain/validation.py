"""Field checks a claim must pass before anything is stored.

Returns every problem at once, each named by its path in the shop contract
(claim.debtor.postcode), so a shop fixes all of them in one round.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from .countries import ISO_COUNTRIES
from .errors import FieldError
from .model import ClaimContent, Debtor, DebtorKind
from .money import has_at_most_cents

MAX_AMOUNT = Decimal("9999999.99")
LIMITS = {
    "shopClaimId": 64,
    "reason": 1000,
    "note": 2000,
    "name": 100,
    "legalForm": 50,
    "street": 100,
    "houseNumber": 20,
    "city": 100,
    "email": 254,
    "phone": 40,
    "customerId": 64,
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()/\-]{3,40}$")
_GERMAN_POSTCODE = re.compile(r"^[0-9]{5}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EARLIEST_BIRTH = date(1900, 1, 1)
# An effective annual rate is a percentage with at most 4 decimal places (contracts state 2,
# some systems more); 0 is a valid rate (0 % financing), above 100 is a typing error.
MAX_RATE = Decimal("100")
RATE_STEP = Decimal("0.0001")


def validate_claim(content: ClaimContent, today: date, prefix: str = "claim") -> list[FieldError]:
    errors: list[FieldError] = []

    def err(path: str, message: str) -> None:
        errors.append(FieldError(f"{prefix}.{path}", message))

    _text(err, "shopClaimId", content.shop_claim_id, required=True, limit=LIMITS["shopClaimId"])
    _text(err, "reason", content.reason, required=True, limit=LIMITS["reason"])
    _text(err, "note", content.note, limit=LIMITS["note"])
    _amount(err, "principal", content.principal, positive=True)
    _amount(err, "dunningFees", content.dunning_fees, positive=False)
    if content.currency != "EUR":
        err("currency", "only EUR is accepted")  # the refused value is not repeated
    if content.date_of_origin is None:
        err("dateOfOrigin", "is required")
    elif content.date_of_origin > today:
        err("dateOfOrigin", "must not be in the future")
    if content.due_date is not None and content.date_of_origin is not None \
            and content.due_date < content.date_of_origin:
        err("dueDate", "must not be before dateOfOrigin")
    if content.date_of_last_reminder is not None:
        if content.date_of_last_reminder > today:
            err("dateOfLastReminder", "must not be in the future")
        if content.date_of_origin is not None and content.date_of_last_reminder < content.date_of_origin:
            err("dateOfLastReminder", "must not be before dateOfOrigin")
    if content.consumer_credit is not None:
        _consumer_credit(err, content, today)
    errors.extend(validate_debtor(content.debtor, today, f"{prefix}.debtor"))
    return errors


def validate_debtor(debtor: Debtor, today: date, prefix: str = "claim.debtor") -> list[FieldError]:
    errors: list[FieldError] = []

    def err(path: str, message: str) -> None:
        errors.append(FieldError(f"{prefix}.{path}", message))

    person = debtor.kind is DebtorKind.PERSON
    _text(err, "lastName", debtor.last_name, required=person, limit=LIMITS["name"])
    _text(err, "firstName", debtor.first_name, limit=LIMITS["name"])
    _text(err, "company", debtor.company, required=not person, limit=LIMITS["name"])
    _text(err, "legalForm", debtor.legal_form, limit=LIMITS["legalForm"])
    _text(err, "careOf", debtor.care_of, limit=LIMITS["name"])
    _text(err, "street", debtor.street, required=True, limit=LIMITS["street"])
    _text(err, "houseNumber", debtor.house_number, limit=LIMITS["houseNumber"])
    _text(err, "city", debtor.city, required=True, limit=LIMITS["city"])
    _text(err, "customerId", debtor.customer_id, limit=LIMITS["customerId"])
    if not debtor.country or debtor.country not in ISO_COUNTRIES:
        err("country", "must be an ISO 3166 alpha-2 code such as DE")
    if not debtor.postcode:
        err("postcode", "is required")
    elif debtor.country == "DE" and not _GERMAN_POSTCODE.match(debtor.postcode):
        err("postcode", "a German postcode has exactly 5 digits")
    elif len(debtor.postcode) > 10:
        err("postcode", "must be at most 10 characters")
    if debtor.email is not None and debtor.email != "":
        if len(debtor.email) > LIMITS["email"] or not _EMAIL.match(debtor.email):
            err("email", "is not a valid e-mail address")
    for name, value in (("phone", debtor.phone), ("mobile", debtor.mobile)):
        if value and not _PHONE.match(value):
            err(name, "may hold only digits, spaces, + ( ) / - (3 to 40 characters)")
    if debtor.date_of_birth is not None:
        if debtor.date_of_birth >= today:
            err("dateOfBirth", "must be in the past")
        elif debtor.date_of_birth < EARLIEST_BIRTH:
            err("dateOfBirth", "must not be before 1900-01-01")
    return errors


def _consumer_credit(err, content: ClaimContent, today: date) -> None:
    """The facts § 688 (2) Nr. 1 ZPO needs. The contract comes before the claim it gives
    rise to, so its date may be neither in the future nor after the date of origin."""
    credit = content.consumer_credit
    rate = credit.effective_annual_rate
    if rate is None:
        err("consumerCredit.effectiveAnnualRate", "is required")
    elif not isinstance(rate, Decimal) or not rate.is_finite():
        err("consumerCredit.effectiveAnnualRate", "must be a decimal percentage")
    elif not 0 <= rate <= MAX_RATE:
        err("consumerCredit.effectiveAnnualRate", f"must be between 0 and {MAX_RATE} (percent)")
    elif rate != rate.quantize(RATE_STEP):
        err("consumerCredit.effectiveAnnualRate", "must have at most 4 decimal places")
    contract_date = credit.contract_date
    if contract_date is None:
        err("consumerCredit.contractDate", "is required")
    elif contract_date > today:
        err("consumerCredit.contractDate", "must not be in the future")
    elif content.date_of_origin is not None and contract_date > content.date_of_origin:
        err("consumerCredit.contractDate", "must not be after dateOfOrigin")
    if content.debtor.kind is not DebtorKind.PERSON:
        err("consumerCredit", "a consumer credit contract (§§ 491-508 BGB) needs a debtor of "
                              "kind PERSON: a consumer")


def _text(err, path: str, value: str | None, *, required: bool = False, limit: int) -> None:
    if value is None or value.strip() == "":
        if required:
            err(path, "is required")
        return
    if len(value) > limit:
        err(path, f"must be at most {limit} characters, got {len(value)}")
    if _CONTROL.search(value):
        err(path, "must not contain control characters")


def _amount(err, path: str, value: Decimal | None, *, positive: bool) -> None:
    if value is None:
        err(path, "is required")
        return
    if not isinstance(value, Decimal) or not value.is_finite():
        err(path, "must be a decimal amount")
        return
    if not has_at_most_cents(value):
        err(path, "must have at most 2 decimal places")
    if positive and value <= 0:
        err(path, "must be greater than 0")
    elif not positive and value < 0:
        err(path, "must not be negative")
    if value > MAX_AMOUNT:
        err(path, f"must not exceed {MAX_AMOUNT}")
