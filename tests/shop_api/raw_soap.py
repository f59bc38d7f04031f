"""Hand-written SOAP requests in the prefix styles real clients use, and their answers read
with lxml: zeep writes `ns0:` prefixes; node-soap, JAX-WS and .NET put the namespace on the
operation element (a default namespace, unprefixed children); some mix both."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

from lxml import etree

NS = "urn:inkasso-gateway:shop:v1"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
STYLES = ("prefixed", "default", "mixed")

Fields = list  # [(name, text | Fields | None)], in the contract's order
DEBTOR_ORDER = ("customerId", "kind", "salutation", "firstName", "lastName", "company",
                "legalForm", "careOf", "street", "houseNumber", "postcode", "city", "country",
                "email", "phone", "mobile", "dateOfBirth")


def claim_fields(shop_claim_id: str, today: date, **changes) -> Fields:
    """A valid claim; changes replace a field's text (None leaves the field out) or, for
    `debtor`, a dict of the debtor's fields."""
    debtor = {"kind": "PERSON", "salutation": "MS", "firstName": "Jürgen",
              "lastName": "Müller-Lüdenscheidt", "street": "Große Straße", "houseNumber": "12a",
              "postcode": "80331", "city": "München", "country": "DE",
              "email": "j.mueller@example.de", "phone": "+49 89 1234567",
              "dateOfBirth": "1980-02-29"}
    debtor.update(changes.pop("debtor", {}))
    debtor = {k: debtor[k] for k in DEBTOR_ORDER if k in debtor}  # the contract's order
    claim = {"shopClaimId": shop_claim_id, "claimType": "GOODS_SOLD", "reason": "Wanderschuhe",
             "principal": "149.90", "dunningFees": "5.00", "currency": "EUR",
             "dateOfOrigin": (today - timedelta(days=60)).isoformat(),
             "dueDate": (today - timedelta(days=46)).isoformat(),
             "dateOfLastReminder": (today - timedelta(days=20)).isoformat(),
             "note": "reagiert nicht", "counterPerformanceRendered": "true"}
    claim.update(changes)
    return [(k, v) for k, v in claim.items() if v is not None] + \
        [("debtor", [(k, v) for k, v in debtor.items() if v is not None])]


def _xml(fields: Fields, style: str, depth: int) -> str:
    prefix = "t:" if style == "prefixed" or (style == "mixed" and depth % 2 == 0) else ""
    out = []
    for name, value in fields:
        inner = _xml(value, style, depth + 1) if isinstance(value, list) else escape(value)
        out.append(f"<{prefix}{name}>{inner}</{prefix}{name}>")
    return "".join(out)


def request(operation: str, fields: Fields, style: str = "prefixed") -> bytes:
    """An envelope for `operation` in one of STYLES."""
    if style == "prefixed":
        op_open, op_close = f"<t:{operation}>", f"</t:{operation}>"
    elif style == "default":
        op_open, op_close = f'<{operation} xmlns="{NS}">', f"</{operation}>"
    else:  # mixed: prefixed operation, a default namespace too, prefixes alternate
        op_open, op_close = f'<t:{operation} xmlns="{NS}">', f"</t:{operation}>"
    return (f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{ENV}" '
            f'xmlns:t="{NS}" xmlns:xsi="{XSI}"><soap:Body>{op_open}'
            f"{_xml(fields, style, 1)}{op_close}</soap:Body></soap:Envelope>").encode()


@dataclass
class Fault:
    code: str
    message: str
    detail: etree._Element | None  # the detail's one child element
    fields: dict  # path -> message (ValidationError)
    reason: str | None


def fault(body: bytes) -> Fault:
    root = etree.fromstring(body)
    el = root.find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    assert el is not None, body[:500]
    detail = el.find("detail")
    children = [c for c in detail if isinstance(c.tag, str)] if detail is not None else []
    assert len(children) <= 1, body[:500]
    child = children[0] if children else None
    fields = {}
    reason = None
    if child is not None:
        fields = {fe.findtext(f"{{{NS}}}path"): fe.findtext(f"{{{NS}}}message")
                  for fe in child.iter(f"{{{NS}}}fieldError")}
        reason = child.findtext(f"{{{NS}}}reason")
    return Fault(el.findtext("faultcode").split(":")[-1], el.findtext("faultstring"), child,
                 fields, reason)


def results(body: bytes) -> list[dict]:
    """SubmitClaims' results: index, created (or None) and the item error's field paths."""
    root = etree.fromstring(body)
    out = []
    for r in root.iter(f"{{{NS}}}result"):
        created = r.findtext(f"{{{NS}}}receipt/{{{NS}}}created")
        out.append({"index": int(r.findtext(f"{{{NS}}}index")),
                    "created": None if created is None else created == "true",
                    "code": r.findtext(f"{{{NS}}}error/{{{NS}}}code"),
                    "fields": {fe.findtext(f"{{{NS}}}path"): fe.findtext(f"{{{NS}}}message")
                               for fe in r.iter(f"{{{NS}}}fieldError")}})
    return out
