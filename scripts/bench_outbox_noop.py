"""Outbox throughput against a no-op agency on PostgreSQL: rows leased and completed per second.

The agency answers at once, so what is measured is the gateway's own database work
per row (lease, read the claim, mark it submitted with its event, complete the row).

    python scripts/bench_outbox_noop.py [--rows 5000] [--concurrency 32]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from gateway import app, logs  # noqa: E402
from gateway.config import load  # noqa: E402
from gateway.dispatch import Dispatcher  # noqa: E402
from gateway.service import claims as claim_service  # noqa: E402
from gateway.service.shops import add_shop  # noqa: E402
from gateway.store import outbox_store, schema  # noqa: E402
from gateway.store.database import make_engine  # noqa: E402
from tests.factories import content, wall_today  # noqa: E402

LIMIT = 1000.0


class NoopAgency:
    """AgencyPort that answers at once; file numbers are unique per invoice."""

    name = "noop"
    has_changes_feed = False

    def submit_claim(self, creds, claim):
        return str(10_000_000_000 + claim.id)

    def get_status(self, creds, file_number):  # pragma: no cover - not called by default
        raise NotImplementedError

    def close_claim(self, creds, file_number):
        return None

    def book_direct_payment(self, creds, file_number, paid_on, amount):
        return None

    def hand_over_to_lawyer(self, creds, file_number, instruction, amounts):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--shops", type=int, default=4)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "GATEWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()

    schema_name = f"bench_noop_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema_name}"'))
    sep = "&" if "?" in args.postgres_url else "?"
    url = f"{args.postgres_url}{sep}options=-csearch_path%3D{schema_name}"
    try:
        engine = make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        settings = load(environ={"GATEWAY_DATABASE_URL": url, "GATEWAY_LOG_LEVEL": "warning",
                                 "GATEWAY_AGENCY_URL": "http://127.0.0.1:9/unused"})
        logs.configure("warning", "console")
        gw = app.build(settings)
        shops = [f"bench-{i}" for i in range(args.shops)]
        for shop in shops:
            add_shop(gw.uow, shop, password="bench-password-123", agency_client_id="1",
                     agency_client_key="k")
        print(f"writing {args.rows} claims ...", flush=True)
        for i in range(args.rows):
            claim_service.submit_claim(gw.uow, shops[i % len(shops)],
                                       content(f"NOOP-{i:06d}", today=wall_today()))

        # Every shop is on account client-1 of the default connection: its adapter is the no-op.
        agencies = app.AgencyRegistry(settings, adapters={"default": NoopAgency()})
        d = Dispatcher(gw, agencies, concurrency=args.concurrency, poll_s=0.05)
        thread = threading.Thread(target=d.run, daemon=True)
        started, cpu0 = time.perf_counter(), time.process_time()
        thread.start()
        # Watch the worker's own count (rows recorded, committed), then confirm in the
        # database: a counting query every few ms would take CPU from what is measured.
        while d.delivered < args.rows and thread.is_alive():
            time.sleep(0.005)
        while True:
            with gw.engine.connect() as conn:
                done = outbox_store.counts(conn)["done"]
            if done >= args.rows:
                break
            time.sleep(0.05)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
        d.stop()
        thread.join()
        rate = args.rows / elapsed
        print(f"no-op agency, PostgreSQL, concurrency {args.concurrency}: {args.rows} rows "
              f"in {elapsed:.2f} s")
        print(f"figure: {rate:.0f} rows/s   limit: {LIMIT:.0f} rows/s   "
              f"ratio: {rate / LIMIT:.2f}   CPU: {cpu / args.rows * 1000:.2f} ms/row "
              f"({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)")
        gw.close()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
