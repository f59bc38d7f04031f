"""Claim and debtor <-> the body of PUT /v2.1/collect/claim/new/ (plain dicts, JSON names).

Both directions live here so the adapter (build) and the simulator (parse) cannot drift
apart. Field names are the examples' (SHOWN); what goes into them is ASSUMED where the
examples do not say (README.md). What the body cannot hold, and therefore what a round
trip build -> parse gives back:

- ClientCustomerRefNo = the hand-over reference (Claim.agency_reference, else the shop's
  claim id): the agency's duplicate check is on it, per client uuid. The shop's claim id
  itself travels as PrincipalClaim.Number (the invoice number) and comes back from there.
- reason: cut to 250 characters at a word boundary (as on the SOAP interface).
- street and house number travel as one field "Street"; the parse splits off the last
  word when it starts with a digit (as on the SOAP interface).
- salutation has no field: it comes back UNKNOWN. customer_id has no field (the debtor's
  customer number at the shop; ClientCustomerRefNo carries the idempotency key): None.
- due_date and counter_performance_rendered have no field: None and True.
- care_of -> PostalAddress.Annex; phone, mobile, email -> Communications.
- a company's legal form has its own field (LegalForm) and comes back as it was.
- DunningCosts carries the dunning fees and the date of the last reminder; it is left out
  when there are neither.
- blank optional texts are left out and come back as None.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from gateway.domain.model import ClaimContent, Debtor, DebtorKind, Salutation
from gateway.domain.money import ZERO, eur
from mappings.mediafinanz.claims import cut_reason, join_street, split_street

from .codes import codes
from .contract import REASON_LIMIT


class BodyError(ValueError):
    """A body that does not fit; the message names the field's path, never its value."""


def new_claim_body(content: ClaimContent, reference: str) -> dict[str, Any]:
    """ClaimContent + hand-over reference -> the new-claim body; None values are left out."""
    catalogue_no, condition = codes().claim_type[content.claim_type]
    principal = eur(content.principal)
    fees = eur(content.dunning_fees)
    dunning = None
    if fees != ZERO or content.date_of_last_reminder is not None:
        dunning = _compact({"Number": content.shop_claim_id, "Value": fees,
                            "Date": content.date_of_last_reminder})
    claim = _compact({
        "Amount": principal,
        "ContractDate": content.date_of_origin,
        "ContractualItemCatalogueNo": catalogue_no,
        "ContractualCondition": condition,
        "Reason": cut_reason(content.reason, REASON_LIMIT),
        "PrincipalClaim": _compact({"Number": content.shop_claim_id, "Value": principal,
                                    "Date": content.date_of_origin}),
        "DunningCosts": dunning,
    })
    return _compact({
        "ClientCustomerRefNo": reference,
        "Debtor": debtor_body(content.debtor),
        "Claim": claim,
        "Memo": _text(content.note),
    })


def debtor_body(debtor: Debtor) -> dict[str, Any]:
    table = codes()
    company = debtor.kind is DebtorKind.COMPANY
    kind_type = table.communication_type[debtor.kind]
    communications = [
        {"Means": table.means[means], "Type": kind_type, "Value": value,
         "Validity": table.valid}
        for means, value in (("email", _text(debtor.email)), ("phone", _text(debtor.phone)),
                             ("mobile", _text(debtor.mobile)))
        if value is not None]
    return _compact({
        "LegalForm": _text(debtor.legal_form) if company else None,
        "Company": _text(debtor.company) if company else None,
        "PersonType": table.person_type[debtor.kind],
        "LastName": _text(debtor.last_name),
        "FirstName": _text(debtor.first_name),
        "BirthDate": debtor.date_of_birth,
        "PostalAddress": _compact({
            "Annex": _text(debtor.care_of),
            "Street": join_street(debtor.street, debtor.house_number),
            "PostalCode": _text(debtor.postcode),
            "City": _text(debtor.city),
            "CountryCode": debtor.country.strip().upper() if debtor.country else None,
            "Validity": table.valid,
        }),
        "Communications": communications or None,
    })


