"""`gateway doctor`: check configuration, database, schema and agency access."""
from __future__ import annotations

import sys

import click

from gateway.doctor import FAIL, run_checks

from .base import cli


@cli.command("doctor")
@click.pass_context
def doctor(ctx) -> None:
    """Check configuration, database, schema and each shop's agency credentials."""
    failed = 0
    for check in run_checks(ctx.find_root().obj.get("config_file")):
        click.echo(check.line())
        failed += check.status == FAIL
    if failed:
        click.echo(f"{failed} check(s) failed", err=True)
        sys.exit(1)
    click.echo("all checks passed")
