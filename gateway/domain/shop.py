"""A shop (creditor) as the domain sees it: who it is and its court-relevant settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Shop:
    id: str
    agency: str
    # Federal state of the shop's seat (ISO 3166-2:DE code, NW-KOELN for the OLG district Köln):
    # decides the competent dunning court. None = no German seat.
    seat: str | None = None
    # Claim type -> court catalogue number, where the shop's business needs another than the default.
    catalogue_overrides: dict[str, int] = field(default_factory=dict)
    agency_client_id: str | None = None
    agency_sandbox: bool = False
    created_at: datetime | None = None
