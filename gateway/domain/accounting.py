"""An agency's accounting answer as the domain reads it, whatever the agency names its
fields: an absent amount is 0.00, payouts come oldest first."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from .model import AccountingSummary, Payout
from .money import ZERO, eur


def amount_or_zero(value: Any) -> Decimal:
    # eur() refuses floats: money never passes through binary floats.
    return ZERO if value is None else eur(value)


def summary(*, total_debts: Any, paid: Any, outstanding: Any, current_payout: Any,
            sum_payout: Any, payouts: Iterable[Payout]) -> AccountingSummary:
    """The amounts as the agency sent them (None: none) and its payouts -> the summary."""
    oldest_first = tuple(sorted(payouts, key=lambda p: (p.paid_out_on, p.number)))
    return AccountingSummary(
        total_debts=amount_or_zero(total_debts), paid=amount_or_zero(paid),
        outstanding=amount_or_zero(outstanding), current_payout=amount_or_zero(current_payout),
        sum_payout=amount_or_zero(sum_payout), payouts=oldest_first)
