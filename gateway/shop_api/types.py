"""The shop contract's types as Spyne models (namespace urn:inkasso-gateway:shop:v1).

WS-I Basic Profile friendly: document/literal, arrays are wrapper elements with a
repeated child (never SOAP-encoded arrays), every element states minOccurs and
nillable, money is xsd:decimal (Spyne parses it with decimal.Decimal, never float),
dates are xsd:date. Request fields the domain checks (required, lengths, formats)
are optional in the schema where the domain gives a better message naming the
field; types, enumerations and decimals are enforced by the schema.
"""
from __future__ import annotations

from spyne import Array, Boolean, ComplexModel, Date, DateTime, Decimal, Integer, Long, Unicode

NAMESPACE = "urn:inkasso-gateway:shop:v1"
SERVICE_NAME = "ShopService"
MAX_BATCH = 500


def _opt(kind, **kw):
    return kind.customize(min_occurs=0, nillable=False, **kw)


def _req(kind, **kw):
    return kind.customize(min_occurs=1, nillable=False, **kw)


# xsd:decimal with at most 2 fraction digits; Spyne hands these over as Decimal.
Money = Decimal(fraction_digits=2, total_digits=12)


def _enum(type_name: str, *values: str):
    return Unicode(values=list(values), type_name=type_name, __namespace__=NAMESPACE)


ClaimTypeEnum = _enum("ClaimType", "GOODS_SOLD", "GOODS_PREPAID", "SERVICE")
DebtorKindEnum = _enum("DebtorKind", "PERSON", "COMPANY")
SalutationEnum = _enum("Salutation", "MR", "MS", "UNKNOWN")
InstructionEnum = _enum("CourtDunningInstruction", "DUNNING_ONLY", "DUNNING_THEN_LAWSUIT")


class Model(ComplexModel):
    __namespace__ = NAMESPACE


class Debtor(Model):
    _type_info = [
        ("customerId", _opt(Unicode)),
        ("kind", _req(DebtorKindEnum)),
        ("salutation", _opt(SalutationEnum)),
        ("firstName", _opt(Unicode)),
        ("lastName", _opt(Unicode)),
        ("company", _opt(Unicode)),
        ("legalForm", _opt(Unicode)),
        ("careOf", _opt(Unicode)),
        ("street", _opt(Unicode)),
        ("houseNumber", _opt(Unicode)),
        ("postcode", _opt(Unicode)),
        ("city", _opt(Unicode)),
        ("country", _opt(Unicode)),
        ("email", _opt(Unicode)),
        ("phone", _opt(Unicode)),
        ("mobile", _opt(Unicode)),
        ("dateOfBirth", _opt(Date)),
    ]


class Claim(Model):
    _type_info = [
        ("shopClaimId", _req(Unicode)),
        ("claimType", _req(ClaimTypeEnum)),
        ("reason", _opt(Unicode)),
        ("principal", _req(Money)),
        ("dunningFees", _opt(Money)),
        ("currency", _opt(Unicode)),
        ("dateOfOrigin", _req(Date)),
        ("dueDate", _opt(Date)),
        ("dateOfLastReminder", _opt(Date)),
        ("note", _opt(Unicode)),
        ("counterPerformanceRendered", _opt(Boolean)),
        ("debtor", _req(Debtor)),
    ]


class ClaimReceipt(Model):
    _type_info = [
        ("claimId", _req(Long)),
        ("shopClaimId", _req(Unicode)),
        ("status", _req(Unicode)),
        ("agencyFileNumber", _opt(Unicode)),
        ("created", _req(Boolean)),
    ]


class FieldError(Model):
    _type_info = [("path", _req(Unicode)), ("message", _req(Unicode))]


FieldErrorList = Array(FieldError.customize(min_occurs=0, nillable=False), member_name="fieldError")


class ItemError(Model):
    """Why one item of SubmitClaims was not taken: a fault code and message, fields named."""

    _type_info = [
        ("code", _req(Unicode)),
        ("message", _req(Unicode)),
        ("fieldErrors", _opt(FieldErrorList)),
    ]


