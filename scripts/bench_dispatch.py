"""Delivered claims per second against the simulator with 100 ms latency, concurrency 16.

The limit is what the agency's latency allows: concurrency / latency = 16 / 0.1 s =
160 claims/s; the target is >= 90 % of it. Also prints the worker's CPU seconds per
delivered claim (the gateway's CPU must not be what limits it).

    python scripts/bench_dispatch.py [--db sqlite|postgresql] [--claims 1600]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from gateway import app, logs  # noqa: E402
from gateway.agencies.simulator.core import DEFAULT_CLIENTS  # noqa: E402
from gateway.config import load  # noqa: E402
from gateway.dispatch import Dispatcher  # noqa: E402
from gateway.service import claims as claim_service  # noqa: E402
from gateway.service.shops import add_shop  # noqa: E402
from gateway.store import outbox_store, schema  # noqa: E402
from gateway.store.database import make_engine  # noqa: E402
from tests.factories import content, wall_today  # noqa: E402
from bench_ready import ServerDidNotStart, run as run_benchmark, wait_until_ready  # noqa: E402

LATENCY_S = 0.1
TARGET = 0.9


class _AgencyProcess:
    def __init__(self, proc: subprocess.Popen, port: int):
        self.proc, self.port = proc, port
        self.url = f"http://127.0.0.1:{port}/mediafinanz"

    def stats(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_sim/stats", timeout=5) as r:
            return json.load(r)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _agency_process(latency_s: float, threads: int) -> _AgencyProcess:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "agency-sim", "--port", str(port),
                             "--latency-ms", str(latency_s * 1000), "--speed", "0",
                             "--threads", str(threads)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    agency = _AgencyProcess(proc, port)
    try:
        wait_until_ready(agency.stats, "the agency simulator", proc)
    except ServerDidNotStart:
        proc.kill()
        raise
    return agency


def _raw_ceiling(agency, concurrency: int, calls: int) -> float:
    """What the simulator process serves to bare adapter calls, no database at all."""
    from concurrent.futures import ThreadPoolExecutor

    from gateway.domain.model import Claim
    from gateway.service.agency_port import AgencyCredentials

    client_id, key = next(iter(DEFAULT_CLIENTS.items()))
    creds = AgencyCredentials(str(client_id), key)
    today = wall_today()
    claims = [Claim(shop_id="bench", content=content(f"CEILING-{i:06d}", today=today))
              for i in range(calls)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda c: agency.submit_claim(creds, c), claims))
    return calls / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--claims", type=int, default=1600)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "GATEWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()

    cleanup = lambda: None  # noqa: E731
    if args.db == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-dispatch-')}/gateway.db"
    else:
        name = f"bench_dispatch_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        sep = "&" if "?" in args.postgres_url else "?"
        url = f"{args.postgres_url}{sep}options=-csearch_path%3D{name}"

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
            admin.dispose()

    # The agency runs in its own process, as a real one would: its SOAP server's CPU must
    # not be counted as, or compete for the GIL with, the worker's.
    # As many server threads as calls in flight plus a few spare (as bench_sync): idle
    # extras cost nothing, but more busy ones only queue for the simulator's GIL.
    sim = _agency_process(LATENCY_S, args.concurrency + 8)
    try:
        engine = make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        settings = load(environ={"GATEWAY_DATABASE_URL": url, "GATEWAY_AGENCY_URL": sim.url,
                                 "GATEWAY_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "warning")})
        logs.configure(settings.log_level, "json")
        gw = app.build(settings)
        client_id, key = next(iter(DEFAULT_CLIENTS.items()))
        add_shop(gw.uow, "bench", password="bench-password-123", agency_client_id=str(client_id),
                 agency_client_key=key)
        print(f"writing {args.claims} claims ({args.db}) ...", flush=True)
        for i in range(args.claims):
            claim_service.submit_claim(gw.uow, "bench",
                                       content(f"BENCH-{i:06d}", today=wall_today()))

        agencies = app.AgencyRegistry(settings)
        with gw.read_uow() as uow:
            agency, _ = agencies.route(uow, uow.shops.get("bench").agency_account)
        ceiling = _raw_ceiling(agency, args.concurrency, min(400, args.claims))
        d = Dispatcher(gw, agencies, concurrency=args.concurrency)
        thread = threading.Thread(target=d.run, daemon=True)
        # This process is the worker (plus a 20 Hz progress poll): its CPU is the worker's.
        started, cpu0 = time.perf_counter(), time.process_time()
        thread.start()
        while True:
            with gw.engine.connect() as conn:
                done = outbox_store.counts(conn)["done"]
            if done >= args.claims:
                break
            time.sleep(0.05)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
        d.stop()
        thread.join()
        agencies.close()
        stats = sim.stats()
        gw.close()
    finally:
        sim.stop()
        cleanup()
    limit = args.concurrency / LATENCY_S
    rate = args.claims / elapsed
    print(f"{args.db}: {args.claims} claims in {elapsed:.2f} s, newClaim calls "
          f"{stats['calls'].get('newClaim')} (incl. ceiling run), agency claims {stats['claims']}")
    print(f"figure: {rate:.1f} claims/s   limit: {limit:.0f} claims/s   ratio: {rate / limit:.2f} "
          f"(target {TARGET})   worker CPU: "
          f"{cpu / args.claims * 1000:.2f} ms/claim")
    print(f"simulator ceiling (bare zeep newClaim calls, {args.concurrency} threads, no gateway): "
          f"{ceiling:.1f} claims/s; the dispatcher reached {rate / ceiling:.2f} of it")


if __name__ == "__main__":
    sys.exit(run_benchmark(main))
