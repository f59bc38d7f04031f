"""`gateway claims ...`: reading claims as an operator."""
from __future__ import annotations

from itertools import islice

import click

from gateway import app
from gateway.domain.lifecycle import ClaimState
from gateway.domain.errors import NotFound
from gateway.service import claims as claim_service

from .base import cli, fail, settings_of


@cli.group()
def claims() -> None:
    """Claims handed over by shops."""


@claims.command("list")
@click.option("--shop", "shop_id", help="Only this shop's claims.")
@click.option("--status", "state", type=click.Choice([s.value for s in ClaimState],
                                                     case_sensitive=False))
@click.option("--limit", type=click.IntRange(1, 100000), default=100, show_default=True)
@click.pass_context
def list_(ctx, shop_id, state, limit) -> None:
    """List claims, newest last (no debtor data)."""
    with app.build(settings_of(ctx)) as gw, gw.read_uow() as uow:
        ids = list(islice(uow.claims.iter_ids(states=[state.upper()] if state else None,
                                              shop_id=shop_id), limit))
        found = uow.claims.get_many(ids)  # one query, not one per claim
    click.echo(f"{'SHOP':<16} {'CLAIM':<24} {'STATE':<28} {'PRINCIPAL':>12} FILE NUMBER")
    if not ids:
        click.echo("no claims match")
    for c in (found[i] for i in ids):
        click.echo(f"{c.shop_id:<16} {c.shop_claim_id:<24} {c.state.value:<28} "
                   f"{c.content.principal:>12} {c.agency_file_number or '-'}")


@claims.command("show")
@click.argument("shop_id")
@click.argument("shop_claim_id")
@click.pass_context
def show(ctx, shop_id, shop_claim_id) -> None:
    """Show one claim and its history. Debtor data is shown to operators on purpose."""
    with app.build(settings_of(ctx)) as gw:
        try:
            claim, events = claim_service.get_history(gw.read_uow, shop_id, shop_claim_id)
        except NotFound:
            fail(f"shop {shop_id} has no claim {shop_claim_id}")
    c, d = claim.content, claim.debtor
    name = d.company if d.kind.value == "COMPANY" else " ".join(filter(None, [d.first_name, d.last_name]))
    lines = [
        ("claim", f"{shop_id} / {c.shop_claim_id} (internal id {claim.id})"),
        ("state", claim.state.value),
        ("agency", f"account {claim.agency_account or '-'}, reference "
                   f"{claim.agency_reference or '-'}, file {claim.agency_file_number or '-'}, status "
                   f"{claim.agency_status_code or '-'} {claim.agency_status_text or ''}".rstrip()),
        ("type", c.claim_type.value),
        ("principal", f"{c.principal} EUR + dunning fees {c.dunning_fees} EUR"),
        ("dates", f"origin {c.date_of_origin}, due {c.due_date or '-'}, "
                  f"last reminder {c.date_of_last_reminder or '-'}"),
        ("debtor", f"{name}, {d.postcode} {d.city}, {d.country}"),
        ("accounting", f"paid {claim.accounting.paid}, outstanding {claim.accounting.outstanding}, "
                       f"paid out {claim.accounting.sum_payout}"),
    ]
    if claim.rejection_reasons:
        lines.append(("rejected", "; ".join(claim.rejection_reasons)))
    for label, value in lines:
        click.echo(f"{label:>11}: {value}")
    click.echo("\nhistory:")
    for e in events:
        before = e.state_before.value if e.state_before else "-"
        extra = f" {e.details}" if e.details else ""
        click.echo(f"  {e.at:%Y-%m-%d %H:%M:%S}  {str(e.actor):<24} {e.what:<26} "
                   f"{before} -> {e.state_after.value}{extra}")