class ClaimResult(Model):
    """One SubmitClaims item: index (0-based), and either a receipt or an error."""

    _type_info = [
        ("index", _req(Integer)),
        ("shopClaimId", _opt(Unicode)),
        ("receipt", _opt(ClaimReceipt)),
        ("error", _opt(ItemError)),
    ]


class Payout(Model):
    _type_info = [("paidOutOn", _req(Date)), ("amount", _req(Money)), ("number", _req(Unicode))]


class Accounting(Model):
    _type_info = [
        ("totalDebts", _req(Money)),
        ("paid", _req(Money)),
        ("outstanding", _req(Money)),
        ("currentPayout", _req(Money)),
        ("sumPayout", _req(Money)),
        ("payouts", _opt(Array(Payout.customize(min_occurs=0, nillable=False), member_name="payout"))),
    ]


class Deadlines(Model):
    """Court deadlines where the agency reported the dates they follow from."""

    _type_info = [
        ("dunningOrderIssuedOn", _opt(Date)),
        ("dunningOrderServedOn", _opt(Date)),
        ("enforcementOrderIssuedOn", _opt(Date)),
        ("objectionPeriodEndsOn", _opt(Date)),
        ("enforcementOrderDeadline", _opt(Date)),
        ("limitationSuspensionEndsOn", _opt(Date)),
    ]


StringList = Array(Unicode.customize(min_occurs=0, nillable=False), member_name="item")


class ClaimView(Model):
    _type_info = [
        ("claim", _req(Claim)),
        ("claimId", _req(Long)),
        ("state", _req(Unicode)),
        ("agencyFileNumber", _opt(Unicode)),
        ("agencyStatusCode", _opt(Integer)),
        ("agencyStatusText", _opt(Unicode)),
        ("accounting", _req(Accounting)),
        ("rejectionReasons", _opt(StringList)),
        ("deadlines", _opt(Deadlines)),
        ("createdAt", _req(DateTime)),
        ("lastUpdate", _req(DateTime)),
    ]


class Detail(Model):
    _type_info = [("name", _req(Unicode)), ("value", _opt(Unicode))]


class HistoryEvent(Model):
    _type_info = [
        ("at", _req(DateTime)),
        ("actor", _req(Unicode)),
        ("what", _req(Unicode)),
        ("stateBefore", _opt(Unicode)),
        ("stateAfter", _req(Unicode)),
        ("details", _opt(Array(Detail.customize(min_occurs=0, nillable=False), member_name="detail"))),
    ]


HistoryEventList = Array(HistoryEvent.customize(min_occurs=0, nillable=False), member_name="event")


class ClaimHistory(Model):
    _type_info = [("shopClaimId", _req(Unicode)), ("events", _req(HistoryEventList))]


class ClaimChange(Model):
    _type_info = [
        ("sequence", _req(Long)),
        ("shopClaimId", _req(Unicode)),
        ("event", _req(HistoryEvent)),
    ]


class ClaimChanges(Model):
    _type_info = [
        ("changes", _req(Array(ClaimChange.customize(min_occurs=0, nillable=False), member_name="change"))),
        ("nextCursor", _req(Unicode)),
    ]


class Finding(Model):
    _type_info = [("code", _req(Unicode)), ("message", _req(Unicode))]


FindingList = Array(Finding.customize(min_occurs=0, nillable=False), member_name="finding")


class CourtDunningPreflight(Model):
    _type_info = [
        ("allowed", _req(Boolean)),
        ("reasons", _req(FindingList)),
        ("warnings", _req(FindingList)),
        ("limitationEndsOn", _req(Date)),
        ("court", _req(Unicode)),
        ("courtFee", _opt(Money)),
        ("catalogueNumber", _req(Integer)),
        ("catalogueLabel", _req(Unicode)),
    ]


ClaimList = Array(Claim.customize(min_occurs=0, nillable=False), member_name="claim")
ClaimResultList = Array(ClaimResult.customize(min_occurs=0, nillable=False), member_name="result")
