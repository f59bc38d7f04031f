"""Staff roles of the accounting console and what each may see and do.

A role says what a staff member may do; being an administrator says what they may see:
every shop, debtor data and the audit trail. An administrator does only what their role
allows (an IT administrator with the viewer role requests no court dunning order).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    VIEWER = "viewer"  # reads the claims of the assigned shops, without debtor data
    ACCOUNTANT = "accountant"  # + debtor data, requests court dunning orders
    OPERATOR = "operator"  # + retries deliveries, resolves reviews, unmatched agency changes


ROLE_LABELS = {Role.VIEWER: "Lesend", Role.ACCOUNTANT: "Buchhaltung", Role.OPERATOR: "Betrieb"}

# Staff names: lower case, as typed at the login (which lower-cases what it gets).
NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
PASSWORD_MIN_LENGTH = 12


@dataclass(frozen=True)
class StaffMember:
    name: str
    role: Role
    admin: bool
    shops: frozenset[str]

    def sees_shop(self, shop_id: str) -> bool:
        return self.admin or shop_id in self.shops

    @property
    def shop_scope(self) -> frozenset[str] | None:
        """The shops whose data this member sees; None: every shop."""
        return None if self.admin else self.shops

    @property
    def may_see_debtor(self) -> bool:
        return self.admin or self.role is Role.ACCOUNTANT

    @property
    def may_request_dunning(self) -> bool:
        return self.role is Role.ACCOUNTANT

    @property
    def may_operate(self) -> bool:
        """Retry deliveries and resolve reviews."""
        return self.role is Role.OPERATOR

    @property
    def may_see_unmatched(self) -> bool:
        return self.admin or self.role is Role.OPERATOR

    @property
    def may_read_audit(self) -> bool:
        return self.admin
