"""`gateway demo`: the whole flow in one command, for a newcomer."""
from __future__ import annotations

import io
import sys
import time

import click

from gateway import logs

from .base import cli

STATE_STYLE = {"RECEIVED": "white", "SUBMITTED": "cyan", "REJECTED": "red", "PAID": "green",
               "CANCELLED": "magenta", "UNCOLLECTIBLE": "yellow", "NEEDS_REVIEW": "bold red"}


@cli.command("demo")
@click.option("--speed", type=click.FloatRange(0.5, 50), default=4.0, show_default=True,
              help="Simulated agency days per second.")
@click.option("--claims", type=click.IntRange(5, 200), default=30, show_default=True,
              help="Valid claims the scripted shop submits (plus 5 the gateway or agency refuse).")
@click.option("--seed", type=int, default=7, show_default=True)
def demo(speed: float, claims: int, seed: int) -> None:
    """Run facade, worker, sync and a simulated agency on a temporary database, with a scripted shop."""
    from rich.console import Console
    from rich.live import Live

    from gateway.demo.run import run_demo

    # The parts log JSON; in a demo the table is the interface, so logs go to a buffer
    # and only reach the terminal when something goes wrong.
    log_buffer = io.StringIO()
    logs.configure("warning", "json", stream=log_buffer)
    console = Console()
    click.echo("inkasso-gateway demo: facade, outbox worker, sync and a SIMULATED agency on a "
               "temporary SQLite database; the agency's days pass in seconds.")
    last_line = [0.0]
    if console.is_terminal:
        with Live(console=console, refresh_per_second=4, transient=False) as live:
            result = run_demo(speed=speed, seed=seed, claims=claims,
                              render=lambda rows, res, phase: live.update(_table(rows, phase)))
    else:
        def plain(rows, res, phase):
            if time.monotonic() - last_line[0] >= 3:
                last_line[0] = time.monotonic()
                states = ", ".join(f"{k} {v}" for k, v in sorted(res.states.items()))
                click.echo(f"[{phase}] {states}")
        result = run_demo(speed=speed, seed=seed, claims=claims, render=plain)
    _summary(result)
    if not result.ok:
        click.echo("\nlogs of the run:", err=True)
        click.echo(log_buffer.getvalue()[-5000:], err=True)
        sys.exit(1)


def _table(rows, phase: str):
    from rich.table import Table

    table = Table(title=f"claims of demo-shop: {phase}", expand=False)
    for header in ("claim", "debtor", "principal", "state", "agency status"):
        table.add_column(header)
    for c in rows:
        debtor = "company" if c.debtor.kind.value == "COMPANY" else "person"
        style = STATE_STYLE.get(c.state.value, "blue")
        table.add_row(c.shop_claim_id, debtor, f"{c.content.principal} EUR",
                      f"[{style}]{c.state.value}[/{style}]",
                      f"{c.agency_status_code or ''} {c.agency_status_text or ''}".strip())
    return table


def _summary(result) -> None:
    click.echo(f"\nsummary after {result.duration_s:.1f} s")
    click.echo("claims by state:")
    for state, count in sorted(result.states.items()):
        click.echo(f"  {state:<28} {count}")
    click.echo("refused by the gateway (SOAP fault to the shop, nothing stored):")
    for claim, text in result.gateway_refusals:
        click.echo(f"  {claim}: {text}")
    click.echo("refused by the agency (claim REJECTED, reasons kept):")
    for claim, text in result.agency_refusals:
        click.echo(f"  {claim}: {text}")
    click.echo(f"cancelled by the shop: {result.cancelled_claim}; direct payment reported: "
               f"{result.paid_claim}")
    if result.court_claim and result.court_view is not None:
        v, d = result.court_view, result.court_view.deadlines
        click.echo(f"court dunning for {result.court_claim} (requested by staff): now {v.state}")
        if d is not None:
            click.echo(f"  served {d.dunningOrderServedOn}, objection period ends "
                       f"{d.objectionPeriodEndsOn}, enforcement order no later than "
                       f"{d.enforcementOrderDeadline}")
    if result.other_agencies:
        click.echo("one claim id from three shops: two storefronts on one agency account (SOAP), "
                   "one shop on the REST agency:")
        for shop, account, reference, number, state in result.other_agencies:
            click.echo(f"  {shop:<16} account {account:<13} reference {reference:<22} "
                       f"file {number}  {state}")
    if result.ok:
        click.echo("\nthe flow behaved as expected.")
    else:
        click.echo("\nthe flow did NOT behave as expected:", err=True)
        for problem in result.problems:
            click.echo(f"  - {problem}", err=True)
