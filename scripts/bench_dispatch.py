"""Delivered claims per second against the simulator with 100 ms latency, concurrency 16.

The limit is what the agency's latency allows: concurrency / latency = 16 / 0.1 s =
160 claims/s; the target is >= 90 % of it. Also prints the worker's CPU seconds per
delivered claim (the gateway's CPU must not be what limits it).

--agency picks the simulated agency: soap (default), rest, or both, with the claims split
evenly between a shop on each and one Dispatcher serving both. The Dispatcher has one pool of
`concurrency` calls for all agencies, so the limit stays 16 / 0.1 s with both (see
bench_agencies.py).

    python scripts/bench_dispatch.py [--db sqlite|postgresql] [--claims 1600]
        [--agency soap|rest|both]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from gateway import app, logs  # noqa: E402
from gateway.config import load  # noqa: E402
from gateway.dispatch import Dispatcher  # noqa: E402
from gateway.service import claims as claim_service  # noqa: E402
from gateway.store import outbox_store, schema  # noqa: E402
from gateway.store.database import make_engine  # noqa: E402
from tests.factories import content, wall_today  # noqa: E402
from bench_agencies import (AGENCY_MODES, SUBMIT_OPERATION, add_bench_shops,  # noqa: E402
                            limit_of, start_processes, stop_all)
from bench_ready import run as run_benchmark  # noqa: E402

LATENCY_S = 0.1
TARGET = 0.9


def _raw_ceiling(routes, concurrency: int, calls: int) -> float:
    """What the simulator process(es) serve to bare adapter calls, no database at all; with
    two agencies the calls alternate between them, as the benchmark's claims do."""
    from concurrent.futures import ThreadPoolExecutor

    from gateway.domain.model import Claim

    today = wall_today()
    jobs = [(routes[i % len(routes)],
             Claim(shop_id="bench", content=content(f"CEILING-{i:06d}", today=today)))
            for i in range(calls)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda job: job[0][0].submit_claim(job[0][1], job[1]), jobs))
    return calls / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--claims", type=int, default=1600)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--agency-share", default="0.75",
                        help="GATEWAY_WORKER_AGENCY_SHARE of the worker (1.0 = no share)")
    parser.add_argument("--agency", choices=AGENCY_MODES, default="soap",
                        help="simulated agency: SOAP, REST, or both (claims split evenly)")
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

    # The agency runs in its own process, as a real one would: its server's CPU must
    # not be counted as, or compete for the GIL with, the worker's.
    # As many server threads as calls in flight plus a few spare (as bench_sync): idle
    # extras cost nothing, but more busy ones only queue for the simulator's GIL.
    sims = start_processes(args.agency, LATENCY_S, args.concurrency + 8)
    try:
        engine = make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        # Each connection has its simulator's URL: no GATEWAY_AGENCY_URL needed.
        settings = load(environ={"GATEWAY_DATABASE_URL": url,
                                 "GATEWAY_WORKER_AGENCY_SHARE": args.agency_share,
                                 "GATEWAY_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "warning")})
        logs.configure(settings.log_level, "json")
        gw = app.build(settings)
        shops = add_bench_shops(gw.uow, {api: sim.url for api, sim in sims.items()})
        print(f"writing {args.claims} claims ({args.db}, agency {args.agency}) ...", flush=True)
        # Alternating shops: with both agencies, each lease holds claims of both.
        for i in range(args.claims):
            claim_service.submit_claim(gw.uow, shops[i % len(shops)].shop_id,
                                       content(f"BENCH-{i:06d}", today=wall_today()))

        agencies = app.AgencyRegistry(settings)
        with gw.read_uow() as uow:
            routes = [agencies.route(uow, shop.account) for shop in shops]
        ceiling = _raw_ceiling(routes, args.concurrency, min(400, args.claims))
        d = Dispatcher(gw, agencies, concurrency=args.concurrency)
        thread = threading.Thread(target=d.run, daemon=True)
        # This process is the worker (plus a 20 Hz progress poll): its CPU is the worker's.
        started, cpu0 = time.perf_counter(), time.process_time()
        thread.start()
        while True:
            with gw.engine.connect() as conn:
                counts = outbox_store.counts(conn)
            if counts["done"] >= args.claims:
                break
            if counts["failed"] or counts["dead"]:  # such a row never becomes done: no figure
                raise SystemExit(f"{counts['failed'] + counts['dead']} outbox rows failed; "
                                 "BENCH_LOG_LEVEL=info shows why")
            time.sleep(0.05)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
        d.stop()
        thread.join()
        agencies.close()
        stats = {api: sim.stats() for api, sim in sims.items()}
        gw.close()
    finally:
        stop_all(sims)
        cleanup()
    limit, how = limit_of(args.concurrency, LATENCY_S, args.agency)
    rate = args.claims / elapsed
    served = "; ".join(f"{api}: {SUBMIT_OPERATION[api]} calls "
                       f"{s['calls'].get(SUBMIT_OPERATION[api])}, agency claims {s['claims']}"
                       for api, s in stats.items())
    print(f"{args.db}: {args.claims} claims in {elapsed:.2f} s ({served}; incl. ceiling run)")
    print(f"agency {args.agency}: figure: {rate:.1f} claims/s   limit: {limit:.0f} claims/s   "
          f"ratio: {rate / limit:.2f} (target {TARGET})   worker CPU: "
          f"{cpu / args.claims * 1000:.2f} ms/claim   (limit: {how})")
    print(f"simulator ceiling (bare adapter submits, {args.concurrency} threads, no gateway): "
          f"{ceiling:.1f} claims/s; the dispatcher reached {rate / ceiling:.2f} of it")


if __name__ == "__main__":
    sys.exit(run_benchmark(main))
