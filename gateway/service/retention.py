"""Retention (DSGVO): anonymise the debtor data of claims closed long enough ago.

Amounts, dates, states and history stay for accounting; names, address,
contacts, birth date, customer number and the free-text note go.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from gateway.domain.lifecycle import CLOSED

from .claims import utc_now
from .unit_of_work import UnitOfWorkFactory


@dataclass
class PurgeReport:
    closed_before: date
    dry_run: bool
    anonymised: list[tuple[str, str]] = field(default_factory=list)  # (shop, shop claim id)
    already_anonymised: int = 0


def purge_closed_before(uow_factory: UnitOfWorkFactory, closed_before: date, *,
                        dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    """Anonymise claims that closed (PAID, CANCELLED, REJECTED, CLOSED_BY_AGENCY) before the date.

    One transaction per claim, so a long run holds no lock for long and an
    interrupted run can simply be started again.
    """
    now = now or utc_now()
    if closed_before > now.date():
        raise ValueError("--closed-before must not be in the future")
    cutoff = datetime.combine(closed_before, time.min, tzinfo=timezone.utc)
    report = PurgeReport(closed_before, dry_run)
    with uow_factory() as uow:
        candidates = list(uow.claims.iter_closed_before(cutoff, [s.value for s in CLOSED]))
    for claim_id in candidates:
        with uow_factory() as uow:
            claim = uow.claims.get_by_id(claim_id, for_update=True)
            if claim is None or claim.state not in CLOSED:
                continue  # reopened (NEEDS_REVIEW) since the scan
            if claim.debtor.is_anonymised:
                report.already_anonymised += 1
                continue
            report.anonymised.append((claim.shop_id, claim.shop_claim_id))
            if not dry_run:
                claim.anonymise_debtor(now)
                uow.commit()
    return report
