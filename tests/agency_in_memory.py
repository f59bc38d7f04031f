"""An AgencyPort in memory, for fast use-case tests of the worker and the sync.

It speaks the port's own terms (AgencyStatus with its lifecycle state), so a test sets
what the agency reports without any wire format; the simulators (gateway/agencies/
simulator) stay the way to test an adapter and its mapping. Credentials are checked
per client id, claims are kept per client id under their agency reference (a
resubmission returns the same file number, as the port requires), and the changes feed
is per client id with transactions that only a commit removes.
"""
from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import date, datetime, timezone
from decimal import Decimal

from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import AccountingSummary, Claim, CourtDunningInstruction
from gateway.service.agency_port import (AgencyAmbiguous, AgencyAuthFailed, AgencyCredentials,
                                         AgencyError, AgencyRejected, AgencyStatus,
                                         CourtDunningAmounts, StatusChangeBatch)

SUBMITTED = (10201, ClaimState.IN_COLLECTION)


class InMemoryAgency:
    name = "in-memory"
    has_changes_feed = True

    def __init__(self, clients: dict[str, str], batch_size: int = 100):
        self.clients = dict(clients)  # client id -> key
        self.batch_size = batch_size
        self.calls: Counter[str] = Counter()
        self.failures: list[AgencyError] = []  # raised by the next calls, in order
        self.lost_answers = 0  # the next submissions take effect, then their answer is lost
        self._lock = threading.Lock()
        self._numbers = itertools.count(700001)
        self._files: dict[tuple[str, str], str] = {}  # (client id, reference) -> file number
        self._owner: dict[str, str] = {}  # file number -> client id
        self.statuses: dict[str, AgencyStatus] = {}
        self.accounting: dict[str, AccountingSummary] = {}
        self.actions: list[tuple[str, str]] = []  # (what, file number): close, payment, lawyer
        self.court_amounts: dict[str, CourtDunningAmounts] = {}  # file number -> as handed over
        self._feed: dict[str, list[AgencyStatus]] = {}
        self._open: dict[str, tuple[str, list[AgencyStatus]]] = {}  # transaction -> client, batch

    # -- what a test does --------------------------------------------------------------
    def report(self, file_number: str, code: int, state: ClaimState | None,
               at: datetime | None = None) -> AgencyStatus:
        """The agency moves a claim: its status and an entry in its client's feed."""
        with self._lock:
            status = AgencyStatus(file_number, code, f"code {code}", state,
                                  at=at or datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
            self.statuses[file_number] = status
            self._feed.setdefault(self._owner.get(file_number, "?"), []).append(status)
            return status

    def report_unknown(self, client_id: str, file_number: str, code: int) -> None:
        """A change in a client's feed for a file number nobody handed over."""
        with self._lock:
            self._feed.setdefault(client_id, []).append(
                AgencyStatus(file_number, code, f"code {code}", ClaimState.IN_COLLECTION))

    def file_number(self, client_id: str, reference: str) -> str | None:
        return self._files.get((client_id, reference))

    # -- the port ----------------------------------------------------------------------
    def _enter(self, operation: str, creds: AgencyCredentials) -> None:
        with self._lock:
            self.calls[operation] += 1
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        if self.clients.get(creds.client_id) != creds.client_key:
            raise AgencyAuthFailed("credentials refused")

    def _own(self, creds: AgencyCredentials, file_number: str) -> None:
        if self._owner.get(file_number) != creds.client_id:
            raise AgencyRejected(f"unknown file number {file_number}")

    def submit_claim(self, creds: AgencyCredentials, claim: Claim) -> str:
        self._enter("submit_claim", creds)
        with self._lock:
            key = (creds.client_id, claim.agency_reference)
            if key not in self._files:
                number = str(next(self._numbers))
                self._files[key] = number
                self._owner[number] = creds.client_id
            number = self._files[key]
        if number not in self.statuses:
            self.report(number, *SUBMITTED)
        with self._lock:
            lost, self.lost_answers = self.lost_answers > 0, max(0, self.lost_answers - 1)
        if lost:
            raise AgencyAmbiguous("the answer was lost on the way back")
        return number

    def get_status(self, creds: AgencyCredentials, file_number: str) -> AgencyStatus:
        self._enter("get_status", creds)
        self._own(creds, file_number)
        return self.statuses[file_number]

    def get_status_changes(self, creds: AgencyCredentials) -> StatusChangeBatch:
        self._enter("get_status_changes", creds)
        with self._lock:
            for transaction, (client, batch) in self._open.items():
                if client == creds.client_id:  # not committed: delivered again
                    return StatusChangeBatch(transaction, tuple(batch))
            feed = self._feed.get(creds.client_id, [])
            if not feed:
                return StatusChangeBatch(None, ())
            batch, self._feed[creds.client_id] = feed[:self.batch_size], feed[self.batch_size:]
            transaction = f"T{next(self._numbers)}"
            self._open[transaction] = (creds.client_id, batch)
            return StatusChangeBatch(transaction, tuple(batch))

    def commit_changes(self, creds: AgencyCredentials, transaction_id: str) -> None:
        self._enter("commit_changes", creds)
        with self._lock:
            if self._open.get(transaction_id, ("",))[0] != creds.client_id:
                raise AgencyRejected(f"unknown transaction {transaction_id}")
            del self._open[transaction_id]

    def get_accounting(self, creds: AgencyCredentials, file_number: str) -> AccountingSummary:
        self._enter("get_accounting", creds)
        self._own(creds, file_number)
        return self.accounting.get(file_number, AccountingSummary())

    def close_claim(self, creds: AgencyCredentials, file_number: str) -> None:
        self._act("close", creds, file_number)

    def book_direct_payment(self, creds: AgencyCredentials, file_number: str,
                            paid_on: date, amount: Decimal) -> None:
        self._act(f"payment {paid_on.isoformat()} {amount}", creds, file_number)

    def hand_over_to_lawyer(self, creds: AgencyCredentials, file_number: str,
                            instruction: CourtDunningInstruction,
                            amounts: CourtDunningAmounts) -> None:
        self._act(f"lawyer {instruction.value}", creds, file_number)
        with self._lock:
            self.court_amounts[file_number] = amounts

    def _act(self, what: str, creds: AgencyCredentials, file_number: str) -> None:
        self._enter(what.split()[0], creds)
        self._own(creds, file_number)
        with self._lock:
            self.actions.append((what, file_number))

    def check_credentials(self, creds: AgencyCredentials) -> None:
        self._enter("check_credentials", creds)

    def close(self) -> None:
        pass


class InMemoryRoutes:
    """Every account to the one in-memory agency, with the account's stored credentials."""

    def __init__(self, agency: InMemoryAgency):
        self.agency = agency

    def route(self, uow, account: str | None):
        creds = uow.agencies.credentials(account) if account else None
        if creds is None:
            raise AgencyAuthFailed(f"no agency account {account!r}")
        return self.agency, creds
