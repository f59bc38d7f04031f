"""`gateway outbox ...`: what the dispatcher could not deliver, and replaying it."""
from __future__ import annotations

import click

from gateway import app
from gateway.store import outbox_store as store

from .base import fail, settings_of


@click.group("outbox")
def command() -> None:
    """Outbox rows: messages for the agency (no debtor data is shown)."""


@command.command("list")
@click.option("--state", type=click.Choice(store.STATES), help="Only rows in this state.")
@click.option("--limit", type=click.IntRange(1, 100000), default=100, show_default=True)
@click.pass_context
def list_(ctx, state, limit) -> None:
    """List rows, newest first, with counts per state."""
    with app.build(settings_of(ctx)) as gw:
        with gw.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            counts = store.counts(conn)
            rows = store.list_rows(conn, state, limit)
    click.echo("  ".join(f"{s}: {n}" for s, n in counts.items()))
    if not rows:
        click.echo("no rows match")
        return
    click.echo(f"{'ID':>8} {'STATE':<8} {'KIND':<22} {'CLAIM':>8} {'SHOP':<16} {'TRIES':>5} "
               f"{'NEXT TRY (UTC)':<19} LAST ERROR")
    for r in rows:
        next_try = f"{r.available_at:%Y-%m-%d %H:%M:%S}" if r.state == store.PENDING else "-"
        error = (r.last_error or "-").splitlines()[0][:60]
        click.echo(f"{r.id:>8} {r.state:<8} {r.kind:<22} {r.claim_id:>8} {r.shop_id:<16} "
                   f"{r.attempts:>5} {next_try:<19} {error}")


@command.command("show")
@click.argument("row_id", type=int)
@click.pass_context
def show(ctx, row_id) -> None:
    """Show one row in full (its payload holds dates, amounts and instructions only)."""
    with app.build(settings_of(ctx)) as gw:
        with gw.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            r = store.get_row(conn, row_id)
    if r is None:
        fail(f"no outbox row {row_id}")
    for label, value in (("id", r.id), ("state", r.state), ("kind", r.kind),
                         ("claim id", r.claim_id), ("shop", r.shop_id), ("payload", r.payload),
                         ("attempts", r.attempts), ("created", r.created_at),
                         ("next try", r.available_at if r.state == store.PENDING else "-"),
                         ("leased by", r.leased_by or "-"),
                         ("leased until", r.leased_until or "-"),
                         ("completed", r.completed_at or "-"),
                         ("last error", r.last_error or "-")):
        click.echo(f"{label + ':':<14}{value}")


@command.command("retry")
@click.argument("row_id", type=int, required=False)
@click.option("--all-dead", is_flag=True, help="Every dead row.")
@click.pass_context
def retry(ctx, row_id, all_dead) -> None:
    """Put a failed or dead row (or every dead row) back to pending, with fresh attempts."""
    if (row_id is None) == (not all_dead):
        fail("give a row ID or --all-dead (not both)")
    with app.build(settings_of(ctx)) as gw:
        with gw.engine.begin() as conn:
            if all_dead:
                ids = store.dead_ids(conn)
            else:
                row = store.get_row(conn, row_id)
                if row is None:
                    fail(f"no outbox row {row_id}")
                if row.state not in (store.FAILED, store.DEAD):
                    fail(f"outbox row {row_id} is {row.state}; only failed or dead rows are retried")
                ids = [row_id]
            count = store.requeue(conn, ids, gw.clock())
    click.echo(f"{count} row(s) queued again")
