"""The Spyne service: the shop contract's operations over the claim use cases.

Thin on purpose: the middleware has authenticated the shop and validated the body
against the schema; here Spyne objects become domain values, a use case runs, and
domain errors become the declared faults.
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
from decimal import Decimal
from typing import Any, Callable

from spyne import Application, Date, Fault, Integer, ServiceBase, Unicode, rpc
from spyne import const as spyne_const
from spyne.protocol.soap import Soap11
from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeout

from gateway import logs
from gateway.domain.errors import DomainError, FieldError, NotFound, ValidationFailed
from gateway.domain.model import (Claim, ClaimContent, ClaimEvent, ClaimType, ConsumerCredit,
                                  CourtDates, CourtDunningInstruction, Debtor, DebtorKind,
                                  Salutation)
from gateway.service import claims as use_cases
from gateway.store.database import DatabaseUnavailable

from . import faults as f
from .hardening import BATCH_ERRORS_KEY, BATCH_INDICES_KEY
from . import types as t

log = logs.get_logger("gateway.shop_api")

# Spyne runs a full gc.collect() at most once a second after a request (to close uploaded
# files early; the facade takes none). On a heap the size of the gateway's that takes
# ~100 ms with every thread stopped: it was the benchmark's p99. Python's own collector
# still runs.
spyne_const.MIN_GC_INTERVAL = float("inf")

DEFAULT_CHANGES_LIMIT = 100
MAX_CHANGES_LIMIT = 1000
SHOP_ID_KEY = "gateway.shop_id"
# The envelope hardening.parse built and the schema validated, handed to Spyne unparsed.
ENVELOPE_KEY = "gateway.envelope"
# The fault Spyne answered (a ShopFault), for the facade's own log line.
FAULT_KEY = "gateway.fault"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
_CURSOR_PREFIX = "c1:"


def _gateway(ctx):
    return ctx.app.gateway


def _shop(ctx) -> str:
    return ctx.transport.req_env[SHOP_ID_KEY]


def _now(ctx):
    return ctx.app.gateway.clock()


def guarded(fn: Callable) -> Callable:
    """Domain errors -> declared faults; database trouble -> Server.Unavailable; never a trace."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        try:
            return fn(ctx, *args)
        except f.ShopFault:
            raise
        except Exception as exc:  # noqa: BLE001 - every error becomes a fault
            raise to_fault(exc, fn.__name__) from None

    return wrapper


def operation(*params: Any, **options: Any) -> Callable:
    """@rpc on a guarded function (Spyne reads the argument names, so pass them on)."""

    def decorate(fn: Callable) -> Callable:
        names = fn.__code__.co_varnames[1:fn.__code__.co_argcount]
        return rpc(*params, _args=names, **options)(guarded(fn))

    return decorate


# What a Conflict means, by operation (the use cases raise one kind of Conflict).
_CONFLICT_REASONS = {"SubmitClaim": "SHOP_CLAIM_ID_TAKEN", "SubmitClaims": "SHOP_CLAIM_ID_TAKEN",
                     "RequestCourtDunningOrder": "COURT_PROCEDURE_RUNNING"}


def to_fault(exc: Exception, operation: str = "") -> f.ShopFault:
    """The declared fault for an error of a use case. Messages repeat no value of the
    request: the use cases' messages quote the shop's claim id, which is taken out."""
    from gateway.service.court_dunning import DunningRefused

    if isinstance(exc, ValidationFailed):
        return f.ValidationErrorFault.of(exc.errors)
    if isinstance(exc, NotFound):
        return f.NotFoundFault("no claim with this shopClaimId for this shop")
    if isinstance(exc, DunningRefused):
        reasons = [(r.code.value, r.message) for r in exc.preflight.reasons]
        return f.DunningRefusedFault(f.without_values(str(exc)), findings=reasons)
    if isinstance(exc, use_cases.UnknownShop):
        return f.AuthenticationFailedFault(f.AUTH_MESSAGE)
    if isinstance(exc, DomainError):  # Conflict, IllegalTransition, a state refusing a change
        return f.ConflictFault(f.without_values(str(exc)),
                               _CONFLICT_REASONS.get(operation, "STATE_DOES_NOT_ALLOW"))
    if isinstance(exc, (DBAPIError, PoolTimeout, DatabaseUnavailable)):
        # The type only: a driver message may quote the statement's parameters.
        log.error("database unavailable", error=type(exc).__name__)
        return f.UnavailableFault("the gateway's database is unavailable; retry later")
    log.error("unexpected error in operation", error=type(exc).__name__)
    return f.ShopFault("internal error; the gateway logged it under this request's "
                       "correlation id")


