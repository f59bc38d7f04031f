"""Status codes -> lifecycle states, read from status_codes.toml (data, not if-chains)."""
from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Mapping

import structlog

from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import CourtDates
from gateway.service.agency_port import AgencyStatus

log = structlog.get_logger(__name__)

# The court-date fields a code may name: those of the domain's CourtDates.
_COURT_FIELDS = frozenset(f.name for f in fields(CourtDates))


@dataclass(frozen=True)
class StatusCode:
    code: int
    text: str
    state: ClaimState
    court_date: str | None = None


@lru_cache(maxsize=1)
def status_table() -> Mapping[int, StatusCode]:
    """The code table shipped as package data (mappings/mediafinanz/status_codes.toml)."""
    raw = tomllib.loads(resources.files(__package__).joinpath("status_codes.toml")
                        .read_text(encoding="utf-8"))
    table: dict[int, StatusCode] = {}
    for key, entry in raw["codes"].items():
        court = entry.get("court_date")
        if court is not None and court not in _COURT_FIELDS:
            raise ValueError(f"status code {key}: unknown court_date field {court!r}")
        table[int(key)] = StatusCode(int(key), entry["text"], ClaimState[entry["state"]], court)
    return table


# Each unknown code is warned about once per process, not once per claim or poll.
_warned: set[int] = set()
_warned_lock = threading.Lock()


def state_for(code: int) -> ClaimState | None:
    """The lifecycle state of an agency code; None (and one warning) for an unknown code."""
    entry = status_table().get(code)
    if entry is not None:
        return entry.state
    with _warned_lock:
        first = code not in _warned
        _warned.add(code)
    if first:
        log.warning("agency_status_code_unknown", agency="mediafinanz", status_code=code)
    return None


def text_for(code: int) -> str | None:
    entry = status_table().get(code)
    return entry.text if entry else None


def to_status(file_number: str, code: int, text: str | None, details: str | None = None,
              at: datetime | None = None) -> AgencyStatus:
    entry = status_table().get(int(code))
    return AgencyStatus(file_number=str(file_number), code=int(code), text=text,
                        state=state_for(int(code)), at=at, details=details or None,
                        court_date=entry.court_date if entry else None)


def status_from_answer(file_number: str, answer: Mapping) -> AgencyStatus:
    """getClaimStatus's {statusCode, statusText, statusDetails?} -> AgencyStatus."""
    return to_status(file_number, answer["statusCode"], answer.get("statusText"),
                     answer.get("statusDetails"))


def status_from_change(change: Mapping) -> AgencyStatus:
    """One entry of getClaimStatusChanges -> AgencyStatus."""
    return to_status(change["fileNumber"], change["statusCode"], change.get("statusName"),
                     change.get("statusDetails"), change.get("time"))
