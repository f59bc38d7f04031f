#!/usr/bin/env python3.11
"""Benchmark: the shop facade's SubmitClaim against a bare Spyne echo service.

Both run under the same server settings as `gateway serve`: with --workers 1 one waitress
process (gateway.cli.serve.make_server), with more (the default: 2, one per core of the
reference machine) gunicorn with that many worker processes (gateway.cli.serve.
gunicorn_command). This process drives each with the same load (N concurrent clients
posting prebuilt envelopes over keep-alive connections) and prints requests/s, p50 and
p99 for both and the ratio. Target: SubmitClaim (database write + outbox row) >= 50 % of
the echo's requests/s, p99 < 100 ms.

    python scripts/bench_facade.py --db both --seconds 15 --clients 8 --workers 2
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import requests

from bench_ready import run as run_benchmark, wait_until_ready

ECHO_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:e="urn:bench:echo">'
    "<s:Body><e:echo><e:text>{n}</e:text></e:echo></s:Body></s:Envelope>")
SUBMIT_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:t="urn:inkasso-gateway:shop:v1"><s:Body><t:SubmitClaim><t:claim>'
    "<t:shopClaimId>{n}</t:shopClaimId><t:claimType>GOODS_SOLD</t:claimType>"
    "<t:reason>2 x Wanderschuhe</t:reason><t:principal>149.90</t:principal>"
    "<t:dunningFees>5.00</t:dunningFees><t:currency>EUR</t:currency>"
    "<t:dateOfOrigin>{origin}</t:dateOfOrigin><t:counterPerformanceRendered>true"
    "</t:counterPerformanceRendered><t:debtor><t:kind>PERSON</t:kind>"
    "<t:salutation>MS</t:salutation><t:firstName>Jürgen</t:firstName>"
    "<t:lastName>Müller</t:lastName><t:street>Große Straße</t:street>"
    "<t:houseNumber>12a</t:houseNumber><t:postcode>80331</t:postcode><t:city>München</t:city>"
    "<t:country>DE</t:country><t:email>j.mueller@example.de</t:email></t:debtor>"
    "</t:claim></t:SubmitClaim></s:Body></s:Envelope>")
PASSWORD = "bench-password-123"


# -- server processes -----------------------------------------------------------------------
def echo_app():
    """The bare Spyne echo (also gunicorn's app: `bench_facade:echo_app()`)."""
    import gc

    import spyne.const
    from spyne import Application, ServiceBase, Unicode, rpc
    from spyne.protocol.soap import Soap11
    from spyne.server.wsgi import WsgiApplication

    class Echo(ServiceBase):
        @rpc(Unicode, _returns=Unicode)
        def echo(ctx, text):
            return text

    spyne.const.MIN_GC_INTERVAL = float("inf")  # same as the facade sets (see shop_api.service)
    app = WsgiApplication(Application([Echo], tns="urn:bench:echo", name="Echo",
                                      in_protocol=Soap11(validator="lxml"),
                                      out_protocol=Soap11()))
    gc.freeze()  # as `gateway serve` does: the start-up heap is not scanned again
    return app


def _serve(kind: str, db_url: str, queue) -> None:
    import logging

    from gateway import app as gateway_app
    from gateway import logs
    from gateway.cli.serve import make_server
    from gateway.config import load

    logs.configure("warning", "json")  # no access log lines: they would be the benchmark
    logging.getLogger("gateway.shop_api.access").setLevel(logging.WARNING)
    settings = load(environ={"GATEWAY_DATABASE_URL": db_url})
    if kind == "echo":
        app = echo_app()
    else:
        import gc

        from gateway.shop_api import build_wsgi_app

        app = build_wsgi_app(gateway_app.build(settings))
        gc.freeze()
    server = make_server(app, settings, "127.0.0.1", 0)
    queue.put(int(server.effective_port))
    server.run()


# -- load -------------------------------------------------------------------------------------
def drive(url: str, template: str, clients: int, seconds: float, auth=None) -> dict:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop_at = time.perf_counter() + seconds
    run = uuid.uuid4().hex[:8]
    # Two months before the server's today: in time whatever the date.
    origin = (datetime.now(timezone.utc) - timedelta(days=60)).date().isoformat()

    def client(i: int) -> None:
        session = requests.Session()
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        n = 0
        while time.perf_counter() < stop_at:
            body = template.format(n=f"B-{run}-{i}-{n}", origin=origin).encode()
            n += 1
            started = time.perf_counter()
            response = session.post(url, data=body, headers=headers, auth=auth)
            latencies[i].append(time.perf_counter() - started)
            if response.status_code != 200:
                errors[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    flat = sorted(x for per in latencies for x in per)
    return {"requests": len(flat), "errors": sum(errors), "rps": len(flat) / elapsed,
            "p50_ms": 1000 * statistics.median(flat),
            "p99_ms": 1000 * flat[min(len(flat) - 1, int(len(flat) * 0.99))]}


def run_one(kind: str, db_url: str, clients: int, seconds: float, workers: int) -> dict:
    if kind != "echo":
        from gateway import app as gateway_app
        from gateway.config import load
        from gateway.service.shops import add_shop

        with gateway_app.build(load(environ={"GATEWAY_DATABASE_URL": db_url})) as gw:
            add_shop(gw.uow, "bench-shop", password=PASSWORD, seat="BY")
    start = _start_waitress if workers == 1 else _start_gunicorn
    with start(kind, db_url, workers) as port:
        if kind == "echo":
            url, template, auth = f"http://127.0.0.1:{port}/", ECHO_ENVELOPE, None
        else:
            url, template = f"http://127.0.0.1:{port}/soap/shop", SUBMIT_ENVELOPE
            auth = ("bench-shop", PASSWORD)
        drive(url, template, clients, min(2.0, seconds / 5), auth)  # warm-up
        return drive(url, template, clients, seconds, auth)


@contextmanager
def _start_waitress(kind: str, db_url: str, workers: int):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(kind, db_url, queue), daemon=True)
    proc.start()
    try:
        yield wait_until_ready(lambda: queue.get(timeout=1), f"the {kind} server (waitress)",
                               proc)
    finally:
        proc.terminate()
        proc.join(10)


@contextmanager
def _start_gunicorn(kind: str, db_url: str, workers: int):
    from gateway.cli.serve import FACADE_APP, gunicorn_command
    from gateway.config import load

    environ = {"GATEWAY_DATABASE_URL": db_url, "GATEWAY_SERVER_WORKERS": str(workers),
               # no access log lines: they would be the benchmark
               "GATEWAY_LOG_LEVEL": "warning", "GATEWAY_LOG_FORMAT": "json"}
    with socket.socket() as probe:  # a free port for gunicorn to bind
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = "bench_facade:echo_app()" if kind == "echo" else FACADE_APP
    argv = gunicorn_command(spec, load(environ=environ), "127.0.0.1", port,
                            pythonpath=os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(argv, env=dict(os.environ, **environ))
    try:
        # Ready when a worker answers at all (the echo has no /healthz: any status will
        # do); until then connections are refused or hang.
        wait_until_ready(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5),
                         f"the {kind} server (gunicorn)", proc)
        time.sleep(1.0)  # the other workers finish loading
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


# -- databases ---------------------------------------------------------------------------------
class Database:
    def __init__(self, kind: str, postgres_url: str):
        self.kind, self.postgres_url = kind, postgres_url
        self.url, self._cleanup = "", None

    def __enter__(self) -> "Database":
        from gateway.store import schema
        from gateway.store.database import make_engine

        if self.kind == "sqlite":
            directory = tempfile.mkdtemp(prefix="bench-")
            self.url = f"sqlite:///{directory}/bench.db"
        else:
            from sqlalchemy import create_engine, text

            name = f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin = create_engine(self.postgres_url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{name}"'))
            sep = "&" if "?" in self.postgres_url else "?"
            self.url = f"{self.postgres_url}{sep}options=-csearch_path%3D{name}"

            def cleanup():
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
                admin.dispose()

            self._cleanup = cleanup
        engine = make_engine(self.url)
        schema.upgrade(engine)
        engine.dispose()
        return self

    def __exit__(self, *exc) -> None:
        if self._cleanup:
            self._cleanup()


def load_threads() -> int:
    from gateway.config import load

    return load(environ={}).server_threads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "GATEWAY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes for both services (1 = one waitress process)")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    ok = True
    with Database("sqlite", args.postgres_url) as echo_db:
        echo = run_one("echo", echo_db.url, args.clients, args.seconds, args.workers)
    server = "waitress, 1 process" if args.workers == 1 else f"gunicorn, {args.workers} workers"
    print(f"server: {server} x {load_threads()} threads; {args.clients} clients, "
          f"{args.seconds:.0f} s each")
    print(f"{'service':<24}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}")
    print(f"{'spyne echo':<24}{echo['rps']:>9.0f}{echo['p50_ms']:>9.1f}{echo['p99_ms']:>9.1f}"
          f"{echo['errors']:>8}{'100%':>8}")
    for kind in kinds:
        with Database(kind, args.postgres_url) as db:
            result = run_one("facade", db.url, args.clients, args.seconds, args.workers)
        ratio = result["rps"] / echo["rps"]
        print(f"{'SubmitClaim/' + kind:<24}{result['rps']:>9.0f}{result['p50_ms']:>9.1f}"
              f"{result['p99_ms']:>9.1f}{result['errors']:>8}{ratio:>8.0%}")
        ok = ok and ratio >= 0.5 and result["p99_ms"] < 100 and result["errors"] == 0
    print("target (>= 50 % of echo, p99 < 100 ms, no errors):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run_benchmark(main))
