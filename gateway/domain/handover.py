"""A shop's hand-over policy: when a submitted claim may go to the agency.

IMMEDIATE (the default, the gateway's behaviour before policies existed): at once.
WHEN_IN_DEFAULT: only once the debtor is in default (§ 286 BGB, see
interest.default_begins_on) and a minimum number of days has passed since the due date and
since the last reminder (shop plugins wait about 10 days after the order and 5 after the last
reminder, see docs/agency-mediafinanz.md). Agencies ask for consistent dunning before a
hand-over; a claim handed over before default also costs the debtor no default interest.

Pure rules: the caller gives today's date (the German calendar day) and gets the day the
claim becomes ready; storing the claim as waiting and handing it over that day is the
service's and the worker's business.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from .errors import DomainError
from .interest import DefaultBegins, default_begins_on
from .model import ClaimContent

DEFAULT_DAYS_AFTER_DUE = 10
DEFAULT_DAYS_AFTER_REMINDER = 5
MAX_DAYS = 365  # a longer wait is a typing error, not a policy


class HandoverMode(str, Enum):
    IMMEDIATE = "IMMEDIATE"
    WHEN_IN_DEFAULT = "WHEN_IN_DEFAULT"


@dataclass(frozen=True)
class HandoverPolicy:
    """mode, and for WHEN_IN_DEFAULT the minimum whole days after the due date (the date of
    origin when a claim has none) and after the last reminder before the hand-over."""

    mode: HandoverMode = HandoverMode.IMMEDIATE
    days_after_due: int = DEFAULT_DAYS_AFTER_DUE
    days_after_reminder: int = DEFAULT_DAYS_AFTER_REMINDER

    def __post_init__(self) -> None:
        for name in ("days_after_due", "days_after_reminder"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
                raise DomainError(f"hand-over policy: {name.replace('_', ' ')} must be a whole "
                                  f"number of days from 0 to {MAX_DAYS}")

    def __str__(self) -> str:
        if self.mode is HandoverMode.IMMEDIATE:
            return "immediate"
        return (f"when in default, {self.days_after_due} days after due, "
                f"{self.days_after_reminder} days after the last reminder")


class NeverInDefault(DomainError):
    """Under WHEN_IN_DEFAULT: nothing the claim says puts the debtor in default, so it would
    never become ready (a consumer without a reminder after the due date)."""


@dataclass(frozen=True)
class HandoverReadiness:
    """The first day a claim may be handed over under the policy, and why that day.

    conditions: each condition and the day it is met, as sentences for a person (dates and
    rules, no personal data); ready_on is the latest of them.
    """

    ready_on: date
    default_begins: DefaultBegins
    conditions: tuple[str, ...]

    def ready(self, today: date) -> bool:
        return today >= self.ready_on


def handover_readiness(content: ClaimContent, policy: HandoverPolicy, *,
                       consumer_notified: bool = False) -> HandoverReadiness | None:
    """When the claim may go to the agency under the policy; None under IMMEDIATE (at once).

    Raises NeverInDefault under WHEN_IN_DEFAULT when no rule of § 286 BGB puts the debtor in
    default (interest.default_begins_on: a consumer needs a reminder after the due date unless
    the invoice told them of the 30-day rule, consumer_notified).
    """
    if policy.mode is HandoverMode.IMMEDIATE:
        return None
    begins = default_begins_on(content, consumer_notified=consumer_notified)
    if begins is None:
        raise NeverInDefault(
            "the shop hands over only claims whose debtor is in default (§ 286 BGB): a consumer "
            "is in default only after a reminder sent after the due date; give the date of "
            "that reminder (dateOfLastReminder)")
    due = content.due_date or content.date_of_origin
    due_name = "due date" if content.due_date else "date of origin (no due date)"
    days = [(begins.on, f"in default from {begins.on.isoformat()} ({begins.rule}: "
                        f"{begins.reason})"),
            (due + timedelta(days=policy.days_after_due),
             f"{policy.days_after_due} days after the {due_name} {due.isoformat()}")]
    reminder = content.date_of_last_reminder
    if reminder is not None:
        days.append((reminder + timedelta(days=policy.days_after_reminder),
                     f"{policy.days_after_reminder} days after the last reminder "
                     f"{reminder.isoformat()}"))
    ready_on = max(day for day, _ in days)
    conditions = tuple(f"{day.isoformat()}: {why}" for day, why in days)
    return HandoverReadiness(ready_on, begins, conditions)

