"""`gateway agency-sim`: run the mediafinanz-style agency simulator in the foreground."""
from __future__ import annotations

from datetime import datetime, timezone

import click

DEFAULT_PORT = 8090


def _client(value: str) -> tuple[int, str]:
    client_id, sep, key = value.partition(":")
    if not sep or not client_id.strip().isdigit() or not key:
        raise click.BadParameter(f"expected ID:KEY with a numeric ID, got {value!r}")
    return int(client_id), key


@click.command("agency-sim")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option("--latency-ms", default=0.0, show_default=True, type=click.FloatRange(0),
              help="added to every SOAP call")
@click.option("--fail-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="share of SOAP calls that get a fault from the seeded schedule")
@click.option("--seed", default=0, show_default=True, type=int,
              help="seeds file numbers, claim stories and the fault schedule")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(0),
              help="simulated days per real second (0: time stands still)")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the agency's calendar starts on this day (UTC midnight) instead of today")
@click.option("--client", "clients", multiple=True, metavar="ID:KEY",
              help="accepted clientId:clientKey pair (repeatable); default 1001:dev-client-key-1001")
@click.option("--application-key", envvar="GATEWAY_AGENCY_APPLICATION_KEY", default=None,
              help="application licence key clients use (default: the development key)")
@click.option("--threads", default=64, show_default=True, type=click.IntRange(1, 1024),
              help="WSGI worker threads")
def command(host: str, port: int, latency_ms: float, fail_rate: float, seed: int, speed: float,
            start: datetime | None, clients: tuple[str, ...], application_key: str | None,
            threads: int) -> None:
    """Run the agency simulator (SOAP at /mediafinanz, JSON control at /_sim/*)."""
    from gateway.agencies.simulator import DEFAULT_APPLICATION_KEY, DEFAULT_CLIENTS, serve

    accepted = dict(_client(c) for c in clients) or dict(DEFAULT_CLIENTS)

    def ready(url: str) -> None:
        # Client ids only: keys are secrets even in development.
        click.echo(f"agency simulator on {url} (WSDL: GET {url}); clients "
                   f"{', '.join(str(c) for c in sorted(accepted))}; seed {seed}, "
                   f"speed {speed} days/s, latency {latency_ms} ms, fail rate {fail_rate}")

    serve(host=host, port=port, latency_ms=latency_ms, fail_rate=fail_rate, seed=seed,
          speed=speed, application_key=application_key or DEFAULT_APPLICATION_KEY,
          clients=accepted, threads=threads, on_ready=ready,
          start=start.replace(tzinfo=timezone.utc) if start else None)