def parse_new_claim(body: Any) -> tuple[str, ClaimContent]:
    """A new-claim body (as read by jsonwire.loads) -> (reference, ClaimContent).

    Raises BodyError naming the first field that does not fit (the OpenAPI level: types,
    required fields, codes). Whether the content is acceptable is the caller's business
    (the simulator's business validation).
    """
    body = _object(body, "")
    reference = _required_text(body, "ClientCustomerRefNo", "")
    claim = _object(body.get("Claim"), "Claim")
    debtor = parse_debtor(_object(body.get("Debtor"), "Debtor"))
    principal_claim = _object(claim.get("PrincipalClaim"), "Claim.PrincipalClaim")
    dunning = body_or_empty(claim.get("DunningCosts"), "Claim.DunningCosts")
    try:
        claim_type = codes().claim_type_of(claim.get("ContractualItemCatalogueNo"),
                                           claim.get("ContractualCondition"))
    except ValueError:
        raise BodyError("Claim.ContractualItemCatalogueNo/ContractualCondition: unknown "
                        "combination") from None
    amount = _amount(claim.get("Amount"), "Claim.Amount")
    principal = _amount(principal_claim.get("Value", amount), "Claim.PrincipalClaim.Value")
    fees = dunning.get("Value")
    return reference, ClaimContent(
        shop_claim_id=_text(principal_claim.get("Number")) or reference,
        claim_type=claim_type,
        reason=_optional_text(claim, "Reason", "Claim") or "",
        principal=principal,
        dunning_fees=ZERO if fees is None else _amount(fees, "Claim.DunningCosts.Value"),
        date_of_origin=_date(claim.get("ContractDate", principal_claim.get("Date")),
                             "Claim.ContractDate"),
        due_date=None,
        date_of_last_reminder=_date(dunning.get("Date"), "Claim.DunningCosts.Date"),
        note=_optional_text(body, "Memo", ""),
        counter_performance_rendered=True,
        debtor=debtor,
    )


def parse_debtor(debtor: Mapping[str, Any]) -> Debtor:
    table = codes()
    try:
        kind = table.kind_of_person_type(debtor.get("PersonType"))
    except ValueError:
        raise BodyError("Debtor.PersonType: unknown code") from None
    address = _object(debtor.get("PostalAddress"), "Debtor.PostalAddress")
    street, house_number = split_street(_optional_text(address, "Street",
                                                       "Debtor.PostalAddress"))
    contacts = _communications(debtor.get("Communications"))
    company = kind is DebtorKind.COMPANY
    return Debtor(
        kind=kind,
        last_name=_optional_text(debtor, "LastName", "Debtor"),
        first_name=_optional_text(debtor, "FirstName", "Debtor"),
        salutation=Salutation.UNKNOWN,
        company=_optional_text(debtor, "Company", "Debtor") if company else None,
        legal_form=_optional_text(debtor, "LegalForm", "Debtor") if company else None,
        care_of=_optional_text(address, "Annex", "Debtor.PostalAddress"),
        street=street,
        house_number=house_number,
        postcode=_optional_text(address, "PostalCode", "Debtor.PostalAddress"),
        city=_optional_text(address, "City", "Debtor.PostalAddress"),
        country=(_optional_text(address, "CountryCode", "Debtor.PostalAddress") or "")
        .strip().upper(),
        email=contacts.get("email"),
        phone=contacts.get("phone"),
        mobile=contacts.get("mobile"),
        date_of_birth=_date(debtor.get("BirthDate"), "Debtor.BirthDate"),
        customer_id=None,
    )


def _communications(value: Any) -> dict[str, str]:
    """Communications -> {means name: value}: the first valid entry of each means wins."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise BodyError("Debtor.Communications: list expected")
    table = codes()
    names = {code: name for name, code in table.means.items()}
    found: dict[str, str] = {}
    for i, entry in enumerate(value):
        path = f"Debtor.Communications[{i}]"
        entry = _object(entry, path)
        means = entry.get("Means")
        if type(means) is not int or means not in names:
            raise BodyError(f"{path}.Means: unknown code")
        text = _optional_text(entry, "Value", path)
        if text is None or entry.get("Validity", table.valid) == table.invalid:
            continue
        found.setdefault(names[means], text)
    return found


def body_or_empty(value: Any, path: str) -> Mapping[str, Any]:
    return {} if value is None else _object(value, path)


def _compact(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BodyError(f"{path or 'body'}: object expected")
    return value


def _required_text(obj: Mapping[str, Any], key: str, parent: str) -> str:
    text = _optional_text(obj, key, parent)
    if text is None:
        raise BodyError(f"{_path(parent, key)}: required")
    return text


def _optional_text(obj: Mapping[str, Any], key: str, parent: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise BodyError(f"{_path(parent, key)}: string expected")
    return _text(value)


def _path(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def _amount(value: Any, path: str) -> Decimal:
    """A JSON number (Decimal or int as jsonwire reads it) -> EUR with two places."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise BodyError(f"{path}: number expected")
    try:
        return eur(value)
    except ValueError:
        raise BodyError(f"{path}: at most two decimal places") from None


def _date(value: Any, path: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise BodyError(f"{path}: date expected (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BodyError(f"{path}: date expected (YYYY-MM-DD)") from None