# -- mapping: contract -> domain ------------------------------------------------------------
def _money(value: Decimal | None) -> Decimal | None:
    assert value is None or isinstance(value, Decimal), "money must arrive as Decimal"
    return value


def content_of(claim: t.Claim) -> ClaimContent:
    d = claim.debtor
    debtor = Debtor(
        kind=DebtorKind(d.kind), last_name=d.lastName, first_name=d.firstName,
        salutation=Salutation(d.salutation) if d.salutation else Salutation.UNKNOWN,
        company=d.company, legal_form=d.legalForm, care_of=d.careOf, street=d.street,
        house_number=d.houseNumber, postcode=d.postcode, city=d.city,
        country=d.country if d.country is not None else "DE", email=d.email, phone=d.phone,
        mobile=d.mobile, date_of_birth=d.dateOfBirth, customer_id=d.customerId)
    return ClaimContent(
        shop_claim_id=claim.shopClaimId, claim_type=ClaimType(claim.claimType),
        reason=claim.reason or "", principal=_money(claim.principal),
        dunning_fees=_money(claim.dunningFees) if claim.dunningFees is not None else Decimal("0.00"),
        date_of_origin=claim.dateOfOrigin, due_date=claim.dueDate,
        date_of_last_reminder=claim.dateOfLastReminder, note=claim.note,
        counter_performance_rendered=bool(claim.counterPerformanceRendered),
        debtor=debtor, currency=claim.currency if claim.currency is not None else "EUR",
        consumer_credit=_consumer_credit(claim.consumerCredit))


def _consumer_credit(credit: t.ConsumerCredit | None) -> ConsumerCredit | None:
    # Missing parts stay None: the domain's validation names them.
    if credit is None:
        return None
    return ConsumerCredit(effective_annual_rate=credit.effectiveAnnualRate,
                          contract_date=credit.contractDate)


# -- mapping: domain -> contract ------------------------------------------------------------
def receipt(claim: Claim, created: bool) -> t.ClaimReceipt:
    return t.ClaimReceipt(claimId=claim.id, shopClaimId=claim.shop_claim_id,
                          status=claim.state.value, agencyFileNumber=claim.agency_file_number,
                          created=created)


def claim_out(content: ClaimContent) -> t.Claim:
    d = content.debtor
    credit = content.consumer_credit
    return t.Claim(
        shopClaimId=content.shop_claim_id, claimType=content.claim_type.value,
        reason=content.reason, principal=content.principal, dunningFees=content.dunning_fees,
        currency=content.currency, dateOfOrigin=content.date_of_origin, dueDate=content.due_date,
        dateOfLastReminder=content.date_of_last_reminder, note=content.note,
        counterPerformanceRendered=content.counter_performance_rendered,
        debtor=t.Debtor(customerId=d.customer_id, kind=d.kind.value, salutation=d.salutation.value,
                        firstName=d.first_name, lastName=d.last_name, company=d.company,
                        legalForm=d.legal_form, careOf=d.care_of, street=d.street,
                        houseNumber=d.house_number, postcode=d.postcode, city=d.city,
                        country=d.country, email=d.email, phone=d.phone, mobile=d.mobile,
                        dateOfBirth=d.date_of_birth),
        consumerCredit=t.ConsumerCredit(effectiveAnnualRate=credit.effective_annual_rate,
                                        contractDate=credit.contract_date) if credit else None)


