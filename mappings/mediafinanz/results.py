"""Agency answers (plain dicts named as in the contract) -> the port's and the domain's types."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Mapping

from gateway.domain import accounting
from gateway.domain.accounting import amount_or_zero
from gateway.domain.model import AccountingSummary, Payout
from gateway.service.agency_port import ClaimOptions, JournalEntry, StatusChangeBatch

from .codes import status_from_change


def accounting_summary(answer: Mapping[str, Any]) -> AccountingSummary:
    """getClaimAccountingSummary -> AccountingSummary (payouts oldest first)."""
    return accounting.summary(
        total_debts=answer.get("totalDebts"), paid=answer.get("paid"),
        outstanding=answer.get("outstanding"), current_payout=answer.get("currentPayout"),
        sum_payout=answer.get("sumPayout"),
        payouts=(payout(p) for p in _items(answer.get("payoutHistory"))))


def payout(entry: Mapping[str, Any]) -> Payout:
    return Payout(paid_out_on=_date(entry["date"]), amount=amount_or_zero(entry["total"]),
                  number=str(entry["payoutNumber"]))


def payouts(answer: Any) -> tuple[Payout, ...]:
    """getPayoutList ({payout: [...]} or the bare list zeep unwraps it to) -> payouts."""
    return tuple(payout(p) for p in _repeated(answer, "payout"))


def journal(answer: Any) -> list[JournalEntry]:
    """getClaimHistory ({entry: [...]} or the bare list) -> journal entries, oldest first."""
    entries = [JournalEntry(at=e["time"], subject=e["subject"], details=e.get("details") or None)
               for e in _repeated(answer, "entry")]
    return sorted(entries, key=lambda e: e.at)


def claim_options(answer: Mapping[str, Any]) -> ClaimOptions:
    return ClaimOptions(
        close=bool(answer.get("close")),
        lawyer=bool(answer.get("lawyer")),
        factoring=bool(answer.get("factoring")),
        long_term_observation=bool(answer.get("longTermObservation")),
        address_identification=bool(answer.get("addressIdentification")),
    )


def status_changes(answer: Mapping[str, Any] | None) -> StatusChangeBatch:
    """getClaimStatusChanges -> one batch; an empty feed has no transaction to commit."""
    answer = answer or {}
    changes = tuple(status_from_change(c) for c in _items(answer.get("change")))
    return StatusChangeBatch(transaction_id=answer.get("transactionId") or None, changes=changes)


def _repeated(answer: Any, name: str) -> Iterable[Mapping[str, Any]]:
    # A wrapper with one repeated child arrives from zeep as the bare list.
    if isinstance(answer, Mapping):
        return _items(answer.get(name))
    return _items(answer)


def _items(value: Any) -> Iterable[Mapping[str, Any]]:
    return value or ()


def _date(value: Any) -> date:
    # xsd:date: zeep gives date objects; text must be a bare YYYY-MM-DD.
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))
