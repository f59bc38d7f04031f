"""`gateway purge`: DSGVO retention for closed claims."""
from __future__ import annotations

from datetime import date

import click

from gateway import app
from gateway.service.retention import purge_closed_before

from .base import cli, fail, settings_of


@cli.command("purge")
@click.option("--closed-before", "closed_before", required=True,
              type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@click.pass_context
def purge(ctx, closed_before, dry_run) -> None:
    """Anonymise debtor data of claims closed before a date; amounts and history stay."""
    cutoff: date = closed_before.date()
    with app.build(settings_of(ctx)) as gw:
        try:
            report = purge_closed_before(gw.uow, cutoff, dry_run=dry_run, now=gw.clock())
        except ValueError as exc:
            fail(str(exc))
    verb = "would anonymise" if dry_run else "anonymised"
    for shop_id, shop_claim_id in report.anonymised:
        click.echo(f"  {shop_id} / {shop_claim_id}")
    click.echo(f"{verb} debtor data of {len(report.anonymised)} claim(s) closed before {cutoff}"
               f"; {report.already_anonymised} already anonymised")
