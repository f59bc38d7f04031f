"""A stable fingerprint of what a shop submitted, for idempotent resubmission."""
from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from .model import ClaimContent, ConsumerCredit, Debtor


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


def _canonical(obj) -> dict:
    """The dataclass's fields, plain and with "" as None (what asdict + _plain gave, without
    asdict's deep copy: it was most of the fingerprint's cost on every SubmitClaim)."""
    result = {}
    for name in _FIELDS[type(obj)]:
        value = getattr(obj, name)
        if value is None and name in _ADDED_LATER:
            continue  # absent, as in the fingerprints stored before the field existed
        if is_dataclass(value):
            value = _canonical(value)
        else:
            value = _plain(value)
            if value == "":
                value = None
        result[name] = value
    return result


_FIELDS = {cls: tuple(f.name for f in fields(cls))
           for cls in (ClaimContent, Debtor, ConsumerCredit)}
# Optional fields added after fingerprints were stored: left out when None, so old ones match.
_ADDED_LATER = frozenset({"consumer_credit"})


def content_fingerprint(content: ClaimContent) -> str:
    """SHA-256 over the canonical JSON of the content; equal content, equal fingerprint.

    Empty strings and missing optional fields count as the same (clients differ
    in whether they send <note/> or leave it out). Stored fingerprints must keep
    matching: the canonical JSON may not change.
    """
    canonical = json.dumps(_canonical(content), sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