def view_of(claim: Claim, facts=None) -> t.ClaimView:
    """facts: the claim's ClaimLegalFacts (limitation, moved deadlines, default interest);
    None shows the court deadlines by the calendar and no legal facts."""
    from gateway.service.court_dunning import court_deadlines_for

    a = claim.accounting
    court = claim.court
    deadlines = facts.deadlines if facts is not None else court_deadlines_for(claim)
    known = court != CourtDates()  # every deadline derives from a court date
    return t.ClaimView(
        claim=claim_out(claim.content), claimId=claim.id, state=claim.state.value,
        agencyFileNumber=claim.agency_file_number, agencyStatusCode=claim.agency_status_code,
        agencyStatusText=claim.agency_status_text,
        accounting=t.Accounting(
            totalDebts=a.total_debts, paid=a.paid, outstanding=a.outstanding,
            currentPayout=a.current_payout, sumPayout=a.sum_payout,
            payouts=[t.Payout(paidOutOn=p.paid_out_on, amount=p.amount, number=p.number)
                     for p in a.payouts] or None),
        rejectionReasons=list(claim.rejection_reasons) or None,
        deadlines=t.Deadlines(
            dunningOrderIssuedOn=court.dunning_order_issued_on,
            dunningOrderServedOn=court.dunning_order_served_on,
            enforcementOrderIssuedOn=court.enforcement_order_issued_on,
            objectionPeriodEndsOn=deadlines.objection_period_ends_on,
            enforcementOrderDeadline=deadlines.enforcement_order_deadline,
            limitationSuspensionEndsOn=deadlines.limitation_suspension_ends_on,
            enforcementOrderEarliestOn=deadlines.enforcement_order_earliest_on,
            objectionPeriodEndMoved=moved_date_of(deadlines.objection_period_end),
            enforcementOrderDeadlineMoved=moved_date_of(deadlines.enforcement_order_last_day),
            courtSeatState=deadlines.court_seat_state) if known else None,
        createdAt=claim.created_at, lastUpdate=claim.updated_at,
        handoverReadyOn=claim.handover_ready_on,
        dunningCourt=facts.court if facts is not None else None,
        limitation=limitation_of(facts.limitation, facts.court_seat_state)
        if facts is not None else None,
        defaultClaims=default_claims_of(facts.default_claims, facts.checked_on)
        if facts is not None else None)


def moved_date_of(moved) -> t.MovedDate | None:
    """A domain MovedDate -> the contract's, only when a rule moved it."""
    if moved is None or not moved.moved:
        return None
    return t.MovedDate(calendarDay=moved.original, movedTo=moved.moved_to, rule=moved.rule,
                       reason=moved.reason)


def limitation_of(limitation, court_seat_state: str | None) -> t.Limitation | None:
    if limitation is None:
        return None
    last_day = limitation.last_filing_day
    return t.Limitation(claimAroseOn=limitation.arose_on, claimAroseFrom=limitation.arose_from,
                        endsOn=limitation.ends_on, lastFilingDay=last_day.moved_to,
                        lastFilingDayMoved=moved_date_of(last_day),
                        courtSeatState=court_seat_state)


def default_claims_of(claims, up_to) -> t.DefaultClaims | None:
    if claims is None:
        return None
    begins, interest = claims.begins, claims.interest
    return t.DefaultClaims(
        upTo=up_to, flatFee=claims.flat_fee,
        defaultBeginsOn=begins.on if begins else None,
        defaultRule=begins.rule if begins else None,
        defaultReason=begins.reason if begins else None,
        interest=t.DefaultInterest(
            startsOn=interest.start, endsOn=interest.end, rule=interest.rule,
            pointsOverBaseRate=interest.points_over_base, total=interest.total,
            ratesConfirmed=interest.rates_confirmed,
            periods=[t.InterestPeriod(startsOn=p.start, endsOn=p.end, days=p.days,
                                      baseRate=p.base_rate.percent,
                                      baseRateValidFrom=p.base_rate.valid_from,
                                      baseRateStatus=p.base_rate.status.value, rate=p.rate,
                                      amount=p.amount) for p in interest.periods])
        if interest else None)


def event_of(event: ClaimEvent) -> t.HistoryEvent:
    details = [t.Detail(name=k, value=v if isinstance(v, str) else json.dumps(v, default=str))
               for k, v in sorted(event.details.items())]
    return t.HistoryEvent(at=event.at, actor=str(event.actor), what=event.what,
                          stateBefore=event.state_before.value if event.state_before else None,
                          stateAfter=event.state_after.value, details=details or None)


def preflight_of(p, checked_on) -> t.CourtDunningPreflight:
    return t.CourtDunningPreflight(
        allowed=p.allowed,
        reasons=[finding_of(r) for r in p.reasons],
        warnings=[finding_of(w) for w in p.warnings],
        limitationEndsOn=p.limitation_ends_on, court=p.court, courtFee=p.court_fee,
        catalogueNumber=p.catalogue_number, catalogueLabel=p.catalogue_label,
        limitation=limitation_of(p.limitation, p.court_seat_state),
        defaultClaims=default_claims_of(p.default_claims, checked_on))


def finding_of(finding) -> t.Finding:
    return t.Finding(code=finding.code.value, message=finding.message,
                     facts=[t.Detail(name=n, value=v) for n, v in finding.facts] or None)


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The shop's event sequence number behind a cursor; empty = from the beginning."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError
        seq = int(raw[len(_CURSOR_PREFIX):])
        if seq < 0:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed([FieldError("since", "is not a cursor this gateway issued; "
                                           "pass nextCursor from the previous answer")]) from None
    return seq


