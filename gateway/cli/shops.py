"""`gateway shops ...`: onboarding shops."""
from __future__ import annotations

import click

from gateway import app
from gateway.domain.handover import (DEFAULT_DAYS_AFTER_DUE, DEFAULT_DAYS_AFTER_REMINDER, MAX_DAYS,
                                     HandoverMode, HandoverPolicy)
from gateway.service.agency_accounts import put_shop_on_account
from gateway.service.shops import add_shop, update_shop

from .base import cli, echo_changed, fail, settings_of

SEATS = ("BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "NW-KOELN", "RP", "SL", "SN",
         "ST", "SH", "TH")
HANDOVER_POLICIES = {"immediate": HandoverMode.IMMEDIATE,
                     "when-in-default": HandoverMode.WHEN_IN_DEFAULT}
_DAYS = click.IntRange(0, MAX_DAYS)


def handover_options(command):
    """--handover-policy and its two minimum waits, shared by `shops add` and `shops set`."""
    command = click.option(
        "--handover-days-after-reminder", type=_DAYS, metavar="N",
        help=f"when-in-default: at least N days after the last reminder (default "
             f"{DEFAULT_DAYS_AFTER_REMINDER}).")(command)
    command = click.option(
        "--handover-days-after-due", type=_DAYS, metavar="N",
        help=f"when-in-default: at least N days after the due date (default "
             f"{DEFAULT_DAYS_AFTER_DUE}).")(command)
    return click.option(
        "--handover-policy", type=click.Choice(list(HANDOVER_POLICIES)),
        help="immediate (default): claims go to the agency as they arrive; when-in-default: "
             "a claim waits until the debtor is in default (§ 286 BGB) and the days below "
             "have passed, and the worker hands it over on that day.")(command)


@cli.group()
def shops() -> None:
    """Shops (creditors) that may use the facade."""


@shops.command("add")
@click.argument("shop_id")
@click.option("--password", help="At least 12 characters; generated and printed when omitted.")
@click.option("--account", help="The agency account its claims go to (`gateway accounts add`).")
@click.option("--seat", type=click.Choice(SEATS, case_sensitive=False),
              help="Federal state of the shop's seat (picks the dunning court).")
@click.option("--reference-prefix", help="1-6 of A-Z 0-9 put before its claim ids in the "
                                         "references the agency gets (default: from the id).")
@click.option("--agency-client-id", help="Shorthand for an account on the default connection: "
                                         "the creditor's client id there.")
@click.option("--agency-client-key", envvar="GATEWAY_NEW_SHOP_AGENCY_CLIENT_KEY",
              help="With --agency-client-id: its client key (or GATEWAY_NEW_SHOP_AGENCY_CLIENT_KEY).")
@click.option("--sandbox/--production", default=False,
              help="With --agency-client-id: the agency's sandbox.")
@handover_options
@click.pass_context
def add(ctx, shop_id, password, account, seat, reference_prefix, agency_client_id,
        agency_client_key, sandbox, handover_policy, handover_days_after_due,
        handover_days_after_reminder) -> None:
    """Register SHOP_ID; its facade user name is the shop id."""
    settings = settings_of(ctx)
    handover = HandoverPolicy(
        HANDOVER_POLICIES[handover_policy or "immediate"],
        DEFAULT_DAYS_AFTER_DUE if handover_days_after_due is None else handover_days_after_due,
        DEFAULT_DAYS_AFTER_REMINDER if handover_days_after_reminder is None
        else handover_days_after_reminder)
    with app.build(settings) as gw:
        result = add_shop(gw.uow, shop_id, password=password, account=account,
                          seat=seat.upper() if seat else None,
                          reference_prefix=reference_prefix.upper() if reference_prefix else None,
                          agency_client_id=agency_client_id,
                          agency_client_key=agency_client_key, agency_sandbox=sandbox,
                          handover=handover, now=gw.clock())
        account = result.shop.agency_account
        if account is None and settings.simulator_in_process:
            # The zero-config sandbox: a simulated agency client of the shop's own.
            account = app.give_sandbox_account(gw, shop_id) + " (simulated sandbox client)"
    click.echo(f"shop {shop_id} added (agency account {account or '- (claims wait for one)'}"
               f", reference prefix {result.shop.reference_prefix}, hand-over "
               f"{result.shop.handover})")
    if result.password_generated:
        click.echo(f"password: {result.password}")
        click.echo("store it now: only a hash is kept.")


@shops.command("set")
@click.argument("shop_id")
@click.option("--password", help="A new password (at least 12 characters).")
@click.option("--seat", type=click.Choice(SEATS, case_sensitive=False))
@click.option("--account", help="Put the shop on this agency account: its claims from now on "
                                "go there (claims handed over before stay where they are).")
@click.option("--agency-client-id", help="Shorthand: the account of this client id on the "
                                         "default connection.")
@click.option("--agency-client-key", envvar="GATEWAY_NEW_SHOP_AGENCY_CLIENT_KEY")
@click.option("--sandbox/--production", default=None)
@handover_options
@click.pass_context
def set_(ctx, shop_id, password, seat, account, agency_client_id, agency_client_key,
         sandbox, handover_policy, handover_days_after_due, handover_days_after_reminder) -> None:
    """Change a shop's password, seat, agency account or hand-over policy (claims waiting
    already keep their hand-over day)."""
    if account and (agency_client_id or agency_client_key or sandbox is not None):
        fail("give --account or the --agency-client-* shorthand, not both", 2)
    with app.build(settings_of(ctx)) as gw:
        changed = update_shop(gw.uow, shop_id, password=password,
                              seat=seat.upper() if seat else None,
                              agency_client_id=agency_client_id,
                              agency_client_key=agency_client_key, agency_sandbox=sandbox,
                              handover_mode=HANDOVER_POLICIES[handover_policy]
                              if handover_policy else None,
                              handover_days_after_due=handover_days_after_due,
                              handover_days_after_reminder=handover_days_after_reminder,
                              now=gw.clock())
        if account:
            waiting = put_shop_on_account(gw.uow, shop_id, account)
            changed.append(f"agency_account ({waiting} waiting claim(s) follow)")
    echo_changed(f"shop {shop_id}", changed)


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
    click.echo(f"{'SHOP':<24} {'AGENCY ACCOUNT':<24} {'PREFIX':<7} {'SEAT':<9} "
               f"{'CREATED':<17} HAND-OVER")
    for s in rows:
        click.echo(f"{s.id:<24} {s.agency_account or '-':<24} {s.reference_prefix or '-':<7} "
                   f"{s.seat or '-':<9} {s.created_at:%Y-%m-%d %H:%M} {s.handover}")
