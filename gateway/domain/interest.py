"""Default (Verzug) and what it costs the debtor: when default begins (§ 286 BGB), default
interest (§ 288 (1), (2) BGB) from the dated base-rate table, and the 40 EUR flat fee
(§ 288 (5) BGB).

Pure rules. The base rate (§ 247 BGB) is dated data in gateway/data/base_rates.toml.

Assumptions, because a claim does not carry everything § 286 asks about:
- A debtor of kind PERSON is a consumer (§ 13 BGB), a COMPANY is not. A sole trader
  submitted as PERSON is treated as a consumer: the lower rate, no flat fee, no default
  by the 30-day rule without notice. That errs on the side of claiming less.
- The reminder (date_of_last_reminder) reached the debtor on its date, and the invoice on
  the date of origin, unless the caller knows better (invoice_received_on). Only the LAST
  reminder is known; an earlier one may have started default sooner, which the gateway
  does not claim.
- A due date is treated as a payment term, not as a date fixed by the contract: default
  needs a reminder or the 30 days of § 286 (3), never § 286 (2) Nr. 1 alone.
- Whether the invoice told a consumer of the 30-day rule (§ 286 (3) 1, 2nd half) is not
  in the claim: consumer_notified, False unless the caller says so.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from functools import cache
from importlib.resources import files

from .errors import DomainError
from .model import ClaimContent, DebtorKind
from .money import CENT, ZERO, eur
from .working_days import RULE_BGB_193, MovedDate, latest_period_end

CONSUMER_POINTS = Decimal("5")  # § 288 (1) 2 BGB: base rate + 5 percentage points
BUSINESS_POINTS = Decimal("9")  # § 288 (2) BGB: no consumer involved, + 9 points
FLAT_FEE = Decimal("40.00")  # § 288 (5) 1 BGB, only against a debtor who is no consumer
PAYMENT_DAYS = 30  # § 286 (3) 1 BGB: in default at the latest 30 days after due date and invoice
# Day count: actual days / 365, also in leap years (the usual German interest formula,
# principal x rate x days / 36500; act/act would divide by 366 in a leap year).
DAYS_PER_YEAR = Decimal(365)
RULE_REMINDER = "§ 286 (1) BGB"
RULE_30_DAYS = "§ 286 (3) BGB"


class NoBaseRate(DomainError):
    """The base-rate table has no rate for the day asked about (it is before the table)."""


class RateStatus(str, Enum):
    CONFIRMED = "CONFIRMED"  # in the table, checked against the Bundesbank
    UNCONFIRMED = "UNCONFIRMED"  # in the table, not checked (see base_rates.toml)
    ASSUMED = "ASSUMED"  # after the table's last half-year: the last value carried on


@dataclass(frozen=True)
class BaseRate:
    """The base rate valid on a day: percent per year, the table entry's first day, and
    how sure the gateway is of it."""

    valid_from: date
    percent: Decimal
    status: RateStatus


@dataclass(frozen=True)
class DefaultBegins:
    """The first day the debtor is in default: default interest runs from it, inclusive.

    rule: RULE_REMINDER or RULE_30_DAYS; reason: a sentence for a person. last_day_to_pay
    is the 30th day of § 286 (3), moved off a weekend or holiday by § 193 BGB (the
    debtor's place is unknown: the latest of any state), None for a reminder.
    """

    on: date
    rule: str
    reason: str
    last_day_to_pay: MovedDate | None = None


@dataclass(frozen=True)
class InterestPeriod:
    """Days with one rate. start and end both count (days = end - start + 1).

    amount is rounded half up to the cent for showing; exact_amount is not rounded.
    """

    start: date
    end: date
    days: int
    base_rate: BaseRate
    rate: Decimal  # percent per year: base rate + points
    amount: Decimal
    exact_amount: Decimal


@dataclass(frozen=True)
class DefaultInterest:
    """Default interest on the principal from start to end, both days included.

    periods: split at every possible base-rate change (1 January, 1 July). total is the
    sum of the exact period amounts rounded once, half up to the cent, so it can differ by
    a cent from the sum of the rounded period amounts.
    """

    principal: Decimal
    points_over_base: Decimal
    rule: str
    start: date
    end: date
    periods: tuple[InterestPeriod, ...]
    total: Decimal

    @property
    def rates_confirmed(self) -> bool:
        """False when any period uses an unconfirmed or assumed base rate."""
        return all(p.base_rate.status is RateStatus.CONFIRMED for p in self.periods)


@dataclass(frozen=True)
class DefaultClaims:
    """What default adds to the principal up to a day: separate ancillary claims
    (§ 690 (1) Nr. 3 ZPO lists them apart from the principal).

    begins: None when nothing known puts the debtor in default. interest: None when
    default has not begun by the day. flat_fee: 40.00 against a business debtor in
    default, else 0.00.
    """

    begins: DefaultBegins | None
    interest: DefaultInterest | None
    flat_fee: Decimal


# -- the rules --------------------------------------------------------------------------
def is_consumer(kind: DebtorKind) -> bool:
    """A PERSON debtor counts as a consumer (see the module's assumptions)."""
    return kind is DebtorKind.PERSON


def default_begins_on(content: ClaimContent, *, invoice_received_on: date | None = None,
                      consumer_notified: bool = False) -> DefaultBegins | None:
    """When the debtor of the claim is in default (§ 286 BGB), None when no rule applies.

    The claim is due on its due date, else on its date of origin (§ 271 (1) BGB). Default
    begins on the earlier of:
    - the day after the last reminder, when that reminder came after the due date
      (§ 286 (1); interest from the following day, § 187 (1) BGB);
    - the day after the 30th day after due date and receipt of the invoice, whichever is
      later (§ 286 (3)); that 30th day moves off a weekend or holiday (§ 193 BGB).
      Against a consumer only when the invoice told them (consumer_notified).
    The day may lie after today: the debtor is not in default yet.
    """
    due = content.due_date or content.date_of_origin
    candidates: list[DefaultBegins] = []
    reminder = content.date_of_last_reminder
    if reminder is not None and reminder > due:
        candidates.append(DefaultBegins(
            reminder + timedelta(days=1), RULE_REMINDER,
            f"reminder of {reminder.isoformat()}, after the due date {due.isoformat()}"))
    if not is_consumer(content.debtor.kind) or consumer_notified:
        received = invoice_received_on or content.date_of_origin
        counted_from = max(due, received)
        last_day = latest_period_end(counted_from + timedelta(days=PAYMENT_DAYS), RULE_BGB_193)
        reason = (f"not paid within {PAYMENT_DAYS} days after due date and invoice "
                  f"({counted_from.isoformat()}): last day {last_day.moved_to.isoformat()}")
        if last_day.moved:
            reason += f" ({last_day.rule}: {last_day.reason})"
        candidates.append(DefaultBegins(last_day.moved_to + timedelta(days=1), RULE_30_DAYS,
                                        reason, last_day))
    return min(candidates, key=lambda begins: begins.on, default=None)


def default_interest(principal: Decimal, debtor_kind: DebtorKind, start: date,
                     end: date) -> DefaultInterest:
    """Default interest on the principal from start to end, both days included (§ 288 BGB).

    Base rate + 5 points against a consumer, + 9 against a business debtor, split at every
    1 January and 1 July. An end before start gives no period and 0.00. Raises NoBaseRate
    when start is before the base-rate table, TypeError for a float principal.
    """
    principal = eur(principal)
    consumer = is_consumer(debtor_kind)
    points = CONSUMER_POINTS if consumer else BUSINESS_POINTS
    periods = []
    period_start = start
    while period_start <= end:
        period_end = min(_next_rate_change(period_start) - timedelta(days=1), end)
        base = base_rate_on(period_start)
        rate = base.percent + points
        days = (period_end - period_start).days + 1
        exact = principal * rate / 100 * days / DAYS_PER_YEAR
        periods.append(InterestPeriod(period_start, period_end, days, base, rate,
                                      exact.quantize(CENT, ROUND_HALF_UP), exact))
        period_start = period_end + timedelta(days=1)
    total = sum((p.exact_amount for p in periods), ZERO).quantize(CENT, ROUND_HALF_UP)
    return DefaultInterest(principal, points, "§ 288 (1) BGB" if consumer else "§ 288 (2) BGB",
                           start, end, tuple(periods), total)


def flat_fee(debtor_kind: DebtorKind, begins: DefaultBegins | None, on: date) -> Decimal:
    """The 40 EUR flat fee (§ 288 (5) BGB): owed by a debtor who is no consumer, once in
    default on the given day; else 0.00. (It is set off against collection costs, § 288
    (5) 3: whoever adds those must not count it twice.)"""
    if is_consumer(debtor_kind) or begins is None or begins.on > on:
        return ZERO
    return FLAT_FEE


def default_claims(content: ClaimContent, up_to: date, *,
                   invoice_received_on: date | None = None,
                   consumer_notified: bool = False) -> DefaultClaims:
    """Interest on the principal and the flat fee for a claim up to and including up_to."""
    begins = default_begins_on(content, invoice_received_on=invoice_received_on,
                               consumer_notified=consumer_notified)
    kind = content.debtor.kind
    in_default = begins is not None and begins.on <= up_to
    interest = default_interest(content.principal, kind, begins.on, up_to) if in_default else None
    return DefaultClaims(begins, interest, flat_fee(kind, begins, up_to))


def base_rate_on(day: date) -> BaseRate:
    """The base rate valid on the day (§ 247 BGB). After the table's last half-year the
    last value, marked ASSUMED. Raises NoBaseRate before the table's first entry."""
    table = _base_rates()
    valid = [rate for rate in table if rate.valid_from <= day]
    if not valid:
        raise NoBaseRate(f"no base rate is known for {day.isoformat()} (the table in "
                         f"gateway/data/base_rates.toml starts {table[0].valid_from.isoformat()})")
    rate = valid[-1]
    if rate is table[-1] and day >= _next_rate_change(rate.valid_from):
        return BaseRate(rate.valid_from, rate.percent, RateStatus.ASSUMED)
    return rate


def _next_rate_change(day: date) -> date:
    """The first 1 January or 1 July after the day: the base rate can change only then."""
    return date(day.year, 7, 1) if day.month < 7 else date(day.year + 1, 1, 1)


@cache
def _base_rates() -> tuple[BaseRate, ...]:
    text = (files("gateway") / "data" / "base_rates.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text, parse_float=Decimal)  # rates never pass through binary floats
    rates = sorted((BaseRate(entry["valid_from"], Decimal(entry["percent"]),
                             RateStatus.CONFIRMED if entry["confirmed"] else RateStatus.UNCONFIRMED)
                    for entry in raw["base_rates"]), key=lambda rate: rate.valid_from)
    return tuple(rates)