def _required_id(value: str | None, path: str = "shopClaimId") -> str:
    if not value or not value.strip():
        raise ValidationFailed([FieldError(path, "is required")])
    return value


def _item_errors(index: int, errors: list[FieldError]) -> list[FieldError]:
    prefix = f"claims[{index}]"
    return [FieldError(prefix + e.path[len("claim"):] if e.path.startswith("claim.") else
                       f"{prefix}.{e.path}", e.message) for e in errors]


def _item_error(index: int, shop_claim_id: str | None, exc: Exception,
                prefixed: bool = False) -> t.ClaimResult:
    fault = to_fault(exc, "SubmitClaims")
    if isinstance(fault, f.UnavailableFault):
        raise fault  # the database is gone: the whole call fails, the shop retries it
    field_errors = []
    if isinstance(exc, ValidationFailed):
        field_errors = exc.errors if prefixed else _item_errors(index, exc.errors)
    message = f.validation_message(field_errors) if field_errors else fault.faultstring
    return t.ClaimResult(index=index, shopClaimId=shop_claim_id, error=t.ItemError(
        code=fault.faultcode, message=message,
        fieldErrors=[t.FieldError(path=e.path, message=e.message) for e in field_errors] or None,
        reason=None if field_errors else fault.reason))


_REQ_ID = Unicode(min_occurs=1, nillable=False)
_OPT_TEXT = Unicode(min_occurs=0, nillable=False)
_RECEIPT_FAULTS = f.COMMON + [f.NotFoundFault, f.ConflictFault]


