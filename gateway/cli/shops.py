"""`gateway shops ...`: onboarding shops."""
from __future__ import annotations

import click

from gateway import app
from gateway.service.shops import KNOWN_AGENCIES, add_shop, update_shop

from .base import cli, fail, settings_of

SEATS = ("BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "NW-KOELN", "RP", "SL", "SN",
         "ST", "SH", "TH")


@cli.group()
def shops() -> None:
    """Shops (creditors) that may use the facade."""


@shops.command("add")
@click.argument("shop_id")
@click.option("--password", help="At least 12 characters; generated and printed when omitted.")
@click.option("--agency", type=click.Choice(KNOWN_AGENCIES), default="mediafinanz", show_default=True)
@click.option("--seat", type=click.Choice(SEATS, case_sensitive=False),
              help="Federal state of the shop's seat (picks the dunning court).")
@click.option("--agency-client-id", help="The shop's client id at the agency.")
@click.option("--agency-client-key", envvar="GATEWAY_NEW_SHOP_AGENCY_CLIENT_KEY",
              help="The shop's client key at the agency (or GATEWAY_NEW_SHOP_AGENCY_CLIENT_KEY).")
@click.option("--sandbox/--production", default=False, help="Use the agency's sandbox.")
@click.pass_context
def add(ctx, shop_id, password, agency, seat, agency_client_id, agency_client_key, sandbox) -> None:
    """Register SHOP_ID; its facade user name is the shop id."""
    with app.build(settings_of(ctx)) as gw:
        result = add_shop(gw.uow, shop_id, password=password, agency=agency,
                          seat=seat.upper() if seat else None, agency_client_id=agency_client_id,
                          agency_client_key=agency_client_key, agency_sandbox=sandbox,
                          now=gw.clock())
    click.echo(f"shop {shop_id} added (agency {agency})")
    if result.password_generated:
        click.echo(f"password: {result.password}")
        click.echo("store it now: only a hash is kept.")


@shops.command("set")
@click.argument("shop_id")
@click.option("--password", help="A new password (at least 12 characters).")
@click.option("--seat", type=click.Choice(SEATS, case_sensitive=False))
@click.option("--agency-client-id")
@click.option("--agency-client-key", envvar="GATEWAY_NEW_SHOP_AGENCY_CLIENT_KEY")
@click.option("--sandbox/--production", default=None)
@click.pass_context
def set_(ctx, shop_id, password, seat, agency_client_id, agency_client_key, sandbox) -> None:
    """Change a shop's password, seat or agency credentials."""
    with app.build(settings_of(ctx)) as gw:
        changed = update_shop(gw.uow, shop_id, password=password,
                              seat=seat.upper() if seat else None,
                              agency_client_id=agency_client_id,
                              agency_client_key=agency_client_key, agency_sandbox=sandbox,
                          now=gw.clock())
    click.echo(f"shop {shop_id}: changed {', '.join(changed)}" if changed
               else f"shop {shop_id}: nothing to change")


@shops.command("digest-secret")
@click.argument("shop_id")
@click.pass_context
def digest_secret(ctx, shop_id) -> None:
    """Print the secret SHOP_ID uses for WS-Security PasswordDigest (needs GATEWAY_SECRET_KEY).

    It derives from the installation key and the shop's password hash, so changing the
    shop's password changes it.
    """
    from gateway.shop_api.auth import digest_secret_for

    settings = settings_of(ctx)
    if not settings.secret_key:
        fail("GATEWAY_SECRET_KEY is not set: PasswordDigest is off on this installation", 2)
    with app.build(settings) as gw:
        with gw.read_uow() as uow:
            stored = uow.shops.password_hash(shop_id)
    if stored is None:
        fail(f"no shop {shop_id!r}")
    click.echo(digest_secret_for(settings.secret_key, shop_id, stored))


@shops.command("list")
@click.pass_context
def list_(ctx) -> None:
    """List shops."""
    with app.build(settings_of(ctx)) as gw:
        with gw.read_uow() as uow:
            rows = uow.shops.list()
    if not rows:
        click.echo("no shops yet: add one with `gateway shops add SHOP_ID`")
        return
    click.echo(f"{'SHOP':<24} {'AGENCY':<12} {'CLIENT ID':<12} {'SEAT':<9} CREATED")
    for s in rows:
        click.echo(f"{s.id:<24} {s.agency:<12} {s.agency_client_id or '-':<12} {s.seat or '-':<9} "
                   f"{s.created_at:%Y-%m-%d %H:%M}")
