"""Claims: the filtered list (and its CSV), a claim's page, requesting the court dunning
order through a confirmation step, and resolving a review."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial

from flask import Blueprint, abort, redirect, render_template, request, url_for

from gateway.domain.court_dunning import (Preflight, UnknownCourt, court_deadlines,
                                          preflight)
from gateway.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import Claim, CourtDunningInstruction, MessageKind
from gateway.domain.money import format_eur
from gateway.service import court_dunning as dunning_service
from gateway.service.review import RESOLUTION_STATES, resolve_review, state_before_review

from . import export, formatting, store
from .accounts import write_audit
from .store import AuditedUnitOfWork, ClaimFilter, audit_entry, reading
from .web import address, console, log, notice, staff

blueprint = Blueprint("claims", __name__)


def today(gw) -> date:
    """The calendar day in Germany, from the gateway's clock (court and limitation days)."""
    return dunning_service.court_date(gw.clock())


# -- the list -------------------------------------------------------------------------------
def _filter(args) -> ClaimFilter:
    state = args.get("state") or None
    if state not in ClaimState.__members__:
        state = None

    def text(name: str) -> str | None:
        return (args.get(name) or "").strip()[:64] or None

    return ClaimFilter(scope=staff().shop_scope, shop=text("shop"), state=state,
                       account=text("account"), connection=text("connection"),
                       needs_review=bool(args.get("review")),
                       candidate=bool(args.get("candidate")),
                       limitation_soon=bool(args.get("limitation")), search=text("q"))


def confirmed_candidates(gw, rows: list, day: date) -> list:
    """The rows whose claim passes the court dunning preflight itself (the list's SQL
    mirrors it; a row where the two disagree is left out and logged)."""
    if not rows:
        return rows
    with gw.read_uow() as uow:
        found = uow.claims.get_many([r.id for r in rows])
        shops = {s.id: s for s in uow.shops.list()}
    kept = []
    for row in rows:
        claim, shop = found.get(row.id), shops.get(row.shop_id)
        try:
            allowed = claim is not None and shop is not None and preflight(
                claim, day, shop.seat, shop.catalogue_overrides).allowed
        except DomainError:  # the shop's seat or catalogue is misconfigured: it cannot go
            allowed = False
        if allowed:
            kept.append(row)
        else:
            log.warning("court dunning candidate filter and preflight disagree", claim_id=row.id)
    return kept


@blueprint.route("/claims")
def claims():
    gw, member = console().gw, staff()
    f = _filter(request.args)
    day = today(gw)
    if request.args.get("format") == "csv":
        return _claims_csv(gw, f, day)
    with reading(gw.engine) as conn:
        page = store.claim_page(conn, f, day, with_debtor=member.may_see_debtor,
                                after=request.args.get("after", type=int),
                                before=request.args.get("before", type=int))
        total = store.count_claims(conn, f, day)
        shop_ids = store.all_shop_ids(conn) if member.admin else sorted(member.shops)
        accounts = store.accounts_in_scope(conn, member.shop_scope)
    if f.candidate:
        page.rows = confirmed_candidates(gw, page.rows, day)
    return render_template("claims.html", page=page, total=total, f=f, query=f.as_query(),
                           shop_ids=shop_ids, accounts=accounts,
                           connections=sorted({a.connection for a in accounts}),
                           limitation_ends=store.limitation_ends)


CSV_HEADER = ["Shop", "Forderung", "Zustand", "Zustandscode", "Art", "Hauptforderung",
              "Mahngebühren", "Gesamtforderung", "Bezahlt", "Offen", "Ausgezahlt",
              "Agenturkonto", "Aktenzeichen", "Entstanden", "Fällig", "Verjährung endet",
              "Eingegangen", "Aktualisiert"]
CSV_DEBTOR_HEADER = ["Schuldner", "Straße", "Hausnummer", "PLZ", "Ort", "Land", "E-Mail",
                     "Telefon"]


def _csv_row(row, with_debtor: bool) -> list:
    values = [row.shop_id, row.shop_claim_id, formatting.state_label(row.state), row.state,
              formatting.CLAIM_TYPE_LABELS.get(row.claim_type, row.claim_type), row.principal,
              row.dunning_fees, row.total_debts, row.paid, row.outstanding, row.sum_payout,
              row.agency_account, row.agency_file_number, row.date_of_origin, row.due_date,
              store.limitation_ends(row), row.created_at, row.updated_at]
    if with_debtor:
        values += [formatting.debtor_name(row), row.street, row.house_number, row.postcode,
                   row.city, row.country, row.email, row.phone]
    return values