class ShopService(ServiceBase):
    @operation(t.Claim.customize(min_occurs=1, nillable=False), _returns=t.ClaimReceipt.customize(min_occurs=1, nillable=False),
         _out_variable_name="receipt", _throws=f.COMMON + [f.ConflictFault])
    def SubmitClaim(ctx, claim):
        result = use_cases.submit_claim(_gateway(ctx).uow, _shop(ctx), content_of(claim),
                                        now=_now(ctx))
        return receipt(result.claim, result.created)

    @operation(t.ClaimList.customize(min_occurs=1, nillable=False), _returns=t.ClaimResultList.customize(min_occurs=1, nillable=False),
         _out_variable_name="results", _throws=f.COMMON)
    def SubmitClaims(ctx, claims):
        env = ctx.transport.req_env
        items = list(claims or [])
        # The middleware took items the schema refused out of the batch (with their errors).
        indices = env.get(BATCH_INDICES_KEY) or list(range(len(items)))
        refused = env.get(BATCH_ERRORS_KEY) or {}
        if len(items) + len(refused) > t.MAX_BATCH:
            raise ValidationFailed([FieldError("claims", f"at most {t.MAX_BATCH} claims per call, "
                                               f"got {len(items) + len(refused)}")])
        uow, shop, now = _gateway(ctx).uow, _shop(ctx), _now(ctx)
        results = [_item_error(index, None, ValidationFailed(errors), prefixed=True)
                   for index, errors in refused.items()]
        for index, item in zip(indices, items):
            try:
                done = use_cases.submit_claim(uow, shop, content_of(item), now=now)
                results.append(t.ClaimResult(index=index, shopClaimId=item.shopClaimId,
                                             receipt=receipt(done.claim, done.created)))
            except Exception as exc:  # noqa: BLE001 - one bad item does not fail the others
                results.append(_item_error(index, item.shopClaimId, exc))
        results.sort(key=lambda r: r.index)
        return results

    @operation(_REQ_ID, _returns=t.ClaimView.customize(min_occurs=1, nillable=False), _out_variable_name="claim", _throws=_RECEIPT_FAULTS)
    def GetClaim(ctx, shopClaimId):
        from gateway.service.court_dunning import claim_with_legal_facts, court_date

        return view_of(*claim_with_legal_facts(_gateway(ctx).read_uow, _shop(ctx),
                                               _required_id(shopClaimId), court_date(_now(ctx))))

    @operation(_REQ_ID, _returns=t.ClaimHistory.customize(min_occurs=1, nillable=False), _out_variable_name="history",
         _throws=_RECEIPT_FAULTS)
    def GetClaimHistory(ctx, shopClaimId):
        claim, events = use_cases.get_history(_gateway(ctx).read_uow, _shop(ctx),
                                              _required_id(shopClaimId))
        return t.ClaimHistory(shopClaimId=claim.shop_claim_id,
                              events=[event_of(e) for e in events])

    @operation(_OPT_TEXT, Integer(min_occurs=0, nillable=False), _returns=t.ClaimChanges.customize(min_occurs=1, nillable=False),
         _out_variable_name="result", _throws=f.COMMON)
    def ListClaimChanges(ctx, since, limit):
        after = decode_cursor(since)
        limit = DEFAULT_CHANGES_LIMIT if limit is None else limit
        if not 1 <= limit <= MAX_CHANGES_LIMIT:
            raise ValidationFailed([FieldError("limit", f"must be between 1 and "
                                               f"{MAX_CHANGES_LIMIT}")])
        changes = use_cases.list_changes(_gateway(ctx).uow, _shop(ctx), after, limit)
        last = changes[-1].seq if changes else after
        return t.ClaimChanges(
            changes=[t.ClaimChange(sequence=c.seq, shopClaimId=c.shop_claim_id,
                                   event=event_of(c.event)) for c in changes],
            nextCursor=encode_cursor(last))

    @operation(_REQ_ID, _OPT_TEXT, _returns=t.ClaimReceipt.customize(min_occurs=1, nillable=False), _out_variable_name="receipt",
         _throws=_RECEIPT_FAULTS)
    def CancelClaim(ctx, shopClaimId, reason):
        if reason is not None and len(reason) > 1000:
            raise ValidationFailed([FieldError("reason", "must be at most 1000 characters")])
        claim = use_cases.cancel_claim(_gateway(ctx).uow, _shop(ctx), _required_id(shopClaimId),
                                       reason, now=_now(ctx))
        return receipt(claim, False)

    @operation(_REQ_ID, Date(min_occurs=1, nillable=False),
         t.Money.customize(min_occurs=1, nillable=False), _returns=t.ClaimReceipt.customize(min_occurs=1, nillable=False),
         _out_variable_name="receipt", _throws=_RECEIPT_FAULTS)
    def ReportDirectPayment(ctx, shopClaimId, paidOn, amount):
        claim = use_cases.report_direct_payment(_gateway(ctx).uow, _shop(ctx),
                                                _required_id(shopClaimId), paidOn,
                                                _money(amount), now=_now(ctx))
        return receipt(claim, False)

    @operation(_REQ_ID, _returns=t.CourtDunningPreflight.customize(min_occurs=1, nillable=False), _out_variable_name="preflight",
         _throws=_RECEIPT_FAULTS)
    def CheckCourtDunningOrder(ctx, shopClaimId):
        from gateway.service.court_dunning import check_court_dunning, court_date

        today = court_date(_now(ctx))
        return preflight_of(check_court_dunning(_gateway(ctx).read_uow, _shop(ctx),
                                                _required_id(shopClaimId), today=today), today)

    @operation(_REQ_ID, t.InstructionEnum(min_occurs=1, nillable=False), _REQ_ID, _OPT_TEXT,
         _returns=t.ClaimReceipt.customize(min_occurs=1, nillable=False), _out_variable_name="receipt",
         _throws=_RECEIPT_FAULTS + [f.DunningRefusedFault])
    def RequestCourtDunningOrder(ctx, shopClaimId, instruction, requestedBy, note):
        from gateway.service.court_dunning import request_court_dunning

        if note is not None and len(note) > 2000:
            raise ValidationFailed([FieldError("note", "must be at most 2000 characters")])
        claim, _preflight = request_court_dunning(
            _gateway(ctx).uow, _shop(ctx), _required_id(shopClaimId),
            CourtDunningInstruction(instruction), requestedBy, note, now=_now(ctx))
        return receipt(claim, False)


OPERATIONS = ("SubmitClaim", "SubmitClaims", "GetClaim", "GetClaimHistory", "ListClaimChanges",
              "CancelClaim", "ReportDirectPayment", "CheckCourtDunningOrder",
              "RequestCourtDunningOrder")


