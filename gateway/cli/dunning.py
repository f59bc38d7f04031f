"""`gateway dunning ...`: court dunning orders (Mahnbescheid) for staff without a shop backend."""
from __future__ import annotations

import sys

import click

from gateway import app
from gateway.domain.court_dunning import Code, Preflight
from gateway.domain.errors import Conflict, NotFound, ValidationFailed
from gateway.domain.model import CourtDunningInstruction
from gateway.domain.money import format_eur
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
    """Show whether the claim may go to the dunning court today, and why not."""
    with app.build(settings_of(ctx)) as gw:
        result = _preflight(gw, shop_id, shop_claim_id)
    _show(shop_id, shop_claim_id, result)


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


def _rows(shop_id: str, shop_claim_id: str, result: Preflight) -> list[tuple[str, str]]:
    """The preflight as (label, value) rows; reasons and warnings one row each."""
    rows = [("claim", f"{shop_id} / {shop_claim_id}"),
            ("result", "ALLOWED" if result.allowed else "REFUSED")]
    rows += [("reason", f"{r.code.value}: {r.message}") for r in result.reasons]
    rows += [("warning", f"{w.code.value}: {w.message}") for w in result.warnings]
    rows += [
        ("limitation", f"ends on {result.limitation_ends_on.isoformat()}"),
        ("court", result.court),
        ("court fee", f"{format_eur(result.court_fee)} EUR" if result.court_fee is not None
         else "- (no positive EUR principal)"),
        ("catalogue", f"{result.catalogue_number} {result.catalogue_label}"),
    ]
    return rows


def _show(shop_id: str, shop_claim_id: str, result: Preflight) -> None:
    rows = _rows(shop_id, shop_claim_id, result)
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
