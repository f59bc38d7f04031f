"""The lawyer hand-over's amounts <-> instructLawyer's `amounts` argument (plain dicts named
as in our contract), both directions: the zeep adapter builds it, the simulator parses it.

ASSUMED (README.md beside this file): the interface's real hand-over operation is not public,
so neither is a field for what a court dunning application lists apart (§ 690 (1) Nr. 3 ZPO).
Ours, in newClaim's style: originalValue (the principal) and overdueFees (the dunning fees)
as in newClaim's claim, the default interest with its period and rate, the flat fee of
§ 288 (5) BGB, and the day they were reckoned up to.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

from gateway.domain.money import ZERO, eur
from gateway.service.agency_port import CourtDunningAmounts, InterestAmount


def amounts_argument(amounts: CourtDunningAmounts) -> dict[str, Any]:
    """CourtDunningAmounts -> instructLawyer's amounts; no interest and no flat fee are left
    out (None values are not sent)."""
    interest = amounts.interest
    return {
        "calculationDate": amounts.as_of,
        "originalValue": eur(amounts.principal),
        "overdueFees": eur(amounts.dunning_fees),
        "flatFee": eur(amounts.flat_fee) if amounts.flat_fee else None,
        "interest": None if interest is None else {
            "startDate": interest.start, "endDate": interest.end,
            "pointsAboveBaseRate": interest.points_over_base_rate, "rate": interest.rate,
            "amount": eur(interest.amount)},
    }


def parse_amounts(argument: Mapping[str, Any] | None) -> CourtDunningAmounts | None:
    """instructLawyer's amounts (as a plain dict) -> CourtDunningAmounts; None when absent.
    Raises KeyError/ValueError/TypeError on junk."""
    if not argument:
        return None
    raw = argument.get("interest")
    interest = None if not raw else InterestAmount(
        _date(raw["startDate"]), _date(raw["endDate"]), _decimal(raw["pointsAboveBaseRate"]),
        _decimal(raw["rate"]), eur(_decimal(raw["amount"])))
    flat_fee = argument.get("flatFee")
    return CourtDunningAmounts(
        _date(argument["calculationDate"]), eur(_decimal(argument["originalValue"])),
        eur(_decimal(argument.get("overdueFees") or ZERO)),
        eur(_decimal(flat_fee)) if flat_fee is not None else ZERO, interest)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, (float, bool)):  # never: amounts do not pass through binary floats
        raise TypeError("number arrived as float")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))
