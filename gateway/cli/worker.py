"""`gateway worker`: drain the outbox until SIGINT/SIGTERM."""
from __future__ import annotations

import signal

import click

from gateway import app

from .base import settings_of


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 256),
              help="agency calls in flight (default: GATEWAY_WORKER_CONCURRENCY)")
@click.pass_context
def command(ctx, concurrency) -> None:
    """Deliver outbox rows to the agency until interrupted.

    Stops gracefully on SIGINT/SIGTERM: no new rows are taken, calls in flight finish
    and are recorded. Several workers may run against PostgreSQL; against SQLite one
    at a time (a second one waits for the first's lock).
    """
    from gateway.dispatch import Dispatcher

    settings = settings_of(ctx)
    gw = app.build(settings)  # refuses an out-of-date schema
    agency = app.build_agency(settings)
    dispatcher = Dispatcher(gw, agency,
                            lambda uow, shop_id: app.credentials_for(settings, uow, shop_id),
                            concurrency=concurrency)

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
        close = getattr(agency, "close", None)
        if close:
            close()
        gw.close()
