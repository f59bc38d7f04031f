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
# A percentage (an interest rate in percent per year) with at most 4 fraction digits.
Percent = Decimal(fraction_digits=4, total_digits=7)


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


class ConsumerCredit(Model):
    """The claim arises from a consumer credit contract (§§ 491-508 BGB, also a shop's own
    instalment sale): its effective annual rate in percent and the contract date. The court
    dunning procedure is closed to it when the rate exceeds the base rate at the contract
    date by more than 12 points (§ 688 (2) Nr. 1 ZPO)."""

    _type_info = [
        ("effectiveAnnualRate", _opt(Percent)),
        ("contractDate", _opt(Date)),
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
        ("consumerCredit", _opt(ConsumerCredit)),
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
    """Why one item of SubmitClaims was not taken: a fault code and message, and the
    fields named (ValidationError) or the fault's reason code (the others)."""

    _type_info = [
        ("code", _req(Unicode)),
        ("message", _req(Unicode)),
        ("fieldErrors", _opt(FieldErrorList)),
        ("reason", _opt(Unicode)),
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


class MovedDate(Model):
    """A period's last day that a rule moved off a Saturday, Sunday or public holiday:
    calendarDay by the calendar, movedTo the day it really ends, the rule ("§ 193 BGB",
    "§ 222 (2) ZPO") and every day skipped and why."""

    _type_info = [
        ("calendarDay", _req(Date)),
        ("movedTo", _req(Date)),
        ("rule", _req(Unicode)),
        ("reason", _req(Unicode)),
    ]


class Deadlines(Model):
    """Court deadlines where the agency reported the dates they follow from. The last days
    of the court's periods are moved off weekends and holidays at the dunning court's seat
    (§ 222 (2) ZPO); the ...Moved elements say when and why."""

    _type_info = [
        ("dunningOrderIssuedOn", _opt(Date)),
        ("dunningOrderServedOn", _opt(Date)),
        ("enforcementOrderIssuedOn", _opt(Date)),
        ("objectionPeriodEndsOn", _opt(Date)),
        ("enforcementOrderDeadline", _opt(Date)),
        ("limitationSuspensionEndsOn", _opt(Date)),
        # The first day the enforcement order may be applied for (§ 699 (1) 2 ZPO).
        ("enforcementOrderEarliestOn", _opt(Date)),
        ("objectionPeriodEndMoved", _opt(MovedDate)),
        ("enforcementOrderDeadlineMoved", _opt(MovedDate)),
        # The federal state whose holidays counted (the dunning court's seat).
        ("courtSeatState", _opt(Unicode)),
    ]


class Limitation(Model):
    """When the claim becomes time-barred (§§ 195, 199 (1) BGB): it arose on claimAroseOn
    (its dueDate, else its dateOfOrigin: claimAroseFrom), limitation ends on endsOn (31
    December), and an application filed on lastFilingDay still counts (§ 193 BGB at the
    dunning court's seat, courtSeatState; lastFilingDayMoved says why when it moved)."""

    _type_info = [
        ("claimAroseOn", _req(Date)),
        ("claimAroseFrom", _req(Unicode)),
        ("endsOn", _req(Date)),
        ("lastFilingDay", _req(Date)),
        ("lastFilingDayMoved", _opt(MovedDate)),
        ("courtSeatState", _req(Unicode)),
    ]


class InterestPeriod(Model):
    """Days with one base rate; both startsOn and endsOn count."""

    _type_info = [
        ("startsOn", _req(Date)),
        ("endsOn", _req(Date)),
        ("days", _req(Integer)),
        ("baseRate", _req(Percent)),
        ("baseRateValidFrom", _req(Date)),
        # CONFIRMED, UNCONFIRMED (in the table, not checked) or ASSUMED (after the table).
        ("baseRateStatus", _req(Unicode)),
        ("rate", _req(Percent)),
        ("amount", _req(Money)),
    ]


class DefaultInterest(Model):
    """Default interest on the principal (§ 288 (1) BGB: base rate + 5 points against a
    consumer, (2): + 9 against a business) from startsOn to endsOn, split where the base
    rate changes; total is the exact sum rounded once."""

    _type_info = [
        ("startsOn", _req(Date)),
        ("endsOn", _req(Date)),
        ("rule", _req(Unicode)),
        ("pointsOverBaseRate", _req(Percent)),
        ("periods", _req(Array(InterestPeriod.customize(min_occurs=0, nillable=False),
                               member_name="period"))),
        ("total", _req(Money)),
        ("ratesConfirmed", _req(Boolean)),
    ]


class DefaultClaims(Model):
    """What default adds to the principal up to upTo (today, or the day checked): when
    default began and by which rule (§ 286 BGB; absent when nothing known puts the debtor
    in default), the default interest (absent before default) and the 40 EUR flat fee
    against a business debtor (§ 288 (5) BGB; else 0.00). On the whole principal."""

    _type_info = [
        ("upTo", _req(Date)),
        ("defaultBeginsOn", _opt(Date)),
        ("defaultRule", _opt(Unicode)),
        ("defaultReason", _opt(Unicode)),
        ("interest", _opt(DefaultInterest)),
        ("flatFee", _req(Money)),
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
        # WAITING_FOR_DEFAULT: the day the gateway hands the claim over (the shop's policy).
        ("handoverReadyOn", _opt(Date)),
        # The competent dunning court the dates below count at.
        ("dunningCourt", _opt(Unicode)),
        ("limitation", _opt(Limitation)),
        ("defaultClaims", _opt(DefaultClaims)),
    ]


class Detail(Model):
    _type_info = [("name", _req(Unicode)), ("value", _opt(Unicode))]


DetailList = Array(Detail.customize(min_occurs=0, nillable=False), member_name="detail")


class HistoryEvent(Model):
    _type_info = [
        ("at", _req(DateTime)),
        ("actor", _req(Unicode)),
        ("what", _req(Unicode)),
        ("stateBefore", _opt(Unicode)),
        ("stateAfter", _req(Unicode)),
        ("details", _opt(DetailList)),
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
    """A refusal reason or warning; facts: the figures behind it (dates ISO, rates and
    amounts as plain decimals), e.g. lastFilingDay, baseRate, limit."""

    _type_info = [("code", _req(Unicode)), ("message", _req(Unicode)),
                  ("facts", _opt(DetailList))]


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
        ("limitation", _opt(Limitation)),
        ("defaultClaims", _opt(DefaultClaims)),
    ]


ClaimList = Array(Claim.customize(min_occurs=0, nillable=False), member_name="claim")
ClaimResultList = Array(ClaimResult.customize(min_occurs=0, nillable=False), member_name="result")
