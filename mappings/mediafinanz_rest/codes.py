"""The REST API's code tables (codes.toml, data) and its status codes.

Status codes: ASSUMED the same back-office codes as the agency's SOAP interface, so the
one table mappings/mediafinanz/status_codes.toml serves both adapters (and the simulator,
which runs one core behind both fronts, emits only codes listed there).
"""
from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

import structlog

from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import ClaimType, CourtDunningInstruction, DebtorKind
from gateway.service.agency_port import AgencyStatus
from mappings.mediafinanz.codes import StatusCode, status_table

log = structlog.get_logger(__name__)
AGENCY = "mediafinanz-rest"


@dataclass(frozen=True)
class Codes:
    person_type: Mapping[DebtorKind, int]
    means: Mapping[str, int]  # email, phone, mobile, fax, web
    communication_type: Mapping[DebtorKind, int]
    valid: int
    invalid: int
    claim_type: Mapping[ClaimType, tuple[str, int]]  # (catalogue no, contractual condition)
    lawyer_instruction: Mapping[CourtDunningInstruction, int]

    def kind_of_person_type(self, code: Any) -> DebtorKind:
        return _reverse(self.person_type, code, "PersonType")

    def claim_type_of(self, catalogue_no: Any, condition: Any) -> ClaimType:
        if not isinstance(catalogue_no, str) or type(condition) is not int:
            raise ValueError("unknown ContractualItemCatalogueNo/ContractualCondition")
        return _reverse(self.claim_type, (str(catalogue_no), condition),
                        "ContractualItemCatalogueNo/ContractualCondition")

    def instruction_of(self, code: Any) -> CourtDunningInstruction:
        return _reverse(self.lawyer_instruction, code, "Instruction")


def _reverse(table: Mapping[Any, Any], code: Any, name: str) -> Any:
    for key, value in table.items():
        if value == code and type(value) is type(code):  # 1 is not True, "11" is not 11
            return key
    raise ValueError(f"unknown {name}")


@lru_cache(maxsize=1)
def codes() -> Codes:
    """The code table shipped as package data (mappings/mediafinanz_rest/codes.toml)."""
    raw = tomllib.loads(resources.files(__package__).joinpath("codes.toml")
                        .read_text(encoding="utf-8"))
    return Codes(
        person_type={DebtorKind[k]: int(v) for k, v in raw["person_type"].items()},
        means={k: int(v) for k, v in raw["communication"]["means"].items()},
        communication_type={DebtorKind[k]: int(v)
                            for k, v in raw["communication"]["type"].items()},
        valid=int(raw["validity"]["valid"]),
        invalid=int(raw["validity"]["invalid"]),
        claim_type={ClaimType[k]: (str(v["catalogue_no"]), int(v["condition"]))
                    for k, v in raw["claim_type"].items()},
        lawyer_instruction={CourtDunningInstruction[k]: int(v)
                            for k, v in raw["lawyer_instruction"].items()},
    )


# Each unknown status code is warned about once per process, not once per claim or poll.
_warned: set[int] = set()
_warned_lock = threading.Lock()


def to_status(file_number: str, code: int, text: str | None, details: str | None = None,
              at: datetime | None = None) -> AgencyStatus:
    """A status answer's fields -> AgencyStatus; an unknown code has state None (one warning)."""
    entry: StatusCode | None = status_table().get(int(code))
    if entry is None:
        with _warned_lock:
            first = int(code) not in _warned
            _warned.add(int(code))
        if first:
            log.warning("agency_status_code_unknown", agency=AGENCY, status_code=int(code))
    return AgencyStatus(file_number=str(file_number), code=int(code), text=text,
                        state=entry.state if entry else None, at=at, details=details or None,
                        court_date=entry.court_date if entry else None)


def state_for(code: int) -> ClaimState | None:
    entry = status_table().get(int(code))
    return entry.state if entry else None


def text_for(code: int) -> str | None:
    entry = status_table().get(int(code))
    return entry.text if entry else None
