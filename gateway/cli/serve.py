"""`gateway serve`: the shop SOAP facade, plus the in-process parts.

One process (GATEWAY_SERVER_WORKERS=1, the default): waitress, pure Python, a thread pool
and no fork, so the outbox worker, the sync and the agency simulator run as threads
beside it; it refuses bodies beyond the batch limit before the app sees them.

More processes: the facade is CPU-bound Python, and one process uses one core (the GIL).
gunicorn runs that many worker processes of gthread threads and supervises them (restarts
a dead worker, graceful stop). It is started as a child process (fork + exec) so that
the threads of this process (worker, sync, simulator) are never forked into it.
"""
from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import tempfile
import threading

import click

from gateway import logs

from .base import fail, settings_of

log = logs.get_logger("gateway.serve")


FACADE_APP = "gateway.cli.serve:facade_app()"


def gunicorn_command(app_spec: str, settings, host: str, port: int, *,
                     pythonpath: str | None = None) -> list[str]:
    """The command running app_spec under gunicorn with the facade's server settings
    (`gateway serve` and scripts/bench_facade.py use the same)."""
    # The heartbeat file of each worker: on a RAM disk where there is one (docs' advice:
    # a slow disk makes the master think a busy worker hangs).
    tmp = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
            "--workers", str(settings.server_workers), "--threads", str(settings.server_threads),
            "--bind", f"{host}:{port}", "--backlog", "1024", "--worker-connections", "1000",
            "--timeout", "60", "--graceful-timeout", "30", "--keep-alive", "5",
            "--worker-tmp-dir", tmp, "--error-logfile", "-", "--log-level", "warning"]
    if pythonpath:
        argv += ["--pythonpath", pythonpath]
    return argv + [app_spec]


def facade_app():
    """The facade of one gunicorn worker process: settings from GATEWAY_* and
    GATEWAY_CONFIG, which the `gateway serve` that started gunicorn passes on."""
    from gateway import app as gateway_app
    from gateway.config import load
    from gateway.shop_api import build_wsgi_app

    settings = load()
    logs.configure(settings.log_level, settings.log_format)
    gw = gateway_app.build(settings)
    if settings.metrics_enabled:
        gateway_app.register_database_gauges(gw)
    app = build_wsgi_app(gw)
    gc.freeze()  # the start-up heap is not scanned again (shorter pauses under load)
    log.info("facade worker ready", pid=os.getpid())
    return app


def _run_gunicorn(settings, config_file: str | None, url: str) -> None:
    env = dict(os.environ, GATEWAY_HOST=settings.host, GATEWAY_PORT=str(settings.port))
    if config_file:
        env["GATEWAY_CONFIG"] = os.path.abspath(config_file)
    child = subprocess.Popen(gunicorn_command(FACADE_APP, settings, settings.host,
                                              settings.port), env=env)
    stopping = []

    def stop(signum, _frame):
        log.info("shutting down", signal=signal.Signals(signum).name)
        stopping.append(signum)
        child.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of every worker

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    log.info("shop facade starting under gunicorn", url=url, workers=settings.server_workers,
             threads=settings.server_threads)
    code = child.wait()
    if code != 0 and not stopping:
        fail(f"the facade server (gunicorn) stopped with exit code {code}; its log lines "
             "above say why")


def _start_worker(gw, agencies):
    from gateway.dispatch import start_in_process

    handle = start_in_process(gw, agencies)
    log.info("outbox worker started in-process")
    return handle


def make_server(app, settings, host: str, port: int):
    from waitress import create_server

    # waitress itself refuses bodies beyond the batch limit (plus room for headers of the
    # envelope); below that the facade answers a RequestTooLarge SOAP fault.
    return create_server(app, host=host, port=port, threads=settings.server_threads,
                         max_request_body_size=settings.max_batch_body_bytes + 65536,
                         connection_limit=1000, backlog=1024, channel_timeout=60,
                         clear_untrusted_proxy_headers=True, ident="inkasso-gateway")


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: GATEWAY_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: GATEWAY_PORT).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Facade processes (default: GATEWAY_SERVER_WORKERS); more than 1 runs "
                   "gunicorn, about one per core.")
@click.pass_context
def command(ctx: click.Context, host: str | None, port: int | None,
            workers: int | None) -> None:
    """Run the shop SOAP facade (/soap/shop, ?wsdl, /healthz, /metrics) until SIGINT/SIGTERM."""
    from gateway import app as gateway_app
    from gateway.shop_api import build_wsgi_app

    settings = settings_of(ctx)
    overrides = {k: v for k, v in (("host", host), ("port", port), ("server_workers", workers))
                 if v is not None}
    if overrides:
        settings = settings.replace(**overrides)
    simulator = None
    agency_url = settings.agency_url or None
    if settings.simulator_in_process:
        from gateway.agencies.simulator import start_simulator

        simulator = start_simulator(speed=settings.simulator_speed, sandbox_clients=True)
        agency_url = simulator.url
        log.warning("SIMULATED SANDBOX AGENCY in use: claims go to an in-process agency "
                    "simulator, not to a real collection agency", agency_url=agency_url)
    stoppers = []
    try:
        gw = gateway_app.build(settings)  # refuses an out-of-date schema
        stoppers.append(gw.close)
        if simulator is not None:
            for shop_id, account in gateway_app.give_sandbox_accounts(gw):
                log.info("shop given a simulated sandbox client", shop_id=shop_id,
                         account=account)
        # One adapter per connection for the worker and the sync of this process.
        agencies = gateway_app.AgencyRegistry(settings, default_url=agency_url)
        stoppers.insert(0, agencies.close)
        app = build_wsgi_app(gw)
        if settings.metrics_enabled:
            gateway_app.register_database_gauges(gw)
        if settings.run_worker:
            stoppers.insert(0, _start_worker(gw, agencies).stop)
        else:
            log.info("no outbox worker in this process (GATEWAY_RUN_WORKER=false)")
        if settings.in_process_sync_interval > 0:
            from gateway.sync.periodic import PeriodicSync

            sync = PeriodicSync(gw, agencies, settings.in_process_sync_interval).start()
            stoppers.insert(0, sync.stop)
            log.info("changes sync runs in-process", every_s=settings.in_process_sync_interval)
        if settings.server_workers > 1:
            _run_gunicorn(settings, ctx.find_root().obj.get("config_file"), app.endpoint)
            return
        server = make_server(app, settings, settings.host, settings.port)
        # Everything built so far lives as long as the process: keep the garbage collector
        # from scanning it again on every full collection (shorter pauses under load).
        gc.freeze()
        _stop_on_signals(server)
        log.info("shop facade listening", url=f"http://{settings.host}:{server.effective_port}"
                 "/soap/shop", wsdl=app.endpoint + "?wsdl", database=gw.engine.url.render_as_string(
                     hide_password=True), threads=settings.server_threads)
        server.run()
    finally:
        for stop in stoppers:
            try:
                stop()
            except Exception as exc:  # noqa: BLE001 - shut the rest down anyway
                log.warning("error while stopping", error=type(exc).__name__)
        if simulator is not None:
            simulator.stop()
        log.info("shop facade stopped")


def _stop_on_signals(server) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum, _frame):
        log.info("shutting down", signal=signal.Signals(signum).name)
        # Leave the asyncore loop: close the listening socket, then let run() return.
        server.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
