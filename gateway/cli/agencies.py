"""`gateway connections ...` and `gateway accounts ...`: where claims go.

A connection is an agency endpoint and the adapter that speaks to it; an account is a
creditor's credentials at a connection; shops are put on accounts (`gateway shops set
SHOP --account NAME`), and several shops may share one.
"""
from __future__ import annotations

import click

from gateway import app
from gateway.service import agency_accounts as service
from gateway.service.agency_port import AgencyAuthFailed, AgencyError

from .base import cli, echo_changed, fail, settings_of


def _kinds() -> tuple[str, ...]:
    return tuple(sorted(app.ADAPTER_KINDS))


@cli.group()
def connections() -> None:
    """Agency connections: an endpoint and the adapter kind that speaks to it."""


@connections.command("add")
@click.argument("name")
@click.option("--kind", required=True, help="Adapter kind, e.g. mediafinanz-soap.")
@click.option("--url", "endpoint_url", help="The agency's endpoint (default: GATEWAY_AGENCY_URL).")
@click.option("--sandbox/--production", default=False, help="The agency's sandbox.")
@click.pass_context
def add_connection(ctx, name, kind, endpoint_url, sandbox) -> None:
    """Add connection NAME. Installation secrets come from the environment:
    GATEWAY_CONNECTION_<NAME>_APPLICATION_KEY (else GATEWAY_AGENCY_APPLICATION_KEY)."""
    with app.build(settings_of(ctx)) as gw:
        service.add_connection(gw.uow, name, kind, _kinds(), endpoint_url=endpoint_url,
                               sandbox=sandbox, now=gw.clock())
    click.echo(f"connection {name} added ({kind}, {endpoint_url or 'GATEWAY_AGENCY_URL'}"
               f"{', sandbox' if sandbox else ''})")


@connections.command("set")
@click.argument("name")
@click.option("--kind")
@click.option("--url", "endpoint_url")
@click.option("--sandbox/--production", default=None)
@click.pass_context
def set_connection(ctx, name, kind, endpoint_url, sandbox) -> None:
    """Change a connection (running workers pick it up when they restart)."""
    with app.build(settings_of(ctx)) as gw:
        changed = service.update_connection(gw.uow, name, _kinds(), kind=kind,
                                            endpoint_url=endpoint_url, sandbox=sandbox)
    echo_changed(f"connection {name}", changed)


@connections.command("list")
@click.pass_context
def list_connections(ctx) -> None:
    """List connections."""
    with app.build(settings_of(ctx)) as gw:
        with gw.read_uow() as uow:
            rows = uow.agencies.connections()
    click.echo(f"{'CONNECTION':<24} {'KIND':<18} {'SANDBOX':<8} ENDPOINT")
    for c in rows:
        click.echo(f"{c.name:<24} {c.kind:<18} {'yes' if c.sandbox else 'no':<8} "
                   f"{c.endpoint_url or '(GATEWAY_AGENCY_URL)'}")


@connections.command("check")
@click.argument("name")
@click.pass_context
def check_connection(ctx, name) -> None:
    """Ask the agency to accept each account of connection NAME."""
    with app.build(settings_of(ctx)) as gw:
        with gw.read_uow() as uow:
            if uow.agencies.connection(name) is None:
                fail(f"no connection {name!r}")
            accounts = [a.name for a in uow.agencies.accounts() if a.connection == name]
        if not accounts:
            fail(f"connection {name} has no accounts to check: add one with "
                 f"`gateway accounts add NAME --connection {name} --client-id ID`")
        _check(gw, accounts)


@cli.group()
def accounts() -> None:
    """Agency accounts: a creditor's credentials at a connection, shared by its shops."""


@accounts.command("add")
@click.argument("name")
@click.option("--connection", default=service.DEFAULT_CONNECTION, show_default=True)
@click.option("--client-id", required=True, help="The creditor's id at the agency.")
@click.option("--client-key", envvar="GATEWAY_NEW_ACCOUNT_CLIENT_KEY",
              help="Its secret (or GATEWAY_NEW_ACCOUNT_CLIENT_KEY): the SOAP client key, the "
                   "REST password.")
@click.option("--user", "user_name", help="A user name, where the agency wants one (REST).")
@click.pass_context
def add_account(ctx, name, connection, client_id, client_key, user_name) -> None:
    """Add account NAME on a connection."""
    with app.build(settings_of(ctx)) as gw:
        service.add_account(gw.uow, name, connection, client_id, client_key,
                            user_name=user_name, now=gw.clock())
    click.echo(f"account {name} added (connection {connection}, client id {client_id})")


@accounts.command("set")
@click.argument("name")
@click.option("--client-id")
@click.option("--client-key", envvar="GATEWAY_NEW_ACCOUNT_CLIENT_KEY")
@click.option("--user", "user_name")
@click.pass_context
def set_account(ctx, name, client_id, client_key, user_name) -> None:
    """Change an account's credentials."""
    with app.build(settings_of(ctx)) as gw:
        changed = service.update_account(gw.uow, name, client_id=client_id,
                                         client_key=client_key, user_name=user_name)
    echo_changed(f"account {name}", changed)


@accounts.command("list")
@click.pass_context
def list_accounts(ctx) -> None:
    """List accounts and the shops on each (never the keys)."""
    with app.build(settings_of(ctx)) as gw:
        with gw.read_uow() as uow:
            rows = [(a, uow.shops.on_account(a.name)) for a in uow.agencies.accounts()]
    click.echo(f"{'ACCOUNT':<24} {'CONNECTION':<20} {'CLIENT ID':<38} SHOPS")
    for account, shop_ids in rows:
        click.echo(f"{account.name:<24} {account.connection:<20} {account.client_id:<38} "
                   f"{', '.join(shop_ids) or '-'}")


@accounts.command("check")
@click.argument("name")
@click.pass_context
def check_account(ctx, name) -> None:
    """Ask the agency whether it accepts account NAME."""
    with app.build(settings_of(ctx)) as gw:
        _check(gw, [name])


def _check(gw, names: list[str]) -> None:
    agencies = app.AgencyRegistry(gw.settings)
    failed = 0
    try:
        for name in names:
            try:
                with gw.read_uow() as uow:
                    agency, creds = agencies.route(uow, name)
                agency.check_credentials(creds)
            except AgencyAuthFailed as exc:
                failed += 1
                click.echo(f"account {name}: REFUSED: {exc}")
            except AgencyError as exc:
                failed += 1
                click.echo(f"account {name}: UNREACHABLE: {exc}")
            else:
                click.echo(f"account {name}: OK (client id {creds.client_id})")
    finally:
        agencies.close()
    if failed:
        fail(f"{failed} of {len(names)} account(s) not accepted")


@accounts.command("unmatched")
@click.argument("name", required=False)
@click.pass_context
def unmatched(ctx, name) -> None:
    """Agency changes for file numbers no claim has (of account NAME, or of all)."""
    from gateway.sync.store import unmatched_changes

    with app.build(settings_of(ctx)) as gw:
        rows = unmatched_changes(gw.engine, name)
    if not rows:
        click.echo("no unmatched agency changes")
        return
    click.echo(f"{'ACCOUNT':<24} {'FILE NUMBER':<13} {'CODE':<6} {'CHANGED AT':<20} STATUS")
    for r in rows:
        changed = f"{r.changed_at:%Y-%m-%d %H:%M}" if r.changed_at else "-"
        click.echo(f"{r.account:<24} {r.file_number:<13} {r.status_code:<6} {changed:<20} "
                   f"{r.status_text or ''}".rstrip())