def _claims_csv(gw, f: ClaimFilter, day: date):
    member = staff()
    with_debtor = member.may_see_debtor
    with reading(gw.engine) as conn:
        count = store.count_claims(conn, f, day)
    write_audit(gw, audit_entry(gw.clock(), member.name, "csv_export", address(),
                                list="claims", filters=f.as_query(), rows=count,
                                debtor_data=with_debtor))

    def batches():
        for rows in store.iter_claims(gw.engine, f, day, with_debtor=with_debtor):
            if f.candidate:
                rows = confirmed_candidates(gw, rows, day)
            yield [_csv_row(r, with_debtor) for r in rows]

    header = CSV_HEADER + (CSV_DEBTOR_HEADER if with_debtor else [])
    return export.response(f"forderungen-{day.isoformat()}.csv", header, batches())


# -- one claim ------------------------------------------------------------------------------
def load_claim(claim_id: int) -> tuple[Claim, list]:
    """The claim and its history, if the staff member sees its shop; else 404 (another
    shop's claim is indistinguishable from none)."""
    gw = console().gw
    with gw.read_uow() as uow:
        claim = uow.claims.get_by_id(claim_id)
        if claim is None or not staff().sees_shop(claim.shop_id):
            abort(404)
        return claim, uow.claims.events(claim.id)


def check(claim: Claim) -> tuple[Preflight | None, str | None]:
    """The preflight as of today, or the configuration error that prevents it."""
    gw = console().gw
    try:
        return dunning_service.check_court_dunning(gw.read_uow, claim.shop_id,
                                                   claim.shop_claim_id, today(gw)), None
    except NotFound:
        abort(404)
    except DomainError as exc:  # an unknown seat or catalogue override of the shop
        return None, str(exc)


@blueprint.route("/claims/<int:claim_id>")
def claim(claim_id: int):
    gw = console().gw
    found, events = load_claim(claim_id)
    result, config_error = check(found)
    with reading(gw.engine) as conn:
        requests = store.dunning_requests(conn, found.id)
        deliveries = store.claim_deliveries(conn, found.id)
    return render_template(
        "claim.html", claim=found, events=events, preflight=result, config_error=config_error,
        deadlines=_deadlines(found, result), requests=requests,
        deliveries=deliveries, resolution_states=RESOLUTION_STATES,
        suggested_state=state_before_review(events))


def _deadlines(claim: Claim, result: Preflight | None):
    """The court deadlines, moved by § 222 (2) ZPO at the competent court's seat when the
    court is known (else calendar dates, the earliest possible)."""
    try:
        return court_deadlines(claim.court, result.court if result else None)
    except UnknownCourt:
        return court_deadlines(claim.court)


# -- the court dunning order ----------------------------------------------------------------
def _dunning_page(claim: Claim, result: Preflight | None, config_error: str | None,
                  status: int = 200, error: str | None = None, instruction: str | None = None,
                  note: str = ""):
    return render_template("dunning.html", claim=claim, preflight=result,
                           config_error=config_error, error=error,
                           instructions=formatting.INSTRUCTION_LABELS,
                           chosen=instruction, note=note), status


