"""`gateway serve`: the shop SOAP facade, plus the in-process parts.

One process (GATEWAY_SERVER_WORKERS=1, the default): waitress, pure Python, a thread pool
and no fork, so the outbox worker, the sync and the agency simulator run as threads
beside it; it refuses bodies beyond the batch limit before the app sees them.

More processes: the facade is CPU-bound Python, and one process uses one core (the GIL).
gunicorn runs that many worker processes of gthread threads and supervises them (restarts
a dead worker, graceful stop). It is started as a child process (fork + exec) so that
the threads of this process (worker, sync, simulator) are never forked into it.

Either way the listening socket is bound first, before anything else starts: a busy port
is one line and exit code 2, with no simulator, worker or sync started in vain.
"""
from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import click
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from gateway import logs

from .base import EXIT_CONFIG, fail, settings_of

log = logs.get_logger("gateway.serve")


FACADE_APP = "gateway.cli.serve:facade_app()"
# gunicorn's gthread worker with the request deadline of GATEWAY_REQUEST_READ_TIMEOUT_S.
WORKER_CLASS = "gateway.cli.gunicorn_worker.DeadlineThreadWorker"
BACKLOG = 1024
REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


def gunicorn_command(app_spec: str, settings, host: str, port: int, *,
                     pythonpath: str | None = None, listen_fd: int | None = None) -> list[str]:
    """The command running app_spec under gunicorn with the facade's server settings
    (`gateway serve` and scripts/bench_facade.py use the same); with listen_fd gunicorn
    takes that socket, bound already, instead of binding host:port itself."""
    # The heartbeat file of each worker: on a RAM disk where there is one (docs' advice:
    # a slow disk makes the master think a busy worker hangs).
    tmp = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    bind = f"fd://{listen_fd}" if listen_fd is not None else f"{host}:{port}"
    argv = [sys.executable, "-m", "gunicorn", "--worker-class", WORKER_CLASS,
            "--workers", str(settings.server_workers), "--threads", str(settings.server_threads),
            "--bind", bind, "--backlog", str(BACKLOG),
            "--worker-connections", str(settings.server_connection_limit),
            "--timeout", "60", "--graceful-timeout", "30",
            "--keep-alive", str(settings.server_idle_timeout_s),
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
    app = with_console(build_wsgi_app(gw), gw)
    gc.freeze()  # the start-up heap is not scanned again (shorter pauses under load)
    log.info("facade worker ready", pid=os.getpid())
    return app


def with_console(facade, gw):
    """The facade, and the accounting console at /console in the same process and port
    (unless GATEWAY_CONSOLE_ENABLED=false)."""
    from gateway.console.web import mount

    return mount(facade, gw)


def _run_gunicorn(settings, config_file: str | None, url: str,
                  listener: socket.socket) -> None:
    env = dict(os.environ, GATEWAY_HOST=settings.host, GATEWAY_PORT=str(settings.port))
    if config_file:
        env["GATEWAY_CONFIG"] = os.path.abspath(config_file)
    fd = listener.fileno()
    child = subprocess.Popen(gunicorn_command(FACADE_APP, settings, settings.host,
                                              settings.port, listen_fd=fd),
                             env=env, pass_fds=(fd,))
    listener.close()  # gunicorn has it now
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


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port and listening (OSError when it cannot be)."""
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                  flags=socket.AI_PASSIVE)[0]
    # SO_REUSEADDR (a restart binds despite old connections in TIME_WAIT) and, for IPv6,
    # IPv6 only: as waitress and gunicorn set them.
    return socket.create_server(address, family=family, backlog=BACKLOG)


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    # create_server's message names the address again; the errno's own text is enough.
    reason = (os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror) or str(exc)
    return f"cannot listen on {where}: {reason[:1].lower()}{reason[1:]}"


class _DeadlineChannel(HTTPChannel):
    """waitress's connection, with a deadline for each request to arrive whole.

    waitress's channel_timeout counts from the last byte, so a client sending a byte every
    few seconds keeps its connection (and a place under connection_limit) for ever. Here
    the clock starts when the connection opens, or after a request with its next byte,
    and stops when a complete request goes to the app (blank lines, which waitress skips,
    do not stop it); _FacadeServer.maintenance answers 408 past the deadline and closes.
    """

    def __init__(self, *args, **kwargs):
        self.reading_since: float | None = time.monotonic()
        super().__init__(*args, **kwargs)

    def received(self, data):  # main thread
        if self.reading_since is None:
            self.reading_since = time.monotonic()
        return super().received(data)

    def service(self):  # a task thread, with a complete request
        self.reading_since = None
        super().service()

    def refuse_late_request(self) -> None:
        # Main thread, and no request in service: nothing else writes to the buffers.
        with self.outbuf_lock:
            self.outbufs[-1].append(REQUEST_TIMEOUT)
            self.total_outbufs_len += len(REQUEST_TIMEOUT)
        self.close_when_flushed = True


class _FacadeServer(TcpWSGIServer):
    channel_class = _DeadlineChannel

    def __init__(self, *args, read_timeout_s: float, **kwargs):
        self.read_timeout_s = read_timeout_s
        super().__init__(*args, **kwargs)

    def maintenance(self, now):  # main thread, every cleanup_interval
        super().maintenance(now)  # waitress: idle connections (channel_timeout)
        due = time.monotonic() - self.read_timeout_s
        late = [channel for channel in self.active_channels.values()
                if not channel.requests and channel.reading_since is not None
                and channel.reading_since < due
                and not (channel.will_close or channel.close_when_flushed)]
        for channel in late:
            channel.refuse_late_request()
        if late:
            log.info("closed connections whose request did not arrive in time",
                     connections=len(late), read_timeout_s=self.read_timeout_s)


def make_server(app, settings, host: str, port: int, listener: socket.socket | None = None):
    """waitress on `listener` (or a new socket on host:port) with the facade's limits."""
    listener = listener or listen_socket(host, port)
    adj = Adjustments(
        sockets=[listener], threads=settings.server_threads, backlog=BACKLOG,
        # waitress itself refuses bodies beyond the batch limit (plus room for headers of
        # the envelope); below that the facade answers a RequestTooLarge SOAP fault.
        max_request_body_size=settings.max_batch_body_bytes + 65536,
        # What a connection may hold in memory: SOAP clients send a few hundred bytes of
        # headers; a body beyond 64 KiB waits in a temporary file, not in memory.
        max_request_header_size=65536, inbuf_overflow=65536,
        connection_limit=settings.server_connection_limit,
        channel_timeout=settings.server_idle_timeout_s,
        cleanup_interval=1,  # the deadlines are checked every second
        # X-Forwarded-For reaches the app only behind trusted proxies; the app believes it
        # only from them (gateway.shop_api.auth.client_address).
        clear_untrusted_proxy_headers=not settings.trusted_proxies, ident="inkasso-gateway")
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    return _FacadeServer(app, map={}, _sock=listener, dispatcher=dispatcher, adj=adj,
                         bind_socket=False, sockinfo=(listener.family, listener.type,
                                                      listener.proto, listener.getsockname()),
                         read_timeout_s=settings.request_read_timeout_s)


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
    try:
        listener = listen_socket(settings.host, settings.port)
    except OSError as exc:
        fail(_cannot_listen(settings.host, settings.port, exc), EXIT_CONFIG)
    simulator = None
    agency_url = settings.agency_url or None
    stoppers = [listener.close]
    try:
        if settings.simulator_in_process:
            from gateway.agencies.simulator import start_simulator

            simulator = start_simulator(speed=settings.simulator_speed, sandbox_clients=True)
            agency_url = simulator.url
            log.warning("SIMULATED SANDBOX AGENCY in use: claims go to an in-process agency "
                        "simulator, not to a real collection agency", agency_url=agency_url)
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
            _run_gunicorn(settings, ctx.find_root().obj.get("config_file"), app.endpoint,
                          listener)
            return
        server = make_server(with_console(app, gw), settings, settings.host, settings.port,
                             listener)
        # Everything built so far lives as long as the process: keep the garbage collector
        # from scanning it again on every full collection (shorter pauses under load).
        gc.freeze()
        _stop_on_signals(server)
        log.info("shop facade listening", url=f"http://{settings.host}:{server.effective_port}"
                 "/soap/shop", wsdl=app.endpoint + "?wsdl", database=gw.engine.url.render_as_string(
                     hide_password=True), threads=settings.server_threads,
                 console=(f"http://{settings.host}:{server.effective_port}/console/"
                          if settings.console_enabled else "off"))
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
