"""`gateway dunning ...`: court dunning orders (Mahnbescheid) for staff without a shop backend."""
from __future__ import annotations

import sys

import click

from gateway import app
from gateway.domain.court_dunning import Code, CourtDeadlines, Preflight
from gateway.domain.errors import Conflict, NotFound, ValidationFailed
from gateway.domain.interest import DefaultClaims
from gateway.domain.model import CourtDunningInstruction
from gateway.domain.money import format_eur
from gateway.domain.working_days import MovedDate
from gateway.service import court_dunning as dunning_service

from .base import fail, settings_of

INSTRUCTIONS = {
    "dunning-only": CourtDunningInstruction.DUNNING_ONLY,
    "dunning-then-lawsuit": CourtDunningInstruction.DUNNING_THEN_LAWSUIT,
}


@click.group("dunning")
def command() -> None:
    """Court dunning procedure: check a claim, request the order through the agency's lawyer."""


@command.command("check")
@click.argument("shop_id")
@click.argument("shop_claim_id")
@click.pass_context
def check(ctx, shop_id, shop_claim_id) -> None:
    """Show whether the claim may go to the dunning court today and why not, the last day to
    file (moved by § 193 BGB), default interest and the flat fee, and the court deadlines of a
    claim in the court procedure (moved by § 222 (2) ZPO)."""
    with app.build(settings_of(ctx)) as gw:
        result = _preflight(gw, shop_id, shop_claim_id)
        _, facts = dunning_service.claim_with_legal_facts(
            gw.read_uow, shop_id, shop_claim_id, dunning_service.court_date(gw.clock()))
    _show(shop_id, shop_claim_id, result, facts.deadlines)


@command.command("request")
@click.argument("shop_id")
@click.argument("shop_claim_id")
@click.option("--instruction", required=True, type=click.Choice(list(INSTRUCTIONS)),
              help="dunning-only: order and enforcement order; dunning-then-lawsuit: sue on "
                   "objection.")
@click.option("--by", "requested_by", required=True, metavar="NAME",
              help="Who decided (kept in the audit record).")
