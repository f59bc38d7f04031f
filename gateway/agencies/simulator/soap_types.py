"""The contract's types as Spyne models. wsdl/agencies/mediafinanz/mediafinanz.wsdl was
generated from these once and is kept as a file; a test checks the two still agree."""
from __future__ import annotations

from spyne import Boolean, ComplexModel, Date, DateTime, Decimal, Integer, Unicode

from mappings.mediafinanz.contract import NAMESPACE


def _opt(kind, **kw):
    return kind(min_occurs=0, nillable=False, **kw)


def _req(kind, **kw):
    return kind(min_occurs=1, nillable=False, **kw)


_Money = Decimal(fraction_digits=2, total_digits=12)
_Text = Unicode


class Model(ComplexModel):
    __namespace__ = NAMESPACE


class Auth(Model):
    _type_info = [
        ("clientId", _req(Integer)),
        ("licenceKey", _req(Unicode, pattern="[0-9a-fA-F]{32}")),
        ("sandbox", _req(Boolean)),
    ]


class Claim(Model):
    _type_info = [
        ("invoice", _req(Unicode, min_len=1, max_len=64)),
        ("type", _req(Integer, ge=1, le=3)),
        ("reason", _req(Unicode, max_len=250)),
        ("originalValue", _req(_Money)),
        ("overdueFees", _opt(_Money)),
        ("dateOfOrigin", _req(Date)),
        ("dateOfLastReminder", _opt(Date)),
        ("note", _opt(Unicode, max_len=2000)),
    ]


class Debtor(Model):
    _type_info = [
        ("id", _opt(Unicode, max_len=64)),
        ("address", _req(Unicode, pattern="[mfc@]")),
        ("firstname", _opt(Unicode, max_len=100)),
        ("lastname", _opt(Unicode, max_len=100)),
        ("company", _opt(Unicode, max_len=200)),
        ("co", _opt(Unicode, max_len=100)),
        ("street", _opt(Unicode, max_len=150)),
        ("postcode", _opt(Unicode, max_len=10)),
        ("city", _opt(Unicode, max_len=100)),
        ("country", _opt(Unicode, max_len=2)),
        ("telephone1", _opt(Unicode, max_len=40)),
        ("telephone2", _opt(Unicode, max_len=40)),
        ("fax", _opt(Unicode, max_len=40)),
        ("email", _opt(Unicode, max_len=254)),
        ("dateOfBirth", _opt(Date)),
    ]


class NewClaimResult(Model):
    _type_info = [
        ("fileNumber", _opt(Unicode)),
        ("errorList", Unicode(min_occurs=0, max_occurs="unbounded", nillable=False)),
    ]


class ClaimIdentifier(Model):
    _type_info = [("fileNumber", _req(Unicode, pattern="[0-9]{11}"))]


class ClaimStatus(Model):
    _type_info = [
        ("statusCode", _req(Integer)),
        ("statusText", _opt(Unicode)),
        ("statusDetails", _opt(Unicode)),
    ]


class StatusChange(Model):
    _type_info = [
        ("fileNumber", _req(Unicode)),
        ("statusCode", _req(Integer)),
        ("statusName", _opt(Unicode)),
        ("statusDetails", _opt(Unicode)),
        ("time", _req(DateTime)),
    ]


class ClaimStatusChanges(Model):
    _type_info = [
        ("transactionId", _opt(Unicode)),
        ("change", StatusChange.customize(min_occurs=0, max_occurs="unbounded", nillable=False)),
    ]


class JournalEntry(Model):
    _type_info = [
        ("time", _req(DateTime)),
        ("subject", _req(Unicode)),
        ("details", _opt(Unicode)),
    ]


class ClaimHistory(Model):
    _type_info = [
        ("entry", JournalEntry.customize(min_occurs=0, max_occurs="unbounded", nillable=False)),
    ]


class PayoutEntry(Model):
    _type_info = [
        ("date", _req(Date)),
        ("total", _req(_Money)),
        ("payoutNumber", _req(Unicode)),
    ]


class AccountingSummary(Model):
    _type_info = [
        ("totalDebts", _req(_Money)),
        ("paid", _req(_Money)),
        ("outstanding", _req(_Money)),
        ("currentPayout", _req(_Money)),
        ("sumPayout", _req(_Money)),
        ("payoutHistory", PayoutEntry.customize(min_occurs=0, max_occurs="unbounded",
                                                nillable=False)),
    ]


class ClaimOptions(Model):
    _type_info = [
        ("close", _req(Boolean)),
        ("lawyer", _req(Boolean)),
        ("factoring", _req(Boolean)),
        ("longTermObservation", _req(Boolean)),
        ("addressIdentification", _req(Boolean)),
    ]


class DirectPayment(Model):
    _type_info = [
        ("dateOfPayment", _req(Date)),
        ("paidAmount", _req(_Money)),
    ]


class PayoutList(Model):
    _type_info = [
        ("payout", PayoutEntry.customize(min_occurs=0, max_occurs="unbounded", nillable=False)),
    ]


# The lawyer hand-over's amounts (ASSUMED, see mappings/mediafinanz/README.md): what the court
# dunning application lists apart (§ 690 (1) Nr. 3 ZPO), reckoned up to calculationDate.
_Rate = Decimal(fraction_digits=4, total_digits=7)


class InterestAmount(Model):
    _type_info = [
        ("startDate", _req(Date)),
        ("endDate", _req(Date)),
        ("pointsAboveBaseRate", _req(_Rate)),
        ("rate", _req(_Rate)),
        ("amount", _req(_Money)),
    ]


class CourtDunningAmounts(Model):
    _type_info = [
        ("calculationDate", _req(Date)),
        ("originalValue", _req(_Money)),
        ("overdueFees", _opt(_Money)),
        ("flatFee", _opt(_Money)),
        ("interest", InterestAmount.customize(min_occurs=0, nillable=False)),
    ]
