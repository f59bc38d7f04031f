"""mediafinanz's REST API v2.1 behind gateway.service.agency_port.AgencyPort, over requests.

One MediafinanzRestAgency per connection (base URL), safe to use from many threads: its
only shared mutable thing is the requests.Session, whose urllib3 connection pool is
thread-safe and holds `pool_size` connections per host. Every call has a connect and a
read timeout; the session never retries (max_retries=0) and never follows redirects:
retrying is the dispatcher's decision, made from the error type (see errors.py).

Every name, path and code of the API lives in mappings.mediafinanz_rest (README.md there
lists what is assumed). Logs name the operation, file number, HTTP status and outcome only:
no bodies, no headers (the password is one), no debtor data, no agency message texts.
"""
from __future__ import annotations

import uuid as uuid_module
from datetime import date
from decimal import Decimal
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

import requests
import structlog
from requests.adapters import HTTPAdapter

from gateway.domain.model import AccountingSummary, Claim, CourtDunningInstruction
from gateway.service.agency_port import (AgencyAmbiguous, AgencyAuthFailed, AgencyCredentials,
                                         AgencyError, AgencyRejected, AgencyStatus,
                                         CourtDunningAmounts, StatusChangeBatch)
from mappings import mediafinanz_rest as mapping
from mappings.mediafinanz_rest import contract, jsonwire

from .errors import classify_answer, classify_exception

log = structlog.get_logger(__name__)
T = TypeVar("T")
USER_AGENT = "inkasso-gateway (mediafinanz-rest)"


