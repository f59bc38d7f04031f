"""The facade's SOAP faults: codes, WSDL declarations, and envelopes written without Spyne.

Every fault has a machine-readable faultcode (Client.ValidationError, ...) and a
faultstring a person can act on. Faults are declared per operation in the WSDL
(Spyne `_throws`); the middleware answers the faults that arise before Spyne runs
(size, DOCTYPE, malformed XML, authentication, schema) with the same envelope.
SOAP 1.1 (and WS-I BP R1126) answer faults with HTTP 500.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from lxml import etree
from spyne import Fault

from gateway.domain.errors import FieldError

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


def _detail(tag: str, items: Iterable[tuple[str, Sequence[tuple[str, str]]]]) -> etree._Element:
    """<tns:TAG><tns:child><tns:k>v</tns:k>...</tns:child>...</tns:TAG> for a fault's detail."""
    root = etree.Element(f"{{{NAMESPACE}}}{tag}", nsmap={"tns": NAMESPACE})
    for child_tag, fields in items:
        child = etree.SubElement(root, f"{{{NAMESPACE}}}{child_tag}")
        for key, value in fields:
            etree.SubElement(child, f"{{{NAMESPACE}}}{key}").text = value
    return root


class ShopFault(Fault):
    """Base of the declared faults; subclasses name their code (CODE) and WSDL type."""

    __namespace__ = NAMESPACE
    CODE_TEXT = INTERNAL

    def __init__(self, message: str, detail: etree._Element | None = None):
        super().__init__(faultcode=self.CODE_TEXT, faultstring=message, detail=detail)


class ValidationErrorFault(ShopFault):
    __type_name__ = "ValidationError"
    CODE_TEXT = VALIDATION

    @classmethod
    def of(cls, errors: Sequence[FieldError]) -> "ValidationErrorFault":
        return cls(validation_message(errors), validation_detail(errors))


class AuthenticationFailedFault(ShopFault):
    __type_name__ = "AuthenticationFailed"
    CODE_TEXT = AUTHENTICATION


class NotFoundFault(ShopFault):
    __type_name__ = "NotFound"
    CODE_TEXT = NOT_FOUND


class ConflictFault(ShopFault):
    __type_name__ = "Conflict"
    CODE_TEXT = CONFLICT


class DunningRefusedFault(ShopFault):
    __type_name__ = "DunningRefused"
    CODE_TEXT = DUNNING_REFUSED


class RequestTooLargeFault(ShopFault):
    __type_name__ = "RequestTooLarge"
    CODE_TEXT = TOO_LARGE


class MalformedRequestFault(ShopFault):
    __type_name__ = "MalformedRequest"
    CODE_TEXT = MALFORMED


class UnavailableFault(ShopFault):
    __type_name__ = "Unavailable"
    CODE_TEXT = UNAVAILABLE


# Declared on every operation: what any call can answer.
COMMON = [AuthenticationFailedFault, ValidationErrorFault, RequestTooLargeFault,
          MalformedRequestFault, UnavailableFault]


def validation_message(errors: Sequence[FieldError]) -> str:
    return "invalid request: " + "; ".join(str(e) for e in errors)


def validation_detail(errors: Sequence[FieldError]) -> etree._Element:
    return _detail("ValidationError",
                   (("fieldError", (("path", e.path), ("message", e.message))) for e in errors))


def refusal_detail(reasons: Iterable[tuple[str, str]]) -> etree._Element:
    return _detail("DunningRefused",
                   (("reason", (("code", code), ("message", message))) for code, message in reasons))


def envelope(code: str, message: str, detail: etree._Element | None = None) -> bytes:
    """A SOAP 1.1 fault envelope, the same shape Spyne writes."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap11env": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soap11env:{code}"
    etree.SubElement(fault, "faultstring").text = message
    if detail is not None:
        etree.SubElement(fault, "detail").append(detail)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")
