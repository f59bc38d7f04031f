"""The REST API's other bodies, both directions: answers (simulator writes, adapter reads),
the payment and lawyer requests (adapter writes, simulator reads), and error bodies.

Every name here is ASSUMED (the public examples show no answers; README.md): they follow
the request's style (PascalCase, amounts as JSON numbers, dates as ISO 8601 text).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from gateway.domain import accounting
from gateway.domain.accounting import amount_or_zero
from gateway.domain.model import AccountingSummary, CourtDunningInstruction, Payout
from gateway.domain.money import eur
from gateway.service.agency_port import AgencyStatus, CourtDunningAmounts, InterestAmount

from .claims import BodyError
from .codes import codes, to_status
from .contract import ERRORS_KEY, FILE_NUMBER, FILE_NUMBER_DIGITS


# -- new claim: {"FileNumber": "12345678901", "ClientCustomerRefNo": "..."} ----------------
def new_claim_answer(file_number: str, reference: str) -> dict[str, Any]:
    return {"FileNumber": file_number, "ClientCustomerRefNo": reference}


def file_number_of(answer: Any) -> str:
    """The new claim's Aktenzeichen; ValueError when the answer has none."""
    if not isinstance(answer, Mapping):
        raise ValueError("the answer is no object")
    return file_number_text(answer.get("FileNumber"))


def file_number_text(value: Any) -> str:
    """An Aktenzeichen as text: a JSON string, or a number padded to 11 digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value).zfill(FILE_NUMBER_DIGITS)
    if not isinstance(value, str) or not FILE_NUMBER.fullmatch(value):
        raise ValueError("no 11-digit file number")
    return value


# -- status: {"FileNumber", "StatusCode", "StatusText", "StatusDetails", "StatusDate"} ------
def status_answer(file_number: str, code: int, text: str | None, details: str | None,
                  at: datetime | None) -> dict[str, Any]:
    return {"FileNumber": file_number, "StatusCode": code, "StatusText": text,
            "StatusDetails": details, "StatusDate": at}


def status_from_answer(file_number: str, answer: Mapping[str, Any]) -> AgencyStatus:
    code = answer["StatusCode"]
    if isinstance(code, bool) or not isinstance(code, int):
        raise ValueError("StatusCode is no integer")
    at = answer.get("StatusDate")
    return to_status(file_number, code, _text(answer.get("StatusText")),
                     _text(answer.get("StatusDetails")),
                     datetime.fromisoformat(at) if at else None)


# -- accounting ---------------------------------------------------------------------------
def accounting_answer(file_number: str, summary: Mapping[str, Any]) -> dict[str, Any]:
    """The simulator core's accounting dict (SOAP names) -> the REST answer."""
    return {
        "FileNumber": file_number,
        "TotalDebts": summary["totalDebts"], "Paid": summary["paid"],
        "Outstanding": summary["outstanding"], "CurrentPayout": summary["currentPayout"],
        "SumPayout": summary["sumPayout"],
        "Payouts": [{"Date": p["date"], "Amount": p["total"], "PayoutNo": p["payoutNumber"]}
                    for p in summary["payoutHistory"]],
    }


def accounting_summary(answer: Mapping[str, Any]) -> AccountingSummary:
    payouts = (Payout(paid_out_on=_date(p["Date"]), amount=amount_or_zero(p["Amount"]),
                      number=str(p["PayoutNo"])) for p in _items(answer.get("Payouts")))
    return accounting.summary(
        total_debts=answer.get("TotalDebts"), paid=answer.get("Paid"),
        outstanding=answer.get("Outstanding"), current_payout=answer.get("CurrentPayout"),
        sum_payout=answer.get("SumPayout"), payouts=payouts)


# -- direct payment: {"PaymentDate": "YYYY-MM-DD", "Amount": 12.30} -----------------------
def payment_body(paid_on: date, amount: Decimal) -> dict[str, Any]:
    return {"PaymentDate": paid_on, "Amount": eur(amount)}


def parse_payment(body: Any) -> tuple[date, Decimal]:
    if not isinstance(body, Mapping):
        raise BodyError("body: object expected")
    amount = body.get("Amount")
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise BodyError("Amount: number expected")
    try:
        paid = eur(amount)
    except ValueError:
        raise BodyError("Amount: at most two decimal places") from None
    try:
        paid_on = date.fromisoformat(body["PaymentDate"])
    except (KeyError, TypeError, ValueError):
        raise BodyError("PaymentDate: date expected (YYYY-MM-DD)") from None
    return paid_on, paid


