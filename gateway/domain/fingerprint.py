"""A stable fingerprint of what a shop submitted, for idempotent resubmission."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from enum import Enum

from .model import ClaimContent


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def content_fingerprint(content: ClaimContent) -> str:
    """SHA-256 over the canonical JSON of the content; equal content, equal fingerprint.

    Empty strings and missing optional fields count as the same (clients differ
    in whether they send <note/> or leave it out).
    """
    data = _plain(asdict(content))
    data = {k: (None if v == "" else v) for k, v in data.items()}
    data["debtor"] = {k: (None if v == "" else v) for k, v in data["debtor"].items()}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