class MediafinanzRestAgency:
    """AgencyPort for mediafinanz's REST API v2.1.

    base_url   https://api.mediafinanz.de (production) or https://test.api.mediafinanz.de
               (test), or a simulator's URL; the /v2.1/... paths are appended
    timeout_s  connect and read timeout of every call
    pool_size  connections kept per host (32 concurrent callers never wait for one)

    Credentials: AgencyCredentials(client_id=<client UUID>, client_key=<password>,
    user=<user>). There is no installation secret. Sandbox credentials are refused
    against the production host (the REST API has no sandbox flag; test accounts live
    on the test host).
    """

    name = "mediafinanz-rest"
    # No changes feed in this API: the sync polls get_status for each open claim.
    has_changes_feed = False

    def __init__(self, base_url: str, timeout_s: float = 10.0, *, pool_size: int = 64):
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the agency base URL must be an http(s) URL")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive: a call must never hang")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._production = parts.hostname == contract.PRODUCTION_HOST
        self.session = requests.Session()
        # Fixed headers, so the bytes on the wire do not depend on the requests version
        # (its User-Agent) or on which compression libraries are installed.
        self.session.headers.clear()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": contract.JSON,
                                     "Accept-Encoding": "gzip, deflate",
                                     "Connection": "keep-alive"})
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"MediafinanzRestAgency({self.base_url!r}, timeout_s={self.timeout_s})"

    def close(self) -> None:
        self.session.close()

    # -- AgencyPort --------------------------------------------------------------
    def submit_claim(self, creds: AgencyCredentials, claim: Claim) -> str:
        """PUT .../collect/claim/new/; returns the agency's 11-digit file number.

        Idempotency rests on the agency: ClientCustomerRefNo is the claim's hand-over
        reference (agency_reference, else the shop's claim id), and a repeated one of the
        same client uuid answers the file number it already gave, creating no second
        claim. So after AgencyAmbiguous resubmitting the same claim is safe and is how the
        caller learns the file number.
        """
        reference = claim.agency_reference or claim.shop_claim_id
        body = _body(lambda: mapping.new_claim_body(claim.content, reference))
        answer = self._call("claim_new", creds, body=body)
        return self._read("claim_new", mapping.file_number_of, answer)

    def get_status(self, creds: AgencyCredentials, file_number: str) -> AgencyStatus:
        number = _file_number(file_number)
        answer = self._call("claim_status", creds, number)
        return self._read("claim_status",
                          lambda a: mapping.status_from_answer(number, a), answer)

    def get_status_changes(self, creds: AgencyCredentials) -> StatusChangeBatch:
        raise AgencyRejected("no changes feed")

    def commit_changes(self, creds: AgencyCredentials, transaction_id: str) -> None:
        raise AgencyRejected("no changes feed")

    def get_accounting(self, creds: AgencyCredentials, file_number: str) -> AccountingSummary:
        answer = self._call("claim_accounting", creds, _file_number(file_number))
        return self._read("claim_accounting", mapping.accounting_summary, answer)

    def close_claim(self, creds: AgencyCredentials, file_number: str) -> None:
        self._call("claim_close", creds, _file_number(file_number))

    def book_direct_payment(self, creds: AgencyCredentials, file_number: str,
                            paid_on: date, amount: Decimal) -> None:
        self._call("claim_payment", creds, _file_number(file_number),
                   body=_body(lambda: mapping.payment_body(paid_on, amount)))

    def hand_over_to_lawyer(self, creds: AgencyCredentials, file_number: str,
                            instruction: CourtDunningInstruction,
                            amounts: CourtDunningAmounts) -> None:
        self._call("claim_lawyer", creds, _file_number(file_number),
                   body=_body(lambda: mapping.lawyer_body(instruction, amounts)))

    def check_credentials(self, creds: AgencyCredentials) -> None:
        """GET .../account/: a cheap call that only needs valid credentials."""
        self._call("account", creds)

    # -- internals ---------------------------------------------------------------
    def _headers(self, creds: AgencyCredentials) -> dict[str, str]:
        if creds.sandbox and self._production:
            raise AgencyAuthFailed("sandbox credentials against the production API: use "
                                   f"{contract.TEST_URL} for test accounts")
        client_uuid = (creds.client_id or "").strip()
        try:
            uuid_module.UUID(client_uuid)
        except ValueError:
            raise AgencyAuthFailed("the agency client id must be the client UUID") from None
        if not creds.user:
            raise AgencyAuthFailed("the REST API needs a user name (AgencyCredentials.user)")
        headers = {contract.HEADER_UUID: client_uuid, contract.HEADER_USER: creds.user,
                   contract.HEADER_PASSWORD: creds.client_key or ""}
        for value in headers.values():
            if "\r" in value or "\n" in value or not _latin1(value):
                raise AgencyAuthFailed("the agency credentials cannot be sent as HTTP headers")
        return headers

    def _call(self, operation: str, creds: AgencyCredentials, file_number: str | None = None,
              *, body: Any = None) -> Any:
        """One HTTP exchange; the answer's JSON (Decimal numbers), or None for an empty body."""
        route = contract.ROUTES[operation]
        try:
            headers = self._headers(creds)
            data = None
            if body is not None:
                data = jsonwire.dumps(body)
                headers["Content-Type"] = contract.JSON
            response = self.session.request(
                route.method, self.base_url + route.path(file_number), data=data,
                headers=headers, timeout=(self.timeout_s, self.timeout_s),
                allow_redirects=False)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one AgencyError
            raise self._failed(operation, file_number, classify_exception(operation, exc),
                               None) from exc
        status = response.status_code
        if not 200 <= status < 300:
            raise self._failed(operation, file_number,
                               classify_answer(operation, status, response.content), status)
        content = response.content
        if not content.strip():
            return None
        try:
            return jsonwire.loads(content)
        except ValueError:
            # Processed, but the answer is unreadable: whatever it did may have happened.
            raise self._failed(operation, file_number, AgencyAmbiguous(
                f"unreadable answer to {operation} (HTTP {status})"), status) from None

    def _read(self, operation: str, read: Callable[[Any], T], answer: Any) -> T:
        """Map an answer; one that does not fit the operation is ambiguous (it was processed)."""
        try:
            return read(answer)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            raise self._failed(operation, None, AgencyAmbiguous(
                f"the answer to {operation} does not fit the API"), None) from None

    def _failed(self, operation: str, file_number: str | None, error: AgencyError,
                status: int | None) -> AgencyError:
        if isinstance(error, AgencyAuthFailed):
            logger = log.error
        elif isinstance(error, AgencyRejected):
            logger = log.info
        else:
            logger = log.warning
        logger("agency_call", agency=self.name, operation=operation, file_number=file_number,
               http_status=status, outcome=type(error).__name__, reasons=len(error.reasons),
               error=str(error))
        return error


def _body(build: Callable[[], Any]) -> Any:
    """A request body from the mapping; one it cannot build (an amount with more than two
    decimals, an unknown code) is refused unsent: sending it again cannot help."""
    try:
        return build()
    except (KeyError, TypeError, ValueError) as exc:
        raise AgencyRejected(f"the request does not fit the agency's API "
                             f"({type(exc).__name__})") from None


def _file_number(value: str) -> str:
    """The Aktenzeichen as it goes into the path: exactly 11 digits, else refused unsent."""
    number = str(value).strip()
    if not contract.FILE_NUMBER.fullmatch(number):
        raise AgencyRejected("not an 11-digit agency file number")
    return number


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
