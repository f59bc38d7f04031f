"""`gateway worker`: drain the outbox until SIGINT/SIGTERM."""
from __future__ import annotations

import signal

import click

from gateway import app

from .base import settings_of


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 256),
              help="agency calls in flight (default: GATEWAY_WORKER_CONCURRENCY)")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="serve /metrics (deliveries by agency, outbox gauges) on this port")
@click.option("--metrics-host", default="127.0.0.1", show_default=True)
@click.pass_context
def command(ctx, concurrency, metrics_port, metrics_host) -> None:
    """Deliver outbox rows to the agency until interrupted.

    Stops gracefully on SIGINT/SIGTERM: no new rows are taken, calls in flight finish
    and are recorded. Several workers may run against PostgreSQL; against SQLite one
    at a time (a second one waits for the first's lock).
    """
    from gateway.dispatch import Dispatcher

    settings = settings_of(ctx)
    gw = app.build(settings)  # refuses an out-of-date schema
    agencies = app.AgencyRegistry(settings)
    dispatcher = Dispatcher(gw, agencies, concurrency=concurrency)
    stop_metrics = None
    if metrics_port is not None:
        from gateway import metrics

        app.register_database_gauges(gw)
        try:
            stop_metrics = metrics.serve(metrics_host, metrics_port)
        except OSError as exc:
            gw.close()
            raise click.ClickException(f"cannot serve metrics on {metrics_host}:{metrics_port}: "
                                       f"{exc.strerror or exc}")
        click.echo(f"metrics on http://{metrics_host}:{stop_metrics.port}/metrics", err=True)

    def graceful(signum, _frame):
        # A second signal stops at once (default handlers); rows in flight come back
        # when their lease runs out.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        dispatcher.stop()

    signal.signal(signal.SIGINT, graceful)
    signal.signal(signal.SIGTERM, graceful)
    try:
        dispatcher.run()
    finally:
        if stop_metrics is not None:
            stop_metrics()
        agencies.close()
        gw.close()
