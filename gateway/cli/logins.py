"""`gateway logins ...`: the login throttle's delays and lockouts, and lifting them."""
from __future__ import annotations

import click

from gateway import app
from gateway.service.login_throttle import ADDRESS, SHOP, address_key, unlock as forget
from gateway.store.login_throttle_store import SqlLoginFailureStore

from .base import fail, settings_of


@click.group("logins")
def command() -> None:
    """Failed logins at the shop facade, per shop id and client address."""


@command.command("list")
@click.pass_context
def list_(ctx) -> None:
    """Shop ids and addresses with remembered failed logins, and whether they are blocked."""
    with app.build(settings_of(ctx)) as gw:
        rows = SqlLoginFailureStore(gw.engine).list()
        now = gw.clock()
    if not rows:
        click.echo("no failed logins remembered")
        return
    click.echo(f"{'KIND':<8} {'SUBJECT':<40} {'FAILURES':>8} {'LAST FAILURE (UTC)':<19}  STATE")
    for r in rows:
        state = (f"{'locked out' if r.locked else 'delayed'} until "
                 f"{r.blocked_until:%Y-%m-%d %H:%M:%S}" if r.blocks(now) else "-")
        click.echo(f"{r.kind:<8} {r.subject:<40} {r.failures:>8} "
                   f"{r.last_failure_at:%Y-%m-%d %H:%M:%S}  {state}")


@command.command("unlock")
@click.option("--shop", "shop_id", help="Lift the shop id's delay or lockout.")
@click.option("--address", help="Lift the client address's delay or lockout (an IPv6 "
                                "address lifts its /64).")
@click.pass_context
def unlock(ctx, shop_id, address) -> None:
    """Lift a delay or lockout and forget the failures behind it."""
    if (shop_id is None) == (address is None):
        fail("give --shop SHOP or --address ADDRESS (one of them)")
    kind, subject = (SHOP, shop_id) if shop_id is not None else (ADDRESS, address_key(address))
    if not subject:
        fail("the address is empty")
    with app.build(settings_of(ctx)) as gw:
        found = forget(SqlLoginFailureStore(gw.engine), kind, subject)
    if not found:
        fail(f"no failed logins remembered for {kind} {subject}")
    click.echo(f"{kind} {subject}: unlocked, its failed logins forgotten")
