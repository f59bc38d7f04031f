"""`gateway db ...`: schema management."""
from __future__ import annotations

import click

from gateway.store import schema
from gateway.store.database import check_reachable, make_engine, safe_url

from .base import cli, settings_of


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Create the database schema, or upgrade it to this version."""
    settings = settings_of(ctx)
    engine = make_engine(settings.database_url)
    try:
        check_reachable(engine)
        before, after = schema.upgrade(engine)
    finally:
        engine.dispose()
    where = safe_url(engine)
    if before == after:
        click.echo(f"{where}: schema already at revision {after}")
    else:
        click.echo(f"{where}: schema upgraded from {before or 'empty'} to {after}")


@db.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the schema revision of the database and the one this gateway needs."""
    settings = settings_of(ctx)
    engine = make_engine(settings.database_url)
    try:
        check_reachable(engine)
        current = schema.current_revision(engine)
    finally:
        engine.dispose()
    head = schema.head_revision()
    state = "up to date" if current == head else "OUT OF DATE: run `gateway db upgrade`"
    click.echo(f"database revision {current or 'none'}, code revision {head}: {state}")
