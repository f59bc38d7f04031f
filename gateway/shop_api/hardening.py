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
  error is reported by its field path (claim.debtor.postcode), built from the element
  names whatever prefixes the client used, with a message that repeats no value.
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
    """A request refused before Spyne: fault code, message, field errors or a reason code
    (faults.REASONS; the code's default when none is given)."""

    def __init__(self, code: str, message: str, errors: list[FieldError] | None = None,
                 reason: str | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors or []
        self.reason = reason


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
    """The envelope and its operation element. Messages name what is wrong and where,
    never the content (lxml's own messages quote names and bytes of the document)."""
    from .faults import MALFORMED, TOO_LARGE

    def malformed(reason: str, message: str) -> Refused:
        return Refused(MALFORMED, message, reason=reason)

    if _DOCTYPE.search(body):
        raise malformed("DOCTYPE_NOT_ALLOWED", "DOCTYPE is not allowed in SOAP messages")
    if not body.strip():
        raise malformed("EMPTY_BODY", "empty request body: POST a SOAP 1.1 envelope")
    try:
        root = etree.fromstring(body, parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        kind = exc.error_log.last_error.type_name if exc.error_log.last_error else "ERR"
        raise malformed("NOT_WELL_FORMED", f"not well-formed XML ({kind}) at line {line}, "
                        f"column {column}") from None
    if root.getroottree().docinfo.doctype:  # e.g. a DOCTYPE in another encoding
        raise malformed("DOCTYPE_NOT_ALLOWED", "DOCTYPE is not allowed in SOAP messages")
    if root.tag == f"{{{SOAP12}}}Envelope":
        raise malformed("SOAP12_NOT_SUPPORTED",
                        "SOAP 1.2 is not supported: send a SOAP 1.1 envelope")
    if root.tag != f"{{{SOAP11}}}Envelope":
        raise malformed("NOT_A_SOAP11_ENVELOPE", f"expected a SOAP 1.1 Envelope (namespace "
                        f"{SOAP11}), got the element {etree.QName(root).localname!r}")
    body_el = root.find(f"{{{SOAP11}}}Body")
    if body_el is None:
        raise malformed("NO_BODY", "the Envelope has no Body")
    children = [c for c in body_el if isinstance(c.tag, str)]
    if len(children) != 1:
        raise malformed("NOT_ONE_OPERATION", "the Body must hold exactly one operation "
                        f"element, got {len(children)}")
    element = children[0]
    qname = etree.QName(element)
    if qname.namespace != NAMESPACE:
        where = "another namespace" if qname.namespace else "no namespace"
        raise malformed("WRONG_NAMESPACE", f"{qname.localname} is in {where}: operations "
                        f"are in {NAMESPACE!r}")
    known = tuple(operations)
    if qname.localname not in known:
        raise malformed("UNKNOWN_OPERATION", f"unknown operation {qname.localname!r}; "
                        f"known: {', '.join(known)}")
    if qname.localname != BATCH_OPERATION and len(body) > max_body:
        raise Refused(TOO_LARGE, _too_large(len(body), max_body))
    return Request(root, qname.localname, element)


class Validator:
    """The contract's XSD (from the WSDL's types); one compiled schema per thread.

    Errors are named by field path from the element names (claim.debtor.salutation),
    whatever prefixes the client chose (tns:, a default namespace, both); messages are
    the gateway's own, built from the error kind and the schema, never from libxml2's
    text, which quotes the refused value.
    """

    def __init__(self, wsdl: bytes):
        root = etree.fromstring(wsdl, _parser())
        schemas = root.findall(f"{{{WSDL}}}types/{{{XSD}}}schema")
        if len(schemas) != 1:
            raise ValueError("the shop WSDL must hold exactly one schema")
        schema = schemas[0]
        # The WSDL's root declares the prefixes the schema uses (tns:, xs:); keep them.
        self._xsd = etree.tostring(schema)
        self.contract = Contract(schema)
        self._date_tags = [f"{{{NAMESPACE}}}{name}" for name in self.contract.date_elements]
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
        errors = [] if schema.validate(element) else \
            [self._field_error(element, e) for e in schema.error_log]
        refused = {e.path for e in errors}
        errors += [e for e in self._unreadable_dates(element) if e.path not in refused]
        # One line per field and problem, in order; a problem of the operation element
        # itself (text in it, say) has no field path.
        return list(dict.fromkeys(FieldError(e.path or "(request)", e.message)
                                  for e in errors))

    def _path(self, node: etree._Element) -> str:
        return field_path(node, self.contract.array_elements)

    def _unreadable_dates(self, element: etree._Element) -> list[FieldError]:
        """xs:date allows years beyond 9999 and before 1; Python's date (and Spyne) cannot
        hold them: refuse them here, by field, like any schema error."""
        return [FieldError(self._path(el), "must be a date between 0001-01-01 and "
                           "9999-12-31 (YYYY-MM-DD)")
                for el in element.iter(*self._date_tags)
                if not _READABLE_DATE.match(el.text or "")]

    def _field_error(self, root: etree._Element, entry) -> FieldError:
        node = _resolve(root, entry.path)
        if node is None:  # libxml2's path names no element of the request: cannot happen
            return FieldError("(request)", "does not match the contract's schema "
                              f"({entry.type_name})")
        kind, text = entry.type_name, entry.message or ""
        if kind == "SCHEMAV_ELEMENT_CONTENT":
            return self._content_error(node, text)
        if kind in _FACETS or kind.startswith("SCHEMAV_CVC_DATATYPE_VALID"):
            return FieldError(self._path(node), self.contract.describe(
                self.contract.type_of(node), _FACETS.get(kind)))
        if kind == "SCHEMAV_CVC_ELT_3_1":
            return FieldError(self._path(node), "must not be nil (xsi:nil): leave it out")
        if kind.startswith("SCHEMAV_CVC_ELT_4"):
            return FieldError(self._path(node), "has an xsi:type the contract does not allow "
                              "here: leave xsi:type out")
        if kind == "SCHEMAV_CVC_COMPLEX_TYPE_2_3":
            return FieldError(self._path(node), "must hold elements only, not text")
        if "attribute" in kind.lower() or kind.startswith(("SCHEMAV_CVC_TYPE_3_1",
                                                           "SCHEMAV_CVC_COMPLEX_TYPE_3")):
            return FieldError(self._path(node), "has an attribute the contract does not allow")
        return FieldError(self._path(node), f"does not match the contract's schema ({kind})")

    def _content_error(self, node: etree._Element, text: str) -> FieldError:
        """A missing element is named by what the schema expected; an unexpected one by its
        own name, saying whether it is unknown, in the wrong namespace, or out of order."""
        listed = _EXPECTED_LIST.search(text)
        expected = _EXPECTED_NAME.findall(listed.group(1)) if listed else []
        if "Missing child element" in text:
            return FieldError(_join(self._path(node), expected[-1] if expected else "?"),
                              "is required")
        qname = etree.QName(node)
        parent = node.getparent()
        siblings = self.contract.children(self.contract.type_of(parent)) \
            if parent is not None else []
        names = [name for name, _type, _min in siblings]
        hint = f"; expected here: {', '.join(expected)}" if expected else ""
        if qname.namespace != NAMESPACE:
            where = "another namespace" if qname.namespace else "no namespace"
            return FieldError(self._path(node), f"is in {where}: every element of the "
                              f"contract is in {NAMESPACE!r}{hint}")
        if qname.localname not in names:
            path = self._path(node)
            what = f"<{qname.localname}> is" if path.endswith("]") else "is"  # an array item
            return FieldError(path, f"{what} not an element of the contract here{hint}")
        before = [e for e in expected if e in names
                  and names.index(e) < names.index(qname.localname)]
        required = {name for name, _type, minimum in siblings if minimum > 0}
        if before and before == expected and expected[-1] in required:
            # The element is in its place but one before it is missing.
            return FieldError(_join(self._path(parent), expected[-1]), "is required")
        return FieldError(self._path(node), f"is out of order or repeated{hint}")


class Contract:
    """What the validator needs to know of the XSD: each complex type's elements in order,
    each simple type's base and facets, which elements are arrays and which are dates."""

    def __init__(self, schema: etree._Element):
        def ref(value: str) -> str:
            prefix, _, local = value.rpartition(":")
            return f"xs:{local}" if schema.nsmap.get(prefix or None) == XSD else local

        self.elements = {el.get("name"): ref(el.get("type"))
                         for el in schema.findall(f"{{{XSD}}}element")}
        self.complex: dict[str, list[tuple[str, str, int]]] = {}
        self._unbounded: dict[str, bool] = {}
        for ct in schema.findall(f"{{{XSD}}}complexType"):
            members = ct.findall(f"{{{XSD}}}sequence/{{{XSD}}}element")
            self.complex[ct.get("name")] = [(m.get("name"), ref(m.get("type")),
                                             int(m.get("minOccurs", "1"))) for m in members]
            self._unbounded[ct.get("name")] = (len(members) == 1 and
                                               members[0].get("maxOccurs") == "unbounded")
        self.simple: dict[str, dict] = {}
        for st in schema.findall(f"{{{XSD}}}simpleType"):
            restriction = st.find(f"{{{XSD}}}restriction")
            self.simple[st.get("name")] = {
                "base": ref(restriction.get("base")),
                "values": [e.get("value") for e in restriction.findall(f"{{{XSD}}}enumeration")],
                **{etree.QName(f).localname: f.get("value") for f in restriction
                   if etree.QName(f).localname in ("fractionDigits", "totalDigits")}}
        members = [m for ms in self.complex.values() for m in ms]
        self.array_elements = {name for name, type_, _ in members if self._unbounded.get(type_)}
        dates = {name for name, type_, _ in members if self.base(type_) == "xs:date"}
        others = {name for name, type_, _ in members if self.base(type_) != "xs:date"}
        self.date_elements = sorted(dates - others)  # a name used both ways is Spyne's to check

    def base(self, type_: str | None) -> str | None:
        """The built-in type a simple type restricts (xs:date, xs:decimal, ...)."""
        for _ in range(10):  # restrictions of restrictions; the contract has no cycles
            if type_ not in self.simple:
                break
            type_ = self.simple[type_]["base"]
        return type_

    def children(self, type_: str | None) -> list[tuple[str, str, int]]:
        return self.complex.get(type_ or "", [])

    def type_of(self, node: etree._Element | None) -> str | None:
        """The declared type of a request element, walking down from the operation."""
        chain = []
        while node is not None and node.tag != f"{{{SOAP11}}}Body":
            chain.append(etree.QName(node).localname)
            node = node.getparent()
        if not chain:
            return None
        type_ = self.elements.get(chain.pop())
        for name in reversed(chain):
            type_ = next((t for n, t, _ in self.children(type_) if n == name), None)
        return type_

    def describe(self, type_: str | None, facet: str | None = None) -> str:
        """What a value of the type must look like (the refused value is never repeated)."""
        info = self.simple.get(type_ or "", {})
        if info.get("values"):
            return "must be one of " + ", ".join(info["values"])
        if facet in info:
            what = "decimal places" if facet == "fractionDigits" else "digits"
            return f"must have at most {info[facet]} {what}"
        return _KINDS.get(self.base(type_) or "", "is not a valid value for this field")


_FACETS = {"SCHEMAV_CVC_ENUMERATION_VALID": "enumeration",
           "SCHEMAV_CVC_FRACTIONDIGITS_VALID": "fractionDigits",
           "SCHEMAV_CVC_TOTALDIGITS_VALID": "totalDigits"}
_KINDS = {"xs:date": "must be a date (YYYY-MM-DD)",
          "xs:dateTime": "must be a date and time (YYYY-MM-DDThh:mm:ss)",
          "xs:decimal": "must be a decimal number such as 149.90",
          "xs:integer": "must be a whole number", "xs:long": "must be a whole number",
          "xs:int": "must be a whole number", "xs:boolean": "must be true or false"}
_EXPECTED_LIST = re.compile(r"Expected is(?: one of)? \(([^()]*)\)")
_EXPECTED_NAME = re.compile(r"(?:\{[^}]*\})?([A-Za-z_][\w.-]*)")
# What Python's date (and so Spyne) reads: a four-digit year, optionally a time zone.
_READABLE_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}(?:Z|[+-]\d{2}:\d{2})?\s*$")
_STEP = re.compile(r"^(?:([^:\[\]]+):)?([^:\[\]]+)(?:\[(\d+)\])?$")


def _resolve(root: etree._Element, xpath: str | None) -> etree._Element | None:
    """The element libxml2's path names. An element in a default namespace has no prefix
    in XPath 1.0: libxml2 writes it as *[n], the n-th element child."""
    steps = [s for s in (xpath or "").split("/") if s]
    if not steps:
        return None
    node = root
    for step in steps[1:]:  # the first step is the validated element itself
        match = _STEP.match(step)
        if match is None:
            return None
        prefix, name, index = match.group(1), match.group(2), int(match.group(3) or 1)
        children = [c for c in node if isinstance(c.tag, str)]
        if name != "*":
            children = [c for c in children if etree.QName(c).localname == name
                        and c.prefix == prefix]
        if len(children) < index:
            return None
        node = children[index - 1]
    return node


def field_path(node: etree._Element, arrays: frozenset[str] | set[str]) -> str:
    """claim.debtor.postcode for an element of a request: local names from below the
    operation element down, whatever the prefixes; the items of an array element (one
    of `arrays`) become claims[2] (0-based)."""
    chain = []
    while node is not None:
        parent = node.getparent()
        if parent is None or parent.tag == f"{{{SOAP11}}}Body":
            break  # the operation element is not part of a field's path
        chain.append(node)
        node = parent
    steps: list[str] = []
    for el in reversed(chain):
        parent = el.getparent()
        if steps and etree.QName(parent).localname in arrays:
            items = [c for c in parent if isinstance(c.tag, str)]
            steps[-1] = f"{steps[-1]}[{items.index(el)}]"
        else:
            steps.append(etree.QName(el).localname)
    return ".".join(steps)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


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
