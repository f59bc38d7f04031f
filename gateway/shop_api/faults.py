"""The facade's SOAP faults: codes, reasons, WSDL declarations, and the one way they are written.

Every fault has a machine-readable faultcode (Client.ValidationError, ...), a faultstring a
person can act on (never a value of the request: it may be debtor data) and a <detail>
whose only child is the element its wsdl:fault message part declares (tns:ValidationError,
tns:Conflict, ...): generated clients (JAX-WS, .NET) map a fault to its typed exception
by that element's name. ValidationError's detail holds a fieldError (path, message) per
offending field, DunningRefused's a reason (code, message) per refusal reason, every
other fault one reason element with a code (REASONS).

Faults are declared per operation in the WSDL (Spyne `_throws`); the middleware answers
the faults that arise before Spyne runs (size, DOCTYPE, malformed XML, authentication,
schema), and FaultWriting answers those Spyne serialises, with the same Fault element.
SOAP 1.1 (and WS-I BP R1126) answer faults with HTTP 500.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from lxml import etree
from spyne import Fault, Unicode

from gateway.domain.errors import FieldError

from . import types as t
from .types import NAMESPACE

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

VALIDATION = "Client.ValidationError"
AUTHENTICATION = "Client.AuthenticationFailed"
NOT_FOUND = "Client.NotFound"
CONFLICT = "Client.Conflict"
DUNNING_REFUSED = "Client.DunningRefused"
TOO_LARGE = "Client.RequestTooLarge"
MALFORMED = "Client.MalformedRequest"
UNAVAILABLE = "Server.Unavailable"
INTERNAL = "Server.InternalError"
CODES = (VALIDATION, AUTHENTICATION, NOT_FOUND, CONFLICT, DUNNING_REFUSED, TOO_LARGE,
         MALFORMED, UNAVAILABLE)

# One message for every authentication failure: never say which part was wrong.
AUTH_MESSAGE = "authentication failed: check the shop id and password (or UsernameToken)"

# The reason codes each fault may carry (xs:string, not an enumeration, so that a code
# added later does not break a generated client). The first is the fault's default.
REASONS = {
    AUTHENTICATION: ("CREDENTIALS_REFUSED",),
    NOT_FOUND: ("CLAIM_NOT_FOUND",),
    CONFLICT: ("SHOP_CLAIM_ID_TAKEN", "STATE_DOES_NOT_ALLOW", "COURT_PROCEDURE_RUNNING"),
    TOO_LARGE: ("BODY_TOO_LARGE",),
    MALFORMED: ("MALFORMED_REQUEST", "DOCTYPE_NOT_ALLOWED", "NOT_WELL_FORMED", "EMPTY_BODY",
                "SOAP12_NOT_SUPPORTED", "NOT_A_SOAP11_ENVELOPE", "NO_BODY",
                "NOT_ONE_OPERATION", "WRONG_NAMESPACE", "UNKNOWN_OPERATION"),
    UNAVAILABLE: ("DATABASE_UNAVAILABLE", "OVERLOADED"),
}


def _reason(code: str) -> type:
    return Unicode.customize(min_occurs=1, nillable=False, doc=(
        "Machine-readable reason; known values: " + ", ".join(REASONS[code])
        + " (more may be added)."))


class ShopFault(Fault):
    """Base of the facade's faults; subclasses name their code (CODE_TEXT), WSDL type and
    declared detail (_type_info). The base itself is the undeclared Server.InternalError."""

    __namespace__ = NAMESPACE
    CODE_TEXT = INTERNAL

    def __init__(self, message: str, reason: str | None = None, *,
                 errors: Sequence[FieldError] = (),
                 findings: Sequence[tuple[str, str]] = ()):
        super().__init__(faultcode=self.CODE_TEXT, faultstring=message,
                         detail=detail(self.CODE_TEXT, reason, errors, findings))
        self.reason = reason or default_reason(self.CODE_TEXT)
        self.field_errors = list(errors)


class ValidationErrorFault(ShopFault):
    __type_name__ = "ValidationError"
    CODE_TEXT = VALIDATION
    _type_info = [("fieldError", t.FieldError.customize(min_occurs=0, max_occurs="unbounded",
                                                        nillable=False))]

    @classmethod
    def of(cls, errors: Sequence[FieldError]) -> "ValidationErrorFault":
        return cls(validation_message(errors), errors=errors)


class AuthenticationFailedFault(ShopFault):
    __type_name__ = "AuthenticationFailed"
    CODE_TEXT = AUTHENTICATION
    _type_info = [("reason", _reason(AUTHENTICATION))]


class NotFoundFault(ShopFault):
    __type_name__ = "NotFound"
    CODE_TEXT = NOT_FOUND
    _type_info = [("reason", _reason(NOT_FOUND))]


class ConflictFault(ShopFault):
    __type_name__ = "Conflict"
    CODE_TEXT = CONFLICT
    _type_info = [("reason", _reason(CONFLICT))]


class DunningRefusedFault(ShopFault):
    __type_name__ = "DunningRefused"
    CODE_TEXT = DUNNING_REFUSED
    _type_info = [("reason", t.Finding.customize(min_occurs=0, max_occurs="unbounded",
                                                 nillable=False))]


class RequestTooLargeFault(ShopFault):
    __type_name__ = "RequestTooLarge"
    CODE_TEXT = TOO_LARGE
    _type_info = [("reason", _reason(TOO_LARGE))]


class MalformedRequestFault(ShopFault):
    __type_name__ = "MalformedRequest"
    CODE_TEXT = MALFORMED
    _type_info = [("reason", _reason(MALFORMED))]


class UnavailableFault(ShopFault):
    __type_name__ = "Unavailable"
    CODE_TEXT = UNAVAILABLE
    _type_info = [("reason", _reason(UNAVAILABLE))]


# Declared on every operation: what any call can answer.
COMMON = [AuthenticationFailedFault, ValidationErrorFault, RequestTooLargeFault,
          MalformedRequestFault, UnavailableFault]
DECLARED = {cls.CODE_TEXT: cls for cls in COMMON + [NotFoundFault, ConflictFault,
                                                    DunningRefusedFault]}


def default_reason(code: str) -> str | None:
    reasons = REASONS.get(code)
    return reasons[0] if reasons else None


def validation_message(errors: Sequence[FieldError]) -> str:
    return "invalid request: " + "; ".join(str(e) for e in errors)


def detail(code: str, reason: str | None = None, errors: Sequence[FieldError] = (),
           findings: Iterable[tuple[str, str]] = ()) -> etree._Element | None:
    """The detail's child for a fault code: exactly the element its WSDL message declares
    (None for a code the WSDL does not declare)."""
    declared = DECLARED.get(code)
    if declared is None:
        return None
    root = etree.Element(f"{{{NAMESPACE}}}{declared.get_type_name()}", nsmap={"tns": NAMESPACE})
    if code == VALIDATION:
        for error in errors:
            _child(root, "fieldError", (("path", error.path), ("message", error.message)))
    elif code == DUNNING_REFUSED:
        for finding_code, message in findings:
            _child(root, "reason", (("code", finding_code), ("message", message)))
    else:
        etree.SubElement(root, f"{{{NAMESPACE}}}reason").text = reason or default_reason(code)
    return root


def _child(parent: etree._Element, tag: str, fields: Iterable[tuple[str, str]]) -> None:
    child = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    for key, value in fields:
        etree.SubElement(child, f"{{{NAMESPACE}}}{key}").text = value


def fault_element(code: str, message: str, detail_child: etree._Element | None,
                  nsmap: dict | None = None) -> etree._Element:
    """<soap11env:Fault> with faultcode, faultstring and (when declared) detail."""
    fault = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap=nsmap)
    etree.SubElement(fault, "faultcode").text = f"soap11env:{code}"
    etree.SubElement(fault, "faultstring").text = message
    if detail_child is not None:
        etree.SubElement(fault, "detail").append(detail_child)
    return fault


def envelope(code: str, message: str, detail_child: etree._Element | None = None) -> bytes:
    """A SOAP 1.1 fault envelope, the same Fault element Spyne's answers carry."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap11env": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    body.append(fault_element(code, message, detail_child))
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


# A Python repr of a string ('...' or "..." with escapes): how the use cases quote the
# values they name, e.g. "claim 'RE-1' was already submitted".
_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\"""")
_CLAIM_QUOTED = re.compile(r"""\b[Cc]laim (?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def without_values(message: str) -> str:
    """A use case's message without the values it quotes (they came with the request)."""
    message = _CLAIM_QUOTED.sub("the claim", message)
    return _QUOTED.sub("(value not repeated)", message)
