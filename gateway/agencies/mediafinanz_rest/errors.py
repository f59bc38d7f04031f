"""How a failed REST call becomes one of the port's errors (the SOAP adapter's rules, over HTTP).

  2xx, readable JSON                   -> the answer
  2xx, unreadable or not what the
  operation answers                    -> AgencyAmbiguous (processed; the outcome is unknown)
  401, 403                             -> AgencyAuthFailed
  400, 422                             -> AgencyRejected (the agency's messages as reasons)
  other 4xx WITH the agency's error
  body (404 unknown file number, 409
  not allowed in the claim's status)   -> AgencyRejected
  anything else: 5xx, 429, 3xx, a 4xx
  without the agency's error body (a
  proxy's 404 while it redeploys)      -> AgencyTransient (nothing took effect)
  refused, DNS, connect timeout        -> AgencyTransient  (gateway.agencies.http_errors)
  sent but no (complete) answer: read
  timeout, connection dropped          -> AgencyAmbiguous  (gateway.agencies.http_errors)

Messages name the HTTP status and the operation only: the agency's own texts may quote
debtor data (a postcode, a name), so they go into `reasons`, which reach the claim but
never a log line.
"""
from __future__ import annotations

from gateway.agencies.http_errors import classify_transport
from gateway.service.agency_port import (AgencyAuthFailed, AgencyError, AgencyRejected,
                                         AgencyTransient)
from mappings.mediafinanz_rest import error_reasons, jsonwire


def classify_answer(operation: str, status: int, content: bytes) -> AgencyError:
    """A non-2xx answer -> the port's error for it."""
    reasons = _reasons(content)
    if status in (401, 403):
        return AgencyAuthFailed(f"the agency refused the credentials ({operation}: HTTP {status})")
    if status in (400, 422):
        return AgencyRejected(f"the agency refused {operation} (HTTP {status})",
                              reasons or (f"HTTP {status} without a reason",))
    if 400 <= status < 500 and reasons and status not in (408, 429):
        return AgencyRejected(f"the agency refused {operation} (HTTP {status})", reasons)
    return AgencyTransient(f"HTTP {status} from the agency ({operation})")


def classify_exception(operation: str, exc: BaseException) -> AgencyError:
    """An exception of the HTTP call -> the port's error for it."""
    return classify_transport(exc, operation)


def _reasons(content: bytes) -> tuple[str, ...]:
    try:
        return error_reasons(jsonwire.loads(content)) if content.strip() else ()
    except ValueError:  # not JSON (a proxy's HTML page): no agency error body
        return ()
