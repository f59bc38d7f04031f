"""`gateway agency-sim`: run the mediafinanz-style agency simulator in the foreground, with
its SOAP interface (default) or its REST API v2.1 (`--api rest`)."""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime, timezone

import click

DEFAULT_PORT = 8090


def _client(value: str) -> tuple[int, str]:
    client_id, sep, key = value.partition(":")
    if not sep or not client_id.strip().isdigit() or not key:
        raise click.BadParameter(f"expected ID:KEY with a numeric ID, got {value!r}")
    return int(client_id), key


def _rest_client(value: str) -> tuple[str, str, str]:
    """UUID:USER:PASSWORD (the password may contain ':'); the value is never echoed, it
    holds a password."""
    uuid, _, rest = value.partition(":")
    user, sep, password = rest.partition(":")
    try:
        uuid_module.UUID(uuid)
    except ValueError:
        raise click.BadParameter("expected UUID:USER:PASSWORD with a client UUID") from None
    if not sep or not user or not password:
        raise click.BadParameter("expected UUID:USER:PASSWORD with a user and a password")
    return uuid.lower(), user, password


def _rest_clients_option(ctx: click.Context, param: click.Parameter,
                         values: tuple[str, ...]) -> list[tuple[str, str, str]]:
    return [_rest_client(v) for v in values]


def rest_clients(parsed: list[tuple[str, str, str]]) -> dict:
    """Parsed --rest-client values -> {uuid: RestClient}; numeric client ids 1001, 1002, ...
    in order; none given: the development client."""
    from gateway.agencies.simulator import DEFAULT_REST_CLIENTS, RestClient

    if not parsed:
        return dict(DEFAULT_REST_CLIENTS)
    return {uuid: RestClient(1001 + i, user, password)
            for i, (uuid, user, password) in enumerate(parsed)}


@click.command("agency-sim")
@click.option("--api", type=click.Choice(["soap", "rest"]), default="soap", show_default=True,
              help="the agency's interface: SOAP at /mediafinanz, or the REST API v2.1 at /v2.1/...")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option("--latency-ms", default=0.0, show_default=True, type=click.FloatRange(0),
              help="added to every agency call")
@click.option("--fail-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="share of agency calls that get a fault from the seeded schedule")
@click.option("--seed", default=0, show_default=True, type=int,
              help="seeds file numbers, claim stories and the fault schedule")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(0),
              help="simulated days per real second (0: time stands still)")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the agency's calendar starts on this day (UTC midnight) instead of today")
@click.option("--client", "clients", multiple=True, metavar="ID:KEY",
              help="SOAP: accepted clientId:clientKey pair (repeatable); default "
                   "1001:dev-client-key-1001")
@click.option("--rest-client", "rest_client_values", multiple=True,
              metavar="UUID:USER:PASSWORD", callback=_rest_clients_option,
              help="REST: accepted client UUID, user and password (repeatable; numeric client "
                   "ids 1001, 1002, ... in order); default the development client "
                   "6d1f0e2a-1001-4c6b-9a5e-000000001001:dev-user-1001:dev-password-1001")
@click.option("--application-key", envvar="GATEWAY_AGENCY_APPLICATION_KEY", default=None,
              help="SOAP: application licence key clients use (default: the development key)")
@click.option("--threads", default=64, show_default=True, type=click.IntRange(1, 1024),
              help="WSGI worker threads")
def command(api: str, host: str, port: int, latency_ms: float, fail_rate: float, seed: int,
            speed: float, start: datetime | None, clients: tuple[str, ...],
            rest_client_values: list[tuple[str, str, str]], application_key: str | None,
            threads: int) -> None:
    """Run the agency simulator (SOAP at /mediafinanz or REST at /v2.1/..., JSON control at
    /_sim/*)."""
    calendar = start.replace(tzinfo=timezone.utc) if start else None
    settings = (f"seed {seed}, speed {speed} days/s, latency {latency_ms} ms, "
                f"fail rate {fail_rate}")
    if api == "rest":
        from gateway.agencies.simulator import serve_rest

        accepted_rest = rest_clients(rest_client_values)

        def ready_rest(url: str) -> None:
            # UUIDs and users only: passwords are secrets even in development.
            named = ", ".join(f"{u} ({c.user})" for u, c in accepted_rest.items())
            click.echo(f"agency simulator (REST API v2.1) on {url} (e.g. GET "
                       f"{url}/v2.1/collect/claim/FILE/status/); clients {named}; {settings}")

        serve_rest(host=host, port=port, latency_ms=latency_ms, fail_rate=fail_rate,
                   seed=seed, speed=speed, clients=accepted_rest, threads=threads,
                   on_ready=ready_rest, start=calendar)
        return

    from gateway.agencies.simulator import DEFAULT_APPLICATION_KEY, DEFAULT_CLIENTS, serve

    accepted = dict(_client(c) for c in clients) or dict(DEFAULT_CLIENTS)

    def ready(url: str) -> None:
        # Client ids only: keys are secrets even in development.
        click.echo(f"agency simulator on {url} (WSDL: GET {url}); clients "
                   f"{', '.join(str(c) for c in sorted(accepted))}; {settings}")

    serve(host=host, port=port, latency_ms=latency_ms, fail_rate=fail_rate, seed=seed,
          speed=speed, application_key=application_key or DEFAULT_APPLICATION_KEY,
          clients=accepted, threads=threads, on_ready=ready, start=calendar)
