"""Claim and debtor <-> newClaim arguments (plain dicts named as in the contract).

Both directions live here so the zeep adapter (build) and the simulator
(parse) cannot drift apart. What the agency cannot hold, and therefore what a
round trip build -> parse gives back:

- invoice = the claim's agency reference ("SHOPDE.RE-2026-0001", see
  gateway.domain.agency), which is unique per agency account however many shops
  share it; the agency's duplicate check on invoice is what makes submit
  idempotent. Without a reference (a bare ClaimContent) the shop's claim id is sent,
  and the parse gives the invoice back as shop_claim_id.
- reason: cut to 250 characters at a word boundary (cut_reason). Reasons of at
  most 250 characters come back exactly; longer ones come back as cut_reason().
- street and house number travel as one field "street houseNumber"; the parse
  splits off the last word when it starts with a digit. A claim whose house
  number is one such word (or absent, with a street not ending in one) comes
  back exactly.
- company + legal form travel as one "company" field; the parse keeps it all in
  company (legal_form None). Companies are sent with address code "c", so their
  salutation comes back UNKNOWN.
- phone -> telephone1, mobile -> telephone2; fax is never sent.
- due_date and counter_performance_rendered have no field: the parse gives None
  and True (an agency takes only claims for delivered goods or services).
- blank optional texts are omitted and come back as None.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from gateway.domain.model import ClaimContent, ClaimType, Debtor, DebtorKind, Salutation
from gateway.domain.money import eur

from .contract import REASON_LIMIT

CLAIM_TYPES: dict[ClaimType, int] = {
    ClaimType.GOODS_SOLD: 1,
    ClaimType.GOODS_PREPAID: 2,
    ClaimType.SERVICE: 3,
}
SALUTATIONS: dict[Salutation, str] = {
    Salutation.MR: "m",
    Salutation.MS: "f",
    Salutation.UNKNOWN: "@",
}
COMPANY_ADDRESS = "c"
_SPACE = re.compile(r"\s")
_CLAIM_TYPE_BY_CODE = {code: kind for kind, code in CLAIM_TYPES.items()}
_SALUTATION_BY_CODE = {code: s for s, code in SALUTATIONS.items()}


def cut_reason(reason: str, limit: int = REASON_LIMIT) -> str:
    """The reason as the agency keeps it: at most `limit` characters, cut at a word boundary.

    Reasons within the limit are returned unchanged. A first word longer than
    the limit is cut hard (there is no boundary to cut at).
    """
    if len(reason) <= limit:
        return reason
    if reason[limit].isspace():  # the limit falls on a boundary
        return reason[:limit].rstrip()
    head = reason[:limit]
    boundary = max((m.start() for m in _SPACE.finditer(head)), default=-1)
    cut = head[:boundary].rstrip() if boundary > 0 else ""
    return cut or head


def join_street(street: str | None, house_number: str | None) -> str | None:
    parts = [p.strip() for p in (street, house_number) if p and p.strip()]
    return " ".join(parts) or None


def split_street(value: str | None) -> tuple[str | None, str | None]:
    """'Hauptstraße 12a' -> ('Hauptstraße', '12a'); 'Am Markt' -> ('Am Markt', None)."""
    if not value or not value.strip():
        return None, None
    head, _, last = value.strip().rpartition(" ")
    if head and last[:1].isdigit():
        return head.rstrip(), last
    return value.strip(), None


def new_claim_arguments(content: ClaimContent, reference: str | None = None
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """ClaimContent (+ its agency reference) -> (claim, debtor) arguments of newClaim; None
    values are left out on the wire."""
    claim = {
        "invoice": reference or content.shop_claim_id,
        "type": CLAIM_TYPES[content.claim_type],
        "reason": cut_reason(content.reason),
        "originalValue": eur(content.principal),
        "overdueFees": eur(content.dunning_fees),
        "dateOfOrigin": content.date_of_origin,
        "dateOfLastReminder": content.date_of_last_reminder,
        "note": _text(content.note),
    }
    return claim, debtor_arguments(content.debtor)


def debtor_arguments(debtor: Debtor) -> dict[str, Any]:
    company = debtor.kind is DebtorKind.COMPANY
    company_name = join_street(debtor.company, debtor.legal_form) if company else None
    return {
        "id": _text(debtor.customer_id),
        "address": COMPANY_ADDRESS if company else SALUTATIONS[debtor.salutation],
        "firstname": _text(debtor.first_name),
        "lastname": _text(debtor.last_name),
        "company": company_name,
        "co": _text(debtor.care_of),
        "street": join_street(debtor.street, debtor.house_number),
        "postcode": _text(debtor.postcode),
        "city": _text(debtor.city),
        "country": debtor.country.strip().upper() if debtor.country else None,
        "telephone1": _text(debtor.phone),
        "telephone2": _text(debtor.mobile),
        "fax": None,
        "email": _text(debtor.email),
        "dateOfBirth": debtor.date_of_birth,
    }


def parse_new_claim(claim: Mapping[str, Any], debtor: Mapping[str, Any]) -> ClaimContent:
    """newClaim arguments (as plain dicts) -> ClaimContent. Raises ValueError/KeyError on junk.

    Validation of the content is the caller's business (the simulator answers errorList).
    """
    return ClaimContent(
        shop_claim_id=str(claim["invoice"]),
        claim_type=_CLAIM_TYPE_BY_CODE[int(claim["type"])],
        reason=claim.get("reason") or "",
        principal=eur(_decimal(claim["originalValue"])),
        dunning_fees=eur(_decimal(claim.get("overdueFees") or 0)),
        date_of_origin=_date(claim.get("dateOfOrigin")),
        due_date=None,
        date_of_last_reminder=_date(claim.get("dateOfLastReminder")),
        note=_text(claim.get("note")),
        counter_performance_rendered=True,
        debtor=parse_debtor(debtor),
    )


def parse_debtor(debtor: Mapping[str, Any]) -> Debtor:
    code = debtor.get("address") or "@"
    company = code == COMPANY_ADDRESS
    street, house_number = split_street(debtor.get("street"))
    return Debtor(
        kind=DebtorKind.COMPANY if company else DebtorKind.PERSON,
        last_name=_text(debtor.get("lastname")),
        first_name=_text(debtor.get("firstname")),
        salutation=Salutation.UNKNOWN if company else _SALUTATION_BY_CODE[code],
        company=_text(debtor.get("company")),
        care_of=_text(debtor.get("co")),
        street=street,
        house_number=house_number,
        postcode=_text(debtor.get("postcode")),
        city=_text(debtor.get("city")),
        country=(debtor.get("country") or "").strip().upper(),
        email=_text(debtor.get("email")),
        phone=_text(debtor.get("telephone1")),
        mobile=_text(debtor.get("telephone2")),
        date_of_birth=_date(debtor.get("dateOfBirth")),
        customer_id=_text(debtor.get("id")),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):  # never: money does not pass through binary floats
        raise TypeError("amount arrived as float")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
