"""Agency connections and accounts as the domain sees them, and the reference a claim is
handed over under.

A connection is an agency endpoint spoken to by one adapter kind; an account is a
creditor's credentials at a connection. Several shops (one merchant's storefronts) may
share an account, so what the agency dedupes on must be unique per account, not per shop:
the reference is the shop's reference prefix, a dot, and the shop's own claim id
("SHOPDE.RE-2026-0001"). The debtor finds the invoice number in the agency's letters, and
two shops' equal claim ids never merge at the agency.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

# The agency's reference field holds at most this many characters (mediafinanz: invoice).
REFERENCE_LIMIT = 64
PREFIX_LIMIT = 6
_NOT_PREFIX = re.compile(r"[^A-Z0-9]")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class AgencyConnection:
    name: str
    kind: str  # picks the adapter (see gateway.app.ADAPTERS)
    endpoint_url: str | None = None  # None: GATEWAY_AGENCY_URL or the in-process simulator
    sandbox: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True)
class AgencyAccount:
    name: str
    connection: str
    client_id: str
    user_name: str | None = None
    created_at: datetime | None = None  # the key is never part of this object


def agency_reference(prefix: str, shop_claim_id: str) -> str:
    """The reference a claim is handed over under: unique per account, readable by the debtor.

    One that would be longer than the agency's field keeps the start of the claim id and
    ends in a short hash of the whole id, so it stays unique and recognisable.
    """
    reference = f"{prefix}.{shop_claim_id}"
    if len(reference) <= REFERENCE_LIMIT:
        return reference
    digest = hashlib.sha256(shop_claim_id.encode()).hexdigest()[:8]
    keep = REFERENCE_LIMIT - len(prefix) - 1 - len(digest) - 1
    return f"{prefix}.{shop_claim_id[:keep]}~{digest}"


def reference_prefix_for(shop_id: str, taken: set[str]) -> str:
    """A short prefix from the shop id ("shop-de" -> "SHOPDE"), numbered when taken."""
    base = _NOT_PREFIX.sub("", shop_id.upper())[:PREFIX_LIMIT] or "SHOP"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[:PREFIX_LIMIT - len(str(n))]}{n}"
    return candidate


def valid_prefix(prefix: str) -> bool:
    return 1 <= len(prefix) <= PREFIX_LIMIT and not _NOT_PREFIX.search(prefix)
