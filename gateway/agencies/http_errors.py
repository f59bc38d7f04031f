"""How an HTTP call to an agency that got no answer becomes one of the port's errors, for
every adapter over requests (SOAP through zeep, REST):

  refused, DNS, connect timeout        -> AgencyTransient (nothing was sent)
  read timeout, connection dropped or
  any other failure after sending      -> AgencyAmbiguous (the request may have arrived)

An agency's answers (SOAP faults, HTTP status codes and bodies) are each adapter's own.
"""
from __future__ import annotations

from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from gateway.service.agency_port import AgencyAmbiguous, AgencyError, AgencyTransient


def classify_transport(exc: BaseException, operation: str | None = None, *,
                       after_sending: tuple[type[BaseException], ...] = ()) -> AgencyError:
    """An exception of the call -> the port's error for it; an AgencyError passes as it is.

    operation, when given, is named in the message. after_sending: the adapter's own
    exception types that mean the request went out (zeep's errors for the SOAP adapter).
    """
    if isinstance(exc, AgencyError):
        return exc
    named = f" ({operation})" if operation else ""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return AgencyTransient(f"connecting to the agency timed out{named}")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        answer = f"answer {operation}" if operation else "answer"
        return AgencyAmbiguous(f"the agency did not {answer} in time; the request may have "
                               "arrived")
    if isinstance(exc, requests.exceptions.ConnectionError) and before_sending(exc):
        return AgencyTransient(f"cannot connect to the agency{named}")
    if isinstance(exc, (requests.exceptions.RequestException, *after_sending)):
        return AgencyAmbiguous(f"the connection failed after {operation or 'the request'} "
                               f"was sent ({type(exc).__name__})")
    return AgencyAmbiguous(f"unexpected failure of {operation or 'an agency call'} "
                           f"({type(exc).__name__})")


def before_sending(exc: BaseException) -> bool:
    """True when the failure happened while connecting (refused, DNS, connect timeout)."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (NewConnectionError, ConnectTimeoutError)):
            return True
        todo.extend([getattr(current, "reason", None), getattr(current, "__cause__", None),
                     getattr(current, "__context__", None)])
        todo.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
    return False
