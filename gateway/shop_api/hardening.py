"""Hostile input, refused before Spyne sees it.

- size: the Content-Length is checked before anything is read; a body without one
  (chunked) is read to at most limit + 1 bytes. SubmitClaims gets the larger limit;
  which operation a body holds is read from its first bytes, and checked again after
  parsing.
- DTDs: SOAP 1.1 forbids them; any DOCTYPE is refused (Spyne would answer a bare 500).
- parsing: lxml without network, entity resolution, DTD loading or huge trees.
- shape: a SOAP 1.1 Envelope whose Body holds one element of our namespace naming a
  known operation.
- schema: the operation element is validated against the contract's XSD, and every
  error is reported by its field path (claim.debtor.postcode).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Iterable

from lxml import etree

from gateway.domain.errors import FieldError

from .types import NAMESPACE

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
BATCH_OPERATION = "SubmitClaims"
_PREFIX_BYTES = 8192
_OPERATION = re.compile(rb"<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([A-Za-z]\w*)")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


class Refused(Exception):
    """A request refused before Spyne: fault code, message, optional field errors."""

    def __init__(self, code: str, message: str, errors: list[FieldError] | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors or []


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_pis=True,
                           collect_ids=False)


_local = threading.local()  # lxml parsers and validators are not shared between threads


def parser() -> etree.XMLParser:
    p = getattr(_local, "parser", None)
    if p is None:
        p = _local.parser = _parser()
    return p


def read_body(environ: dict, max_body: int, max_batch_body: int) -> bytes:
    """The request body, or Refused(RequestTooLarge) without reading past the limit."""
    from .faults import TOO_LARGE

    stream = environ["wsgi.input"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length > max_batch_body:
        raise Refused(TOO_LARGE, _too_large(length, max_batch_body))
    if 0 <= length <= max_body:
        return stream.read(length) if length else b""
    # Large (up to the batch limit) or unknown length: the first bytes tell the operation.
    prefix = stream.read(min(_PREFIX_BYTES, length) if length >= 0 else _PREFIX_BYTES)
    match = _OPERATION.search(prefix)
    batch = bool(match and match.group(1) == BATCH_OPERATION.encode())
    limit = max_batch_body if batch else max_body
    if length > limit:
        raise Refused(TOO_LARGE, _too_large(length, limit))
    if length >= 0:
        rest = stream.read(length - len(prefix))
        return prefix + rest
    rest = stream.read(limit + 1 - len(prefix)) if len(prefix) == _PREFIX_BYTES else b""
    body = prefix + rest
    if len(body) > limit:
        raise Refused(TOO_LARGE, _too_large(None, limit))
    return body


def _too_large(length: int | None, limit: int) -> str:
    size = f" ({length} bytes)" if length is not None else ""
    return (f"request body too large{size}: at most {limit} bytes "
            f"(SubmitClaims may be larger; split big batches)")


@dataclass(frozen=True)
class Request:
    envelope: etree._Element
    operation: str
    element: etree._Element


def parse(body: bytes, operations: Iterable[str], max_body: int) -> Request:
    from .faults import MALFORMED, TOO_LARGE

    if _DOCTYPE.search(body):
        raise Refused(MALFORMED, "DOCTYPE is not allowed in SOAP messages")
    if not body.strip():
        raise Refused(MALFORMED, "empty request body: POST a SOAP 1.1 envelope")
    try:
        root = etree.fromstring(body, parser())
    except etree.XMLSyntaxError as exc:
        # lxml's message names line and column only, never content.
        raise Refused(MALFORMED, f"not well-formed XML: {exc.msg}") from None
    if root.getroottree().docinfo.doctype:  # e.g. a DOCTYPE in another encoding
        raise Refused(MALFORMED, "DOCTYPE is not allowed in SOAP messages")
    if root.tag == f"{{{SOAP12}}}Envelope":
        raise Refused(MALFORMED, "SOAP 1.2 is not supported: send a SOAP 1.1 envelope")
    if root.tag != f"{{{SOAP11}}}Envelope":
        raise Refused(MALFORMED, f"expected a SOAP 1.1 Envelope, got {_name(root)}")
    body_el = root.find(f"{{{SOAP11}}}Body")
    if body_el is None:
        raise Refused(MALFORMED, "the Envelope has no Body")
    children = [c for c in body_el if isinstance(c.tag, str)]
    if len(children) != 1:
        raise Refused(MALFORMED, f"the Body must hold exactly one operation element, "
                      f"got {len(children)}")
    element = children[0]
    qname = etree.QName(element)
    if qname.namespace != NAMESPACE:
        raise Refused(MALFORMED, f"wrong namespace {qname.namespace or '(none)'!r} for "
                      f"{qname.localname}: operations are in {NAMESPACE!r}")
    known = tuple(operations)
    if qname.localname not in known:
        raise Refused(MALFORMED, f"unknown operation {qname.localname!r}; known: "
                      f"{', '.join(known)}")
    if qname.localname != BATCH_OPERATION and len(body) > max_body:
        raise Refused(TOO_LARGE, _too_large(len(body), max_body))
    return Request(root, qname.localname, element)


def _name(el: etree._Element) -> str:
    q = etree.QName(el)
    return f"{{{q.namespace}}}{q.localname}" if q.namespace else q.localname


class Validator:
    """The contract's XSD (from the WSDL's types); one compiled schema per thread."""

    def __init__(self, wsdl: bytes):
        root = etree.fromstring(wsdl, _parser())
        schemas = root.findall(f"{{{WSDL}}}types/{{{XSD}}}schema")
        if len(schemas) != 1:
            raise ValueError("the shop WSDL must hold exactly one schema")
        schema = schemas[0]
        # The WSDL's root declares the prefixes the schema uses (tns:, xs:); keep them.
        self._xsd = etree.tostring(schema)
        self._local = threading.local()
        self._compiling = threading.Lock()
        self._schema()  # compile once now: a broken schema fails at start-up, not per request

    def _schema(self) -> etree.XMLSchema:
        s = getattr(self._local, "schema", None)
        if s is None:
            # libxml2 cannot compile schemas in several threads at once: the first requests
            # of a new process, arriving together, got "Document is not valid XML Schema"
            # or a schema that failed every validation. Compiling is once per thread.
            with self._compiling:
                s = self._local.schema = etree.XMLSchema(etree.fromstring(self._xsd, _parser()))
        return s

    def errors(self, element: etree._Element) -> list[FieldError]:
        schema = self._schema()
        if schema.validate(element):
            return []
        return [FieldError(_path(e.path, e.message), _message(e.message))
                for e in schema.error_log]


_STEP = re.compile(r"^(?:[\w.-]+:)?([\w.-]+)(?:\[(\d+)\])?$")
_ELEMENT = re.compile(r"^Element '(?:\{[^}]*\})?([\w.-]+)'(?:, attribute '[^']*')?: ")
_EXPECTED = re.compile(r"Expected is(?: one of)? \( ?(?:\{[^}]*\})?([\w.-]+)")
_ARRAYS = {"claims", "payouts", "fieldErrors", "changes", "reasons", "warnings", "events",
           "details"}


def _path(xpath: str | None, message: str) -> str:
    """lxml's /tns:SubmitClaim/tns:claim/tns:debtor/tns:postcode -> claim.debtor.postcode.

    The operation wrapper is dropped; an array's items become claims[2] (0-based).
    A missing element is named by what the schema expected next.
    """
    steps = []
    parts = [p for p in (xpath or "").split("/") if p][1:]  # drop the operation element
    for i, part in enumerate(parts):
        m = _STEP.match(part)
        if not m:
            steps.append(part)
            continue
        name, index = m.group(1), m.group(2)
        parent = parts[i - 1].split(":")[-1].split("[")[0] if i else ""
        if parent in _ARRAYS:
            steps[-1] = f"{steps[-1]}[{int(index) - 1 if index else 0}]"
            continue
        steps.append(name)
    element = _ELEMENT.match(message or "")
    if "Missing child element" in (message or "") or "is not expected" in (message or ""):
        expected = _EXPECTED.search(message)
        if "is not expected" in message and element and not expected:
            steps.append(element.group(1))
        elif expected:
            if "is not expected" in message and element and steps and steps[-1] == element.group(1):
                steps.pop()
            steps.append(expected.group(1))
    return ".".join(steps) or "(request)"


def _message(message: str) -> str:
    text = _ELEMENT.sub("", message or "").strip()
    text = re.sub(r"\{[^}]*\}", "", text)
    # Never echo the offending value back into logs or faults: it may be debtor data.
    text = re.sub(r"The value '[^']*'", "the value", text)
    text = re.sub(r"'[^']*' is not a valid value", "the value is not a valid value", text)
    return text


BATCH_ERRORS_KEY = "gateway.batch_errors"  # {original index: [FieldError]}
BATCH_INDICES_KEY = "gateway.batch_indices"  # original index of each item left in the batch
_ITEM = re.compile(r"^claims\[(\d+)\](?:\.|$)")


def split_batch(request: Request, errors: list[FieldError],
                extra: dict[str, Any]) -> tuple[bytes, list[FieldError]]:
    """SubmitClaims: drop the items with schema errors; the rest goes on.

    Returns the body to hand to Spyne and the errors that concern the whole request.
    """
    from .faults import VALIDATION
    from .types import MAX_BATCH

    container = request.element.find(f"{{{NAMESPACE}}}claims")
    items = [c for c in container if isinstance(c.tag, str)] if container is not None else []
    if len(items) > MAX_BATCH:
        raise Refused(VALIDATION, f"invalid request: claims: at most {MAX_BATCH} claims per "
                      f"call, got {len(items)}", [FieldError("claims", f"at most {MAX_BATCH} "
                                                             f"claims per call, got {len(items)}")])
    by_item: dict[int, list[FieldError]] = {}
    general = []
    for error in errors:
        match = _ITEM.match(error.path)
        if match and int(match.group(1)) < len(items):
            by_item.setdefault(int(match.group(1)), []).append(error)
        else:
            general.append(error)
    if general or not by_item:
        return etree.tostring(request.envelope), errors
    for index in by_item:
        container.remove(items[index])
    extra[BATCH_ERRORS_KEY] = by_item
    extra[BATCH_INDICES_KEY] = [i for i in range(len(items)) if i not in by_item]
    return etree.tostring(request.envelope), []


def spyne_environ(environ: dict, body: bytes, extra: dict[str, Any]) -> dict:
    import io

    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(body)
    env["CONTENT_LENGTH"] = str(len(body))
    env.update(extra)
    return env