@click.option("--note", help="Why, for the audit record.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.pass_context
def request(ctx, shop_id, shop_claim_id, instruction, requested_by, note, yes) -> None:
    """Check the claim, confirm, and hand it to the agency's lawyer for the court dunning order."""
    if not yes and not sys.stdin.isatty():
        # Nobody can answer the question: refuse rather than request unconfirmed.
        fail("no terminal to confirm on: pass --yes to request without confirmation")
    with app.build(settings_of(ctx)) as gw:
        _request(gw, shop_id, shop_claim_id, instruction, requested_by, note, yes)


def _request(gw: app.Gateway, shop_id: str, shop_claim_id: str, instruction: str,
             requested_by: str, note: str | None, yes: bool) -> None:
    result = _preflight(gw, shop_id, shop_claim_id)
    _show(shop_id, shop_claim_id, result)
    if Code.ALREADY_IN_COURT_DUNNING in result.reason_codes:
        fail(f"claim {shop_claim_id} is already in the court procedure: a request is pending")
    if not result.allowed:
        fail(str(dunning_service.DunningRefused(result)))
    if not yes:
        click.confirm(f"Request the court dunning order for {shop_id} / {shop_claim_id} "
                      f"({instruction})?", abort=True)
    try:
        claim, _ = dunning_service.request_court_dunning(
            gw.uow, shop_id, shop_claim_id, INSTRUCTIONS[instruction], requested_by, note,
            now=gw.clock())
    except NotFound:
        fail(f"shop {shop_id} has no claim {shop_claim_id}")
    except (Conflict, ValidationFailed, dunning_service.DunningRefused) as exc:
        # The claim may have changed since the check above: the service's answer counts.
        fail(str(exc))
    click.echo(f"court dunning requested: {shop_id} / {shop_claim_id} is "
               f"{claim.state.value}; the lawyer hand-over is queued for the agency")


def _preflight(gw: app.Gateway, shop_id: str, shop_claim_id: str) -> Preflight:
    try:
        return dunning_service.check_court_dunning(gw.read_uow, shop_id, shop_claim_id,
                                                   today=dunning_service.court_date(gw.clock()))
    except NotFound:
        fail(f"shop {shop_id} has no claim {shop_claim_id}")


def _rows(shop_id: str, shop_claim_id: str, result: Preflight,
          deadlines: CourtDeadlines | None = None) -> list[tuple[str, str]]:
    """The preflight as (label, value) rows; reasons, warnings and interest periods one row
    each; a moved date names the rule that moved it and why."""
    limitation = result.limitation
    rows = [("claim", f"{shop_id} / {shop_claim_id}"),
            ("result", "ALLOWED" if result.allowed else "REFUSED")]
    rows += [("reason", f"{r.code.value}: {r.message}") for r in result.reasons]
    rows += [("warning", f"{w.code.value}: {w.message}") for w in result.warnings]
    rows += [
        ("limitation", f"ends on {result.limitation_ends_on.isoformat()}"),
        ("claim arose", f"{limitation.arose_on.isoformat()} (its {limitation.arose_from}; "
                        "§ 199 (1) BGB)"),
        ("last filing day", _moved(limitation.last_filing_day)),
        ("court", f"{result.court} (holidays of {result.court_seat_state})"),
        ("court fee", f"{format_eur(result.court_fee)} EUR" if result.court_fee is not None
         else "- (no positive EUR principal)"),
        ("catalogue", f"{result.catalogue_number} {result.catalogue_label}"),
    ]
    rows += _default_rows(result.default_claims)
    if deadlines is not None and deadlines.objection_period_end is not None:
        rows += [("objection ends", _moved(deadlines.objection_period_end)),
                 ("enforcement from", f"{deadlines.enforcement_order_earliest_on.isoformat()}"
                                      " (§ 699 (1) 2 ZPO: after the objection period)"),
                 ("enforcement until", _moved(deadlines.enforcement_order_last_day))]
    return rows


def _moved(day: MovedDate) -> str:
    if not day.moved:
        return day.moved_to.isoformat()
    return (f"{day.moved_to.isoformat()} (moved from {day.original.isoformat()} by {day.rule}: "
            f"{day.reason})")


def _default_rows(claims: DefaultClaims | None) -> list[tuple[str, str]]:
    if claims is None:
        return [("default", "- (not reckoned: no positive EUR principal, or default began "
                            "before the base-rate table)")]
    begins, interest = claims.begins, claims.interest
    rows = [("default", f"from {begins.on.isoformat()} ({begins.rule}: {begins.reason})"
             if begins else "- (nothing known puts the debtor in default, § 286 BGB)")]
    if interest is not None:
        points = f"{interest.points_over_base:f}"
        rows.append(("interest", f"{format_eur(interest.total)} EUR from "
                                 f"{interest.start.isoformat()} to {interest.end.isoformat()} "
                                 f"({interest.rule}: base rate + {points} points)"))
        rows += [("interest period", f"{p.start.isoformat()} to {p.end.isoformat()}, "
                                     f"{p.days} days at {p.rate:f} % (base rate "
                                     f"{p.base_rate.percent:f} % {p.base_rate.status.value}): "
                                     f"{format_eur(p.amount)} EUR") for p in interest.periods]
    elif begins is not None:
        rows.append(("interest", f"- (default begins {begins.on.isoformat()})"))
    rows.append(("flat fee", f"{format_eur(claims.flat_fee)} EUR (§ 288 (5) BGB"
                             f"{'' if claims.flat_fee else ': only against a business in default'})"))
    return rows


def _show(shop_id: str, shop_claim_id: str, result: Preflight,
          deadlines: CourtDeadlines | None = None) -> None:
    rows = _rows(shop_id, shop_claim_id, result, deadlines)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title="court dunning preflight", show_header=False)
        table.add_column(style="bold")
        table.add_column()
        for label, value in rows:
            style = {"REFUSED": "red", "ALLOWED": "green"}.get(value)
            style = style or {"reason": "red", "warning": "yellow"}.get(label)
            # Text, not markup: a claim id or message with [brackets] prints as it is.
            table.add_row(label, Text(value), style=style)
        Console().print(table)
        return
    # Pipes and logs get plain, aligned text that grep and diff can work with.
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        click.echo(f"{label:>{width}}: {value}")