# -- lawyer hand-over: {"Instruction": 1, "CalculationDate", "PrincipalClaim", ...} -------
# ASSUMED (README.md): what the court dunning application lists apart (§ 690 (1) Nr. 3 ZPO),
# in the new-claim body's style: amounts as {"Value": number}, as PrincipalClaim and
# DunningCosts there; the interest with its period and rate; the flat fee of § 288 (5) BGB.
def lawyer_body(instruction: CourtDunningInstruction,
                amounts: CourtDunningAmounts) -> dict[str, Any]:
    body: dict[str, Any] = {"Instruction": codes().lawyer_instruction[instruction],
                            "CalculationDate": amounts.as_of,
                            "PrincipalClaim": {"Value": eur(amounts.principal)},
                            "DunningCosts": {"Value": eur(amounts.dunning_fees)}}
    if amounts.interest is not None:
        i = amounts.interest
        body["Interest"] = {"StartDate": i.start, "EndDate": i.end,
                            "PointsAboveBaseRate": i.points_over_base_rate, "Rate": i.rate,
                            "Value": eur(i.amount)}
    if amounts.flat_fee:
        body["DefaultFlatFee"] = {"Value": eur(amounts.flat_fee)}
    return body


LAWSUIT_INSTRUCTION = 3  # lawsuit straight away: in the API, never asked by the gateway


def parse_lawyer(body: Any) -> tuple[int, CourtDunningAmounts | None]:
    """The instruction code (1, 2 or 3) and the amounts (None when the body has none)."""
    code = body.get("Instruction") if isinstance(body, Mapping) else None
    known = set(codes().lawyer_instruction.values()) | {LAWSUIT_INSTRUCTION}
    if type(code) is not int or code not in known:
        raise BodyError("Instruction: 1, 2 or 3 expected")
    if "PrincipalClaim" not in body:
        return code, None
    interest = None
    if body.get("Interest") is not None:
        raw = _object(body["Interest"], "Interest")
        interest = InterestAmount(
            _body_date(raw.get("StartDate"), "Interest.StartDate"),
            _body_date(raw.get("EndDate"), "Interest.EndDate"),
            _number(raw.get("PointsAboveBaseRate"), "Interest.PointsAboveBaseRate"),
            _number(raw.get("Rate"), "Interest.Rate"),
            _value(raw, "Interest"))
    flat_fee = _value(_object(body["DefaultFlatFee"], "DefaultFlatFee"), "DefaultFlatFee") \
        if body.get("DefaultFlatFee") is not None else eur(0)
    return code, CourtDunningAmounts(
        _body_date(body.get("CalculationDate"), "CalculationDate"),
        _value(_object(body["PrincipalClaim"], "PrincipalClaim"), "PrincipalClaim"),
        _value(_object(body.get("DunningCosts") or {"Value": 0}, "DunningCosts"), "DunningCosts"),
        flat_fee, interest)


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BodyError(f"{path}: object expected")
    return value


def _number(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise BodyError(f"{path}: number expected")
    return Decimal(value)


def _value(item: Mapping[str, Any], path: str) -> Decimal:
    number = _number(item.get("Value"), f"{path}.Value")
    try:
        return eur(number)
    except ValueError:
        raise BodyError(f"{path}.Value: at most two decimal places") from None


def _body_date(value: Any, path: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BodyError(f"{path}: date expected (YYYY-MM-DD)") from None


# -- credential check: GET /v2.1/account/ -> {"Uuid", "User"} -----------------------------
def account_answer(uuid: str, user: str) -> dict[str, Any]:
    return {"Uuid": uuid, "User": user}


# -- errors: {"Errors": ["message", ...]} -------------------------------------------------
def error_body(messages: Sequence[str]) -> dict[str, Any]:
    return {ERRORS_KEY: list(messages)}


def error_reasons(answer: Any) -> tuple[str, ...]:
    """The messages of an error body; () when it is not one.

    Reads {"Errors": [...]} (also "errors"/"Messages"/"messages", or a bare list), each
    item a string or an object with a "Message" (optionally "Field"): the real API's error
    shape is not public, so this is lenient where the writer above is strict.
    """
    items: Any = answer
    if isinstance(answer, Mapping):
        items = next((answer[k] for k in (ERRORS_KEY, "errors", "Messages", "messages")
                      if k in answer), None)
    if not isinstance(items, list):
        return ()
    reasons = []
    for item in items:
        if isinstance(item, str) and item.strip():
            reasons.append(item.strip())
        elif isinstance(item, Mapping):
            message = item.get("Message", item.get("message"))
            field = item.get("Field", item.get("field"))
            if isinstance(message, str) and message.strip():
                reasons.append(f"{field}: {message.strip()}" if field else message.strip())
    return tuple(reasons)


def _items(value: Any) -> Iterable[Mapping[str, Any]]:
    return value or ()


def _date(value: Any) -> date:
    # The API's dates are ISO 8601 text, which may carry a time: its day counts.
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None
