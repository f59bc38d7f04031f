"""`gateway staff ...`: the accounting console's staff accounts."""
from __future__ import annotations

import sys

import click

from gateway import app
from gateway.console import accounts
from gateway.console.roles import Role
from gateway.console.store import list_staff, reading

from .base import echo_changed, fail, settings_of

ROLES = [r.value for r in Role]


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("--password-stdin: no password on standard input")
    return password


@click.group("staff")
def command() -> None:
    """Staff of the accounting console (/console): roles, shops, passwords, lockouts."""


@command.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="viewer: reads claims without debtor data; accountant: + debtor data, "
                   "requests court dunning orders; operator: + retries deliveries, resolves "
                   "reviews, unmatched agency changes.")
@click.option("--admin", is_flag=True, help="Sees every shop, debtor data and the audit trail "
                                            "(does what the role allows).")
@click.option("--shop", "shops", multiple=True, metavar="SHOP",
              help="A shop whose claims the member sees (repeat for several).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password (at least 12 characters) from standard input instead of "
                   "generating one.")
@click.pass_context
def add(ctx, name, role, admin, shops, password_stdin) -> None:
    """Add a staff member NAME (lower case; the login name) and print their password once."""
    password = _stdin_password() if password_stdin else None
    with app.build(settings_of(ctx)) as gw:
        new = accounts.add_staff(gw, name, role, admin=admin, shops=set(shops),
                                 password=password)
    scope = "every shop (administrator)" if admin else (", ".join(sorted(new.member.shops))
                                                        or "no shop yet")
    click.echo(f"staff member {new.member.name} added: role {role}, sees {scope}")
    if new.password_generated:
        click.echo(f"password: {new.password}")
        click.echo("store it now: only a hash is kept.")


@command.command("list")
@click.option("--all", "include_removed", is_flag=True, help="Also removed staff members.")
@click.pass_context
def list_(ctx, include_removed) -> None:
    """Staff members with role, shops, last login and login lockouts."""
    with app.build(settings_of(ctx)) as gw:
        with reading(gw.engine) as conn:
            rows = list_staff(conn, include_removed)
        failures = accounts.login_failures(gw)
        now = gw.clock()
    if not rows:
        click.echo("no staff yet: add one with `gateway staff add NAME --role ROLE --admin`")
        return
    click.echo(f"{'NAME':<24} {'ROLE':<11} {'ADMIN':<5} {'SHOPS':<30} {'LAST LOGIN (UTC)':<16}  "
               "LOGIN")
    for r in rows:
        m = r.member
        shops = "(all)" if m.admin else (",".join(sorted(m.shops)) or "-")
        failed = failures.get(m.name)
        if r.removed_at is not None:
            state = f"removed {r.removed_at:%Y-%m-%d}"
        elif failed is not None and failed.blocks(now):
            state = (f"{'locked out' if failed.locked else 'delayed'} until "
                     f"{failed.blocked_until:%Y-%m-%d %H:%M:%S}")
        elif failed is not None:
            state = f"{failed.failures} failed"
        else:
            state = "-"
        last = f"{r.last_login_at:%Y-%m-%d %H:%M}" if r.last_login_at else "-"
        click.echo(f"{m.name:<24} {m.role.value:<11} {'yes' if m.admin else 'no':<5} "
                   f"{shops:<30} {last:<16}  {state}")


@command.command("set")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--admin/--no-admin", default=None)
@click.option("--shop", "shops", multiple=True, metavar="SHOP",
              help="The member's shops from now on (replaces them; repeat for several).")
@click.option("--add-shop", multiple=True, metavar="SHOP")
@click.option("--remove-shop", multiple=True, metavar="SHOP")
@click.option("--no-shops", is_flag=True, help="Take every shop away.")
@click.option("--password-stdin", is_flag=True, help="A new password from standard input.")
@click.option("--new-password", is_flag=True, help="Generate a new password and print it.")
@click.pass_context
def set_(ctx, name, role, admin, shops, add_shop, remove_shop, no_shops, password_stdin,
         new_password) -> None:
    """Change a staff member's role, administrator flag, shops or password (a new password
    ends their sessions)."""
    if password_stdin and new_password:
        fail("give --password-stdin or --new-password, not both", 2)
    if no_shops and shops:
        fail("give --shop or --no-shops, not both", 2)
    password = _stdin_password() if password_stdin else None
    if new_password:
        from gateway.service.passwords import generate_password

        password = generate_password()
    with app.build(settings_of(ctx)) as gw:
        changed = accounts.update_staff(
            gw, name, role=role, admin=admin,
            shops=set() if no_shops else (set(shops) if shops else None),
            add_shops=set(add_shop), remove_shops=set(remove_shop), password=password)
    echo_changed(f"staff member {name}", changed)
    if new_password and changed:
        click.echo(f"password: {password}")
        click.echo("store it now: only a hash is kept.")


@command.command("remove")
@click.argument("name")
@click.pass_context
def remove(ctx, name) -> None:
    """Remove a staff member: no more logins, sessions end; the name stays taken (the audit
    trail names them)."""
    with app.build(settings_of(ctx)) as gw:
        accounts.remove_staff(gw, name)
    click.echo(f"staff member {name} removed")


@command.command("unlock")
@click.argument("name")
@click.pass_context
def unlock(ctx, name) -> None:
    """Lift a staff member's login delay or lockout and forget their failed logins."""
    with app.build(settings_of(ctx)) as gw:
        found = accounts.unlock_staff(gw, name)
    if not found:
        fail(f"no failed logins remembered for staff member {name}")
    click.echo(f"staff member {name}: unlocked, failed logins forgotten")