class ParsedSoap11(Soap11):
    """SOAP 1.1 that takes the envelope the facade already parsed (hardening.parse) instead
    of parsing the body a second time with a parser built for each request."""

    def create_in_document(self, ctx, charset=None):
        envelope = ctx.transport.req_env.get(ENVELOPE_KEY)
        if envelope is None:
            return super().create_in_document(ctx, charset)
        # No id/href table: multi-reference (SOAP-encoded) bodies are not document/literal.
        ctx.in_document = (envelope, {})

    def from_unicode(self, cls, value, *args, **kwargs):
        # The schema collapses whitespace around dates, numbers and booleans; Spyne does
        # not (" true " read as False, " 2024-01-01 " refused): strip it as the schema does.
        if isinstance(value, str) and not issubclass(cls, Unicode):
            value = value.strip()
        return super().from_unicode(cls, value, *args, **kwargs)


class FaultWritingSoap11(Soap11):
    """SOAP 1.1 out: writes every fault as the facade's Fault element (faults.fault_element),
    the detail exactly as the WSDL declares it and no faultstring of Spyne's own, which
    quotes the refused value; notes the fault for the facade's log line."""

    def fault_to_parent(self, ctx, cls, inst, parent, ns, *args, **kwargs):
        fault = inst if isinstance(inst, f.ShopFault) else spyne_fault(inst)
        req_env = getattr(ctx.transport, "req_env", None)
        if req_env is not None:
            req_env[FAULT_KEY] = fault
        parent.append(f.fault_element(fault.faultcode, fault.faultstring, fault.detail))

    schema_validation_error_to_parent = fault_to_parent


def spyne_fault(fault: Fault) -> f.ShopFault:
    """A fault Spyne raised itself (a value the schema took but Spyne cannot read): a
    declared fault whose message does not repeat the value, as Spyne's does."""
    if str(fault.faultcode).startswith("Client"):
        return f.ValidationErrorFault("invalid request: a value the schema accepts could not "
                                      "be read; send dates as YYYY-MM-DD, numbers without "
                                      "exponents")
    return f.ShopFault("internal error; the gateway logged it under this request's "
                       "correlation id")


def build_application(gateway: Any) -> Application:
    """A Spyne Application bound to one Gateway (several may run in one process).

    No Spyne validator: the middleware validates each body against the same schema
    with lxml first, so it can name every offending field by path. No xsi:type lookup:
    the contract has no polymorphism, and the schema has checked any xsi:type.
    """
    app = Application([ShopService], tns=t.NAMESPACE, name=t.SERVICE_NAME,
                      in_protocol=ParsedSoap11(validator=None, parse_xsi_type=False),
                      out_protocol=FaultWritingSoap11())
    # What the WSGI server would set: the binding's transport is SOAP over HTTP, also in
    # a document built without a server (the committed copy).
    app.transport = HTTP_TRANSPORT
    app.gateway = gateway
    return app


def own_spyne_logging() -> None:
    """The facade logs its faults itself (wsgi: one line per request, code and reason,
    no value). Spyne logs each of them at ERROR with a traceback, and invalid documents
    in full; its loggers go to a handler of their own, whatever was imported or
    configured first: records about faults are dropped, any other problem is one line
    without the record's text."""
    logs.contain("spyne", _about_a_fault)
    # Not even built: a record and traceback per client fault (the handler drops them).
    logging.getLogger("spyne.application.client").setLevel(logging.CRITICAL)


def _about_a_fault(record: logging.LogRecord) -> bool:
    exc = record.exc_info[1] if record.exc_info else None
    return isinstance(exc, Fault) or isinstance(record.msg, Fault)


def interface_document(application: Application, url: str) -> bytes:
    """The WSDL for the service with `url` as the endpoint address (built once, at start-up)."""
    from spyne.interface.wsdl import Wsdl11

    from lxml import etree

    wsdl = Wsdl11(application.interface)
    wsdl.build_interface_document(url)
    root = etree.fromstring(wsdl.get_interface_document())
    # Spyne emits types and messages in set order, which changes from process to process;
    # sort them so the published document (and its committed copy) is stable.
    xs = "{http://www.w3.org/2001/XMLSchema}"
    for schema in root.iter(f"{xs}schema"):
        _sort_children(schema, lambda el: (el.tag != f"{xs}import", el.tag, el.get("name") or ""))
    _sort_children(root, lambda el: (_WSDL_ORDER.get(etree.QName(el).localname, 9),
                                     el.get("name") or "" if el.tag.endswith("message") else ""))
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


_WSDL_ORDER = {"documentation": 0, "types": 1, "message": 2, "portType": 3, "binding": 4,
               "service": 5}


def _sort_children(parent, key) -> None:
    children = [c for c in parent if isinstance(c.tag, str)]
    for child in children:
        parent.remove(child)
    parent.extend(sorted(children, key=key))  # sorted() is stable: same-key order is kept
