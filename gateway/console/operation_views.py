"""The dashboard, deliveries that failed (retry), agency changes without a claim, and the
audit trail."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, redirect, render_template, request, url_for

from gateway.store import outbox_store
from gateway.sync.store import unmatched_changes

from . import charts, export, formatting, store
from .accounts import write_audit
from .claim_views import today
from .store import AuditedUnitOfWork, audit_entry, reading
from .web import address, console, notice, staff

blueprint = Blueprint("operations", __name__)

PROBLEM_STATES = (outbox_store.FAILED, outbox_store.DEAD)
MONTHS = 12


def _count(value) -> str:
    return f"{int(value):,}".replace(",", ".")


def _euros(value) -> str:
    return formatting.money(Decimal(value)).replace(",00 €", " €")


@blueprint.route("/")
def dashboard():
    gw, member = console().gw, staff()
    scope = member.shop_scope
    months = store.months_back(today(gw), MONTHS)
    with reading(gw.engine) as conn:
        by_state = store.counts_by(conn, store.claims.c.state, scope)
        by_account = store.counts_by(conn, store.claims.c.agency_account, scope)
        handed_over = store.handed_over_by_month(conn, scope, months)
        collected = store.collected_by_month(conn, scope, months)
        deliveries = store.delivery_counts(conn, scope)
    state_chart = charts.bars("Forderungen je Zustand",
                              [(formatting.state_label(s), n) for s, n in by_state], _count)
    account_chart = charts.bars("Forderungen je Agenturkonto",
                                [(a or "(noch keins)", n) for a, n in by_account], _count)
    month_chart = charts.columns(
        "Übergeben und eingezogen je Monat",
        [(f"{m[5:]}/{m[2:4]}", [handed_over[m], collected[m]]) for m in months],
        ["übergeben", "eingezogen"], _euros)
    return render_template("dashboard.html", by_state=by_state, state_chart=state_chart,
                           account_chart=account_chart, month_chart=month_chart,
                           months=months, handed_over=handed_over, collected=collected,
                           total=sum(n for _, n in by_state), deliveries=deliveries)


# -- deliveries -----------------------------------------------------------------------------
def _states(raw: str | None) -> tuple[str, ...]:
    return (raw,) if raw in PROBLEM_STATES else PROBLEM_STATES


@blueprint.route("/deliveries")
def deliveries():
    gw, member = console().gw, staff()
    states = _states(request.args.get("state"))
    if request.args.get("format") == "csv":
        return _deliveries_csv(gw, member, states)
    with reading(gw.engine) as conn:
        rows = store.deliveries(conn, member.shop_scope, states,
                                after=request.args.get("after", type=int),
                                limit=store.PAGE_SIZE + 1)
        counts = store.delivery_counts(conn, member.shop_scope)
    older = rows[store.PAGE_SIZE - 1].id if len(rows) > store.PAGE_SIZE else None
    return render_template("deliveries.html", rows=rows[:store.PAGE_SIZE], counts=counts,
                           state=request.args.get("state"), older=older)


def _deliveries_csv(gw, member, states):
    write_audit(gw, audit_entry(gw.clock(), member.name, "csv_export", address(),
                                list="deliveries", filters={"state": list(states)}))

    def batches():
        after = None
        while True:
            with reading(gw.engine) as conn:
                rows = store.deliveries(conn, member.shop_scope, states, after=after, limit=1000)
            if not rows:
                return
            yield [(r.id, r.shop_id, r.shop_claim_id, formatting.MESSAGE_KIND_LABELS.get(r.kind,
                    r.kind), formatting.DELIVERY_STATE_LABELS.get(r.state, r.state), r.attempts,
                    (r.last_error or "").splitlines()[0] if r.last_error else "", r.created_at,
                    r.updated_at) for r in rows]
            after = rows[-1].id

    return export.response(f"zustellungen-{today(gw).isoformat()}.csv",
                           ["Nr.", "Shop", "Forderung", "Nachricht", "Zustand", "Versuche",
                            "Letzter Fehler", "Angelegt", "Aktualisiert"], batches())


@blueprint.route("/deliveries/<int:row_id>/retry", methods=["POST"])
def retry(row_id: int):
    gw, member = console().gw, staff()
    with reading(gw.engine) as conn:
        row = outbox_store.get_row(conn, row_id)
    if row is None or not member.sees_shop(row.shop_id):
        abort(404)
    if not member.may_operate:
        abort(403)
    entry = audit_entry(gw.clock(), member.name, "delivery_retried", address(), row.shop_id,
                        row.claim_id, delivery=row.id, kind=row.kind, was=row.state)
    with AuditedUnitOfWork(gw.engine, entry) as uow:
        # Only a failed or dead row goes back (another operator may have been quicker).
        if outbox_store.requeue(uow.conn, [row.id], gw.clock()):
            uow.commit()
            notice(f"Zustellung {row.id} wird erneut versucht.")
        else:
            notice(f"Zustellung {row.id} ist nicht mehr fehlgeschlagen oder aufgegeben; "
                   "nichts wiederholt.")
    return redirect(url_for("operations.deliveries", state=request.form.get("state") or None),
                    303)


# -- agency changes without a claim ---------------------------------------------------------
def _unmatched(gw, member) -> list:
    if member.shop_scope is None:
        return unmatched_changes(gw.engine, limit=500)
    with reading(gw.engine) as conn:
        accounts = [a.name for a in store.accounts_in_scope(conn, member.shop_scope)]
    rows = [c for a in accounts for c in unmatched_changes(gw.engine, a, limit=500)]
    return sorted(rows, key=lambda c: c.received_at)


@blueprint.route("/unmatched")
def unmatched():
    gw, member = console().gw, staff()
    if not member.may_see_unmatched:
        abort(403)
    rows = _unmatched(gw, member)
    if request.args.get("format") == "csv":
        write_audit(gw, audit_entry(gw.clock(), member.name, "csv_export", address(),
                                    list="unmatched", rows=len(rows)))
        return export.response(
            f"agenturmeldungen-ohne-forderung-{today(gw).isoformat()}.csv",
            ["Agenturkonto", "Aktenzeichen", "Statuscode", "Statustext", "Gemeldet am",
             "Empfangen"],
            [[(c.account, c.file_number, c.status_code, c.status_text, c.changed_at,
               c.received_at) for c in rows]])
    return render_template("unmatched.html", rows=rows)


# -- the audit trail ------------------------------------------------------------------------
@blueprint.route("/audit")
def audit():
    gw, member = console().gw, staff()
    if not member.may_read_audit:
        abort(403)
    actor = (request.args.get("actor") or "").strip()[:128] or None
    action = (request.args.get("action") or "").strip()[:32] or None
    if request.args.get("format") == "csv":
        write_audit(gw, audit_entry(gw.clock(), member.name, "csv_export", address(),
                                    list="audit", filters={"actor": actor, "action": action}))
        return export.response(f"audit-{today(gw).isoformat()}.csv",
                               ["Nr.", "Zeit", "Wer", "Aktion", "Adresse", "Shop", "Forderung",
                                "Einzelheiten"], _audit_batches(gw, actor, action))
    with reading(gw.engine) as conn:
        rows = store.audit_page(conn, actor=actor, action=action,
                                after=request.args.get("after", type=int),
                                limit=store.PAGE_SIZE + 1)
        actions = store.audit_actions(conn)
    older = rows[store.PAGE_SIZE - 1].id if len(rows) > store.PAGE_SIZE else None
    return render_template("audit.html", rows=rows[:store.PAGE_SIZE], actions=actions,
                           actor=actor, action=action, older=older)


def _audit_batches(gw, actor, action):
    after = None
    while True:
        with reading(gw.engine) as conn:
            rows = store.audit_page(conn, actor=actor, action=action, after=after, limit=1000)
        if not rows:
            return
        yield [(r.id, r.at, r.actor, formatting.AUDIT_LABELS.get(r.action, r.action), r.address,
                r.shop_id, r.shop_claim_id, _details(r.details)) for r in rows]
        after = rows[-1].id


def _details(details: dict | None) -> str:
    """An audit row's or event's details as one line: "instruction=DUNNING_ONLY, ..."."""
    def text(value) -> str:
        if isinstance(value, bool):
            return "ja" if value else "nein"
        if isinstance(value, (list, tuple)):
            return "/".join(text(v) for v in value)
        if isinstance(value, dict):
            return "{" + _details(value) + "}"
        return str(value)
    return ", ".join(f"{k}={text(v)}" for k, v in (details or {}).items()
                     if v not in (None, "", []))


@blueprint.app_template_filter("audit_details")
def audit_details(details):
    return _details(details)


@blueprint.route("/reviews")
def reviews():
    return redirect(url_for("claims.claims", review=1), 303)
