"""The mediafinanz-style agency behind gateway.service.agency_port.AgencyPort, over zeep.

One MediafinanzAgency per process (or per configured endpoint): it parses the WSDL
once and is safe to use from many threads at once. zeep's Client and service proxy
keep no per-call state; the only shared mutable thing is the requests.Session, whose
urllib3 connection pool is thread-safe. The pool holds `pool_size` (default 64)
connections per host so 32 concurrent callers never wait for, or throw away, one.

Outcome of every call (see classify()):
  answer                              -> returned
  newClaim errorList / Client fault   -> AgencyRejected (reasons kept)
  Client.AuthenticationFailed fault   -> AgencyAuthFailed
  refused, connect timeout, HTTP 5xx,
  Server fault (nothing took effect)  -> AgencyTransient
  sent but no (complete) answer: read
  timeout, connection dropped, garbled
  answer                              -> AgencyAmbiguous
Logs name the operation, file number and outcome only: no envelopes, keys or debtor data.
"""
from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import requests
import structlog
import zeep
from requests.adapters import HTTPAdapter
from zeep.exceptions import Fault, TransportError, ValidationError
from zeep.helpers import serialize_object
from zeep.transports import Transport

from gateway.agencies.http_errors import classify_transport
from gateway.domain.model import AccountingSummary, Claim, CourtDunningInstruction
from gateway.domain.money import eur
from gateway.service.agency_port import (AgencyAmbiguous, AgencyAuthFailed, AgencyCredentials,
                                         AgencyError, AgencyRejected, AgencyStatus,
                                         AgencyTransient, ClaimOptions, CourtDunningAmounts,
                                         JournalEntry, StatusChangeBatch)
from mappings import mediafinanz as mapping
from mappings.mediafinanz import contract
from mappings.mediafinanz.contract import licence_key

log = structlog.get_logger(__name__)


