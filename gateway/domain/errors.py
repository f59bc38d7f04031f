"""Errors the domain raises. Adapters translate them (SOAP faults, CLI lines)."""
from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every domain error."""


class IllegalTransition(DomainError):
    def __init__(self, current: str, target: str):
        super().__init__(f"a claim in state {current} cannot move to {target}")
        self.current = current
        self.target = target


@dataclass(frozen=True)
class FieldError:
    """One offending field, named by its path (e.g. claim.debtor.postcode)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ValidationFailed(DomainError):
    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass
