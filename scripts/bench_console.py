"""The accounting console's claims list on 100,000 claims: how long a page takes.

Builds a database of --claims claims (bulk inserts: 20 shops, every state, five years of
dates, debtors, payouts), then asks the console (the app `gateway serve` mounts, through
werkzeug's test client, so the figure is the application's own time without the network)
for the claims list: the first page, filtered pages (court dunning candidates, one state,
"limitation ends soon", a search) and a deep keyset page near the oldest claim, as an
administrator and as a viewer of two shops. Each page is asked --runs times; its median
counts. Prints each page, then the figure (the slowest page's median), the limit (200 ms)
and their ratio.

    python scripts/bench_console.py --db sqlite|postgresql|both [--claims 100000] [--runs 15]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from gateway import app, logs  # noqa: E402
from gateway.config import load  # noqa: E402
from gateway.console import accounts  # noqa: E402
from gateway.console.web import mount  # noqa: E402
from gateway.domain.lifecycle import ClaimState  # noqa: E402
from gateway.store import schema, tables  # noqa: E402
from gateway.store.database import make_engine  # noqa: E402

LIMIT_MS = 200.0
PASSWORD = "bench password 123"
SHOPS = 20
S = ClaimState
# How claims are spread over the states (weights), roughly as a running installation has them.
STATES = [(S.IN_COLLECTION, 38), (S.PAID, 20), (S.SUBMITTED, 12), (S.UNCOLLECTIBLE, 9),
          (S.PARTIALLY_PAID, 5), (S.INSTALMENT_PLAN, 3), (S.CANCELLED, 3), (S.REJECTED, 2),
          (S.CLOSED_BY_AGENCY, 2), (S.COURT_DUNNING_REQUESTED, 1), (S.DUNNING_ORDER_ISSUED, 1),
          (S.DUNNING_ORDER_SERVED, 1), (S.TITLE_OBTAINED, 1), (S.NEEDS_REVIEW, 1),
          (S.RECEIVED, 1)]
CITIES = ["München", "Berlin", "Köln", "Hamburg", "Leipzig", "Düsseldorf", "Nürnberg"]
NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"]


class NoFacade:
    def __call__(self, environ, start_response):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b""]


def build(engine, claims: int, now: datetime) -> None:
    rnd = random.Random(16)
    with engine.begin() as conn:
        conn.execute(insert(tables.agency_accounts), [
            {"name": f"account-{i}", "connection": "default", "client_id": str(1000 + i),
             "client_key": "k", "created_at": now} for i in range(4)])
        conn.execute(insert(tables.shops), [
            {"id": f"shop-{i:02d}", "password_hash": "x", "agency_account": f"account-{i % 4}",
             "agency_reference_prefix": f"S{i:02d}", "seat": "BY", "catalogue_overrides": {},
             "last_event_seq": 0, "created_at": now} for i in range(SHOPS)])
    states = [s for s, w in STATES for _ in range(w)]
    start = time.perf_counter()
    batch = 5000
    for first in range(0, claims, batch):
        rows, debtor_rows = [], []
        for n in range(first, min(first + batch, claims)):
            shop = n % SHOPS
            # Older claims first: ids grow with time, as they do in a real installation.
            created = now - timedelta(days=5 * 365 * (claims - n) / claims)
            origin = (created - timedelta(days=rnd.randint(20, 120))).date()
            state = rnd.choice(states)
            paid = Decimal(rnd.randint(0, 14990)) / 100 if state in (S.PAID, S.PARTIALLY_PAID) \
                else Decimal("0.00")
            rows.append({
                "id": n + 1, "shop_id": f"shop-{shop:02d}", "shop_claim_id": f"RE-{n:07d}",
                "claim_type": "GOODS_SOLD", "reason": "Bestellung", "principal":
                Decimal(rnd.randint(1000, 99999)) / 100, "dunning_fees": Decimal("5.00"),
                "currency": "EUR", "date_of_origin": origin,
                "due_date": origin + timedelta(days=14), "date_of_last_reminder": None,
                "note": None, "counter_performance_rendered": rnd.random() > 0.03,
                "content_hash": f"{n:064x}", "state": state.value,
                "agency_account": f"account-{shop % 4}",
                "agency_reference": f"S{shop:02d}.RE-{n:07d}",
                "agency_file_number": None if state is S.RECEIVED else f"{10**10 + n}",
                "agency_status_code": None, "agency_status_text": None,
                "rejection_reasons": [], "total_debts": Decimal("0.00"), "paid": paid,
                "outstanding": Decimal("0.00"), "current_payout": Decimal("0.00"),
                "sum_payout": paid,
                "payouts": [{"date": (created + timedelta(days=40)).date().isoformat(),
                             "amount": f"{paid:f}", "number": f"P-{n}"}] if paid else [],
                "created_at": created, "updated_at": created, "version": 1})
            debtor_rows.append({
                "claim_id": n + 1, "kind": "PERSON", "salutation": "MS",
                "first_name": "Jana", "last_name": rnd.choice(NAMES), "street": "Hauptstraße",
                "house_number": str(rnd.randint(1, 200)), "postcode": f"{rnd.randint(10000, 99999)}",
                "city": rnd.choice(CITIES), "country": "DE" if rnd.random() > 0.02 else "AT"})
        with engine.begin() as conn:
            conn.execute(insert(tables.claims), rows)
            conn.execute(insert(tables.debtors), debtor_rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('claims', 'id'), "
                              "(SELECT max(id) FROM claims))"))
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"  built {claims:,} claims in {time.perf_counter() - start:.1f} s", flush=True)


def timed(client, path: str, runs: int) -> tuple[float, int]:
    """(median ms, rows on the page) of GET path."""
    times, rows = [], 0
    for i in range(runs + 2):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, response.status_code)
        if i >= 2:  # the first two warm caches (SQLAlchemy's statements, the database's pages)
            times.append(elapsed)
        rows = len(re.findall(r'href="/console/claims/\d+"', response.get_data(as_text=True)))
    return statistics.median(times), rows


def run(db: str, claims: int, runs: int, postgres_url: str) -> float:
    print(f"== {db}: {claims:,} claims")
    cleanup = None
    if db == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-console-")
        url = f"sqlite:///{folder}/bench.db"
    else:
        schema_name = f"bench_console_{uuid.uuid4().hex[:8]}"
        admin = create_engine(postgres_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema_name}"'))
        sep = "&" if "?" in postgres_url else "?"
        url = f"{postgres_url}{sep}options=-csearch_path%3D{schema_name}"

        def cleanup():
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))
            admin.dispose()
    try:
        engine = make_engine(url)
        schema.upgrade(engine)
        # A day 46 days before a year's end, whatever today is: the claims that arose three
        # years before are then in "limitation ends within 60 days", as they are each
        # November and December (the console takes now from this clock).
        now = datetime(datetime.now(timezone.utc).year, 11, 15, 10, tzinfo=timezone.utc)
        build(engine, claims, now)
        engine.dispose()
        settings = load(environ={"GATEWAY_DATABASE_URL": url, "GATEWAY_LOG_LEVEL": "warning"})
        logs.configure("warning", "console")
        with app.build(settings, clock=lambda: now) as gw:
            accounts.add_staff(gw, "admin", "accountant", admin=True, password=PASSWORD,
                               actor="bench")
            accounts.add_staff(gw, "viewer", "viewer", shops={"shop-03", "shop-17"},
                               password=PASSWORD, actor="bench")
            with gw.engine.connect() as conn:
                oldest = conn.execute(select(tables.claims.c.id).order_by(tables.claims.c.id)
                                      .limit(1).offset(200)).scalar_one()
                file_number = conn.execute(select(tables.claims.c.agency_file_number).where(
                    tables.claims.c.id == claims // 3)).scalar_one()
            from werkzeug.test import Client

            clients = {}
            for name in ("admin", "viewer"):
                client = Client(mount(NoFacade(), gw))
                page = client.get("/console/login").get_data(as_text=True)
                token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
                answer = client.post("/console/login", data={"name": name, "password": PASSWORD,
                                                             "csrf_token": token})
                assert answer.status_code == 303, answer.status_code
                clients[name] = client
            pages = [
                ("admin", "first page", "/console/claims"),
                ("admin", "candidates (uncollectible, preflight passes)",
                 "/console/claims?candidate=1"),
                ("admin", "state IN_COLLECTION", "/console/claims?state=IN_COLLECTION"),
                ("admin", "limitation ends within 60 days", "/console/claims?limitation=1"),
                ("admin", "search by file number", f"/console/claims?q={file_number}"),
                ("admin", "deep keyset page (near the oldest)",
                 f"/console/claims?after={oldest}"),
                ("admin", "deep page, state UNCOLLECTIBLE",
                 f"/console/claims?state=UNCOLLECTIBLE&after={oldest}"),
                ("viewer", "first page (2 of 20 shops)", "/console/claims"),
                ("viewer", "candidates (2 of 20 shops)", "/console/claims?candidate=1"),
                ("viewer", "deep keyset page (2 of 20 shops)", f"/console/claims?after={oldest}"),
            ]
            worst = 0.0
            for who, label, path in pages:
                median, rows = timed(clients[who], path, runs)
                worst = max(worst, median)
                print(f"  {who:<6} {label:<46} {median:7.1f} ms  ({rows} rows)", flush=True)
            median, _ = timed(clients["admin"], "/console/", max(3, runs // 3))
            print(f"  admin  {'dashboard (not in the figure)':<46} {median:7.1f} ms", flush=True)
        return worst
    finally:
        if cleanup:
            cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "GATEWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for db in dbs:
        figure = run(db, args.claims, args.runs, args.postgres_url)
        print(f"{db}: claims list, slowest page's median {figure:.1f} ms; limit "
              f"{LIMIT_MS:.0f} ms; ratio {figure / LIMIT_MS:.2f} "
              f"({'met' if figure <= LIMIT_MS else 'NOT met'})", flush=True)


if __name__ == "__main__":
    main()