class _NoEnvelopes(logging.Filter):
    """zeep.transports logs whole envelopes (licence key, debtor data) at DEBUG: never let
    them through, even if someone lowers the logger's level later."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def silence_zeep_transport_logging() -> None:
    logger = logging.getLogger("zeep.transports")
    logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _NoEnvelopes) for f in logger.filters):
        logger.addFilter(_NoEnvelopes())


silence_zeep_transport_logging()


def default_wsdl() -> resources.abc.Traversable:
    package, name = contract.WSDL_RESOURCE
    return resources.files(package).joinpath(name)


class MediafinanzAgency:
    """AgencyPort for the mediafinanz-style SOAP service.

    endpoint_url     the SOAP endpoint (from configuration; the WSDL's address is ignored)
    application_key  this installation's application licence key
    timeout_s        connect and read timeout of every call (zeep's operation_timeout)
    wsdl_path        another WSDL file (the agency's real one); default: the packaged contract
    strict           zeep's strict XML schema handling; the real WSDL may need False
    """

    name = "mediafinanz"
    has_changes_feed = True

    def __init__(self, endpoint_url: str, application_key: str, timeout_s: float = 10.0,
                 wsdl_path: str | Path | None = None, *, strict: bool = True,
                 pool_size: int = 64):
        if not endpoint_url:
            raise ValueError("the agency endpoint URL is required")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive: a call must never hang")
        silence_zeep_transport_logging()
        self.endpoint_url = endpoint_url
        self.timeout_s = timeout_s
        self._application_key = application_key
        self.session = requests.Session()
        # max_retries=0: retrying is the dispatcher's decision, made from the error type.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        transport = Transport(session=self.session, timeout=timeout_s,
                              operation_timeout=timeout_s)
        settings = zeep.Settings(strict=strict, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True, xml_huge_tree=False)
        if wsdl_path is not None:
            self._client = zeep.Client(str(wsdl_path), transport=transport, settings=settings)
        else:
            with resources.as_file(default_wsdl()) as path:
                self._client = zeep.Client(str(path), transport=transport, settings=settings)
        self._service = self._client.create_service(contract.BINDING_QNAME, endpoint_url)

    def __repr__(self) -> str:
        return f"MediafinanzAgency({self.endpoint_url!r}, timeout_s={self.timeout_s})"

    def close(self) -> None:
        self.session.close()

    # -- AgencyPort --------------------------------------------------------------
    def submit_claim(self, creds: AgencyCredentials, claim: Claim) -> str:
        """newClaim; returns the agency's 11-digit file number.

        Idempotency rests on the agency: a repeated invoice (the claim's agency
        reference) of the same clientId answers the file number it already gave, and
        creates no second claim. So after AgencyAmbiguous (request sent, no answer; the
        claim may exist) resubmitting the same claim is safe and is how the caller
        learns the file number. This holds for shops sharing a client id too: the
        reference is unique per account (see gateway.domain.agency).
        """
        claim_args, debtor_args = mapping.new_claim_arguments(claim.content,
                                                              claim.agency_reference)
        result = self._call("newClaim", creds, claim_args, debtor_args)
        errors = [str(e) for e in (result.get("errorList") or [])]
        if errors:
            log.info("agency_call", agency=self.name, operation="newClaim", outcome="rejected",
                     reasons=len(errors))
            raise AgencyRejected("the agency refused the claim", errors)
        number = result.get("fileNumber")
        if not number:
            # An answer without file number or errors breaks the contract; the claim may exist.
            raise AgencyAmbiguous("newClaim answered neither a file number nor errors")
        return str(number)

    def get_status(self, creds: AgencyCredentials, file_number: str) -> AgencyStatus:
        answer = self._call("getClaimStatus", creds, _file(file_number))
        return mapping.status_from_answer(file_number, answer)

    def get_status_changes(self, creds: AgencyCredentials) -> StatusChangeBatch:
        return mapping.status_changes(self._call("getClaimStatusChanges", creds))

    def commit_changes(self, creds: AgencyCredentials, transaction_id: str) -> None:
        if not self._call("commitTransaction", creds, transaction_id):
            raise AgencyRejected(f"the agency does not know transaction {transaction_id}")

    def get_accounting(self, creds: AgencyCredentials, file_number: str) -> AccountingSummary:
        return mapping.accounting_summary(
            self._call("getClaimAccountingSummary", creds, _file(file_number)))

    def get_history(self, creds: AgencyCredentials, file_number: str) -> list[JournalEntry]:
        return mapping.journal(self._call("getClaimHistory", creds, _file(file_number)))

    def get_options(self, creds: AgencyCredentials, file_number: str) -> ClaimOptions:
        return mapping.claim_options(self._call("getClaimOptions", creds, _file(file_number)))

    def close_claim(self, creds: AgencyCredentials, file_number: str) -> None:
        if not self._call("closeClaim", creds, _file(file_number)):
            raise AgencyRejected("the agency did not close the claim")

    def book_direct_payment(self, creds: AgencyCredentials, file_number: str,
                            paid_on: date, amount: Decimal) -> None:
        payment = {"dateOfPayment": paid_on, "paidAmount": eur(amount)}
        if not self._call("bookDirectPayment", creds, _file(file_number), payment):
            raise AgencyRejected("the agency did not book the direct payment")

    def hand_over_to_lawyer(self, creds: AgencyCredentials, file_number: str,
                            instruction: CourtDunningInstruction,
                            amounts: CourtDunningAmounts) -> None:
        code = contract.LAWYER_INSTRUCTIONS[instruction]
        if not self._call(contract.LAWYER_OPERATION, creds, _file(file_number), code,
                          mapping.amounts_argument(amounts)):
            raise AgencyRejected("the agency did not take the lawyer hand-over")

    def check_credentials(self, creds: AgencyCredentials) -> None:
        """getPayoutList, the cheap call shop plugins use to test credentials."""
        self._call("getPayoutList", creds)

    def payouts(self, creds: AgencyCredentials):
        """All payouts of the creditor (getPayoutList), oldest first."""
        return mapping.payouts(self._call("getPayoutList", creds))

    # -- internals ---------------------------------------------------------------
    def _auth(self, creds: AgencyCredentials) -> dict[str, Any]:
        try:
            client_id = int(creds.client_id)
        except (TypeError, ValueError):
            raise AgencyAuthFailed("the agency client id must be a number") from None
        return {"clientId": client_id,
                "licenceKey": licence_key(self._application_key, creds.client_key),
                "sandbox": bool(creds.sandbox)}

    def _call(self, operation: str, creds: AgencyCredentials, *args: Any) -> Any:
        method: Callable[..., Any] = getattr(self._service, operation)
        try:
            answer = method(self._auth(creds), *args)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one AgencyError
            error = classify(exc)
            logger = log.error if isinstance(error, AgencyAuthFailed) else log.warning
            logger("agency_call", agency=self.name, operation=operation,
                   outcome=type(error).__name__, error=str(error))
            raise error from exc
        return serialize_object(answer, dict)


def _file(file_number: str) -> dict[str, str]:
    return {"fileNumber": str(file_number)}


def classify(exc: BaseException) -> AgencyError:
    """An exception from a zeep call -> the port's error for it."""
    if isinstance(exc, Fault):
        code = (exc.code or "").rpartition(":")[2] if exc.code else ""
        message = exc.message or code or "SOAP fault"
        if code == contract.FAULT_AUTH:
            return AgencyAuthFailed(f"the agency refused the credentials: {message}")
        if code.startswith("Server"):
            return AgencyTransient(f"agency server fault {code}: {message}")
        return AgencyRejected(f"agency fault {code}: {message}", (message,))
    if isinstance(exc, TransportError):
        status = exc.status_code or 0
        if 200 <= status < 300:
            # Processed, but the answer is unreadable: whatever it did may have happened.
            return AgencyAmbiguous(f"unreadable answer (HTTP {status}) from the agency")
        if status in (401, 403):
            return AgencyAuthFailed(f"HTTP {status} from the agency endpoint")
        # 5xx, 429 and unexpected codes (a proxy's 404 while the agency redeploys):
        # nothing took effect, so retrying is safe; too many make the row dead.
        return AgencyTransient(f"HTTP {status} from the agency")
    if isinstance(exc, ValidationError):
        # zeep refused to build the request: nothing was sent and sending again cannot help.
        return AgencyRejected(f"the request does not fit the agency's contract: {exc}")
    # No answer came: where the call broke decides (zeep's other errors come after sending).
    return classify_transport(exc, after_sending=(zeep.exceptions.Error,))
