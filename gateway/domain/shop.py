"""A shop (creditor) as the domain sees it: who it is and its court-relevant settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .handover import HandoverPolicy


@dataclass(frozen=True)
class Shop:
    id: str
    # The agency account new claims are handed to; None: none yet (claims wait for one).
    agency_account: str | None = None
    # Put before the shop's claim ids in the references sent to the agency.
    reference_prefix: str | None = None
    # Federal state of the shop's seat (ISO 3166-2:DE code, NW-KOELN for the OLG district Köln):
    # decides the competent dunning court. None = no German seat.
    seat: str | None = None
    # Claim type -> court catalogue number, where the shop's business needs another than the default.
    catalogue_overrides: dict[str, int] = field(default_factory=dict)
    # When its claims go to the agency: at once (the default), or once in default.
    handover: HandoverPolicy = HandoverPolicy()
    created_at: datetime | None = None


@dataclass(frozen=True)
class ShopHandover:
    """Where and when a shop's new claims go: the agency account (None: none yet), the
    prefix of their agency references, and the hand-over policy."""

    account: str | None
    reference_prefix: str | None
    policy: HandoverPolicy = HandoverPolicy()