@blueprint.route("/claims/<int:claim_id>/court-dunning", methods=["GET", "POST"])
def court_dunning(claim_id: int):
    gw, member = console().gw, staff()
    found, _ = load_claim(claim_id)
    if not member.may_request_dunning:
        abort(403)
    result, config_error = check(found)
    if request.method == "GET":
        return _dunning_page(found, result, config_error)
    raw = request.form.get("instruction", "")
    note = (request.form.get("note") or "").strip()[:2000]
    instruction = CourtDunningInstruction.__members__.get(raw)
    if instruction is None:
        return _dunning_page(found, result, config_error, 422,
                             "Bitte wählen Sie, wie es nach einem Widerspruch weitergehen soll.")
    step = request.form.get("step")
    if step == "confirm":
        if result is None or not result.allowed:
            # The claim changed since the first page: the page explains every reason now.
            return _dunning_page(found, result, config_error, 409, instruction=raw, note=note)
        return render_template("dunning_confirm.html", claim=found, preflight=result,
                               instruction=instruction, note=note,
                               instruction_label=formatting.INSTRUCTION_LABELS[instruction])
    if step != "submit":
        abort(400)
    # The service checks again, on the claim locked for update: its answer counts.
    facts = {} if result is None else dict(
        court=result.court, limitationEndsOn=result.limitation_ends_on.isoformat(),
        courtFee=format_eur(result.court_fee) if result.court_fee is not None else None)
    entry = audit_entry(gw.clock(), member.name, "court_dunning_requested", address(),
                        found.shop_id, found.id, instruction=instruction.value, **facts)
    try:
        dunning_service.request_court_dunning(
            partial(AuditedUnitOfWork, gw.engine, entry), found.shop_id, found.shop_claim_id,
            instruction, member.name, note or None, now=gw.clock())
    except DomainError as exc:  # refused, conflicting, invalid, or the shop misconfigured
        refused = exc.preflight if isinstance(exc, dunning_service.DunningRefused) else result
        write_audit(gw, audit_entry(
            gw.clock(), member.name, "court_dunning_refused", address(), found.shop_id,
            found.id, instruction=instruction.value, error=type(exc).__name__,
            reasons=[r.code.value for r in refused.reasons] if refused else []))
        current, _ = load_claim(claim_id)
        current_result, current_error = check(current)
        return _dunning_page(current, current_result, current_error,
                             409 if isinstance(exc, Conflict) else 422,
                             _refusal(exc), instruction=raw, note=note)
    return redirect(url_for("claims.court_dunning_result", claim_id=found.id), 303)


def _refusal(exc: DomainError) -> str:
    if isinstance(exc, dunning_service.DunningRefused):
        return "Der Antrag wurde nicht gestellt: die Prüfung hat Gründe dagegen gefunden " \
               "(siehe unten)."
    if isinstance(exc, Conflict):
        return ("Der Antrag wurde nicht gestellt: die Forderung ist bereits im gerichtlichen "
                f"Verfahren oder hat sich gerade geändert. Meldung: {exc}")
    return f"Der Antrag wurde nicht gestellt: {exc}"


@blueprint.route("/claims/<int:claim_id>/court-dunning/result")
def court_dunning_result(claim_id: int):
    gw = console().gw
    found, _ = load_claim(claim_id)
    with reading(gw.engine) as conn:
        requests = store.dunning_requests(conn, found.id)
        handovers = [d for d in store.claim_deliveries(conn, found.id)
                     if d.kind == MessageKind.HAND_OVER_TO_LAWYER.value]
    if not requests:
        return redirect(url_for("claims.claim", claim_id=found.id), 303)
    checked = requests[-1].preflight or {}  # the preflight as it was, stored with the request
    fee, ends = checked.get("courtFee"), checked.get("limitationEndsOn")
    return render_template("dunning_result.html", claim=found, request_row=requests[-1],
                           fee=Decimal(fee) if fee else None,
                           limitation=date.fromisoformat(ends) if ends else None,
                           handover=handovers[-1] if handovers else None,
                           instruction_label=formatting.instruction_label(
                               requests[-1].instruction))


# -- reviews --------------------------------------------------------------------------------
@blueprint.route("/claims/<int:claim_id>/review", methods=["POST"])
def resolve(claim_id: int):
    gw, member = console().gw, staff()
    found, _ = load_claim(claim_id)
    if not member.may_operate:
        abort(403)
    state = ClaimState.__members__.get(request.form.get("state", ""))
    entry = audit_entry(gw.clock(), member.name, "review_resolved", address(), found.shop_id,
                        found.id, resolvedTo=state.value if state else None)
    try:
        if state is None:
            raise ValidationFailed([])
        resolve_review(partial(AuditedUnitOfWork, gw.engine, entry), found.shop_id,
                       found.shop_claim_id, state, member.name, gw.clock())
    except (Conflict, ValidationFailed) as exc:
        write_audit(gw, dict(entry, action="review_refused", at=gw.clock(),
                             details=dict(entry["details"], error=type(exc).__name__)))
        notice("Prüfung nicht abgeschlossen: " + (
            "bitte einen Zustand wählen." if state is None or isinstance(exc, ValidationFailed)
            else f"die Forderung ist nicht mehr zu prüfen ({exc})."))
    else:
        notice(f"Prüfung abgeschlossen: die Forderung ist jetzt "
               f"„{formatting.state_label(state)}“.")
    return redirect(url_for("claims.claim", claim_id=found.id), 303)
