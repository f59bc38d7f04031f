"""Full status sync throughput and memory against the simulator (not a timed test).

Seeds N open claims (IN_COLLECTION, with file numbers) straight into a fresh
database schema with SQL and registers the same claims, under their agency reference, in
an in-process simulator (its core API, AgencySimulator.new_claim), then runs
`gateway sync --full` in a subprocess and reads that process's own CPU time and peak RSS
(os.wait4 in a helper). 2 % of the claims have a new status at the agency (part payment),
so the write path and the accounting call are in the figures too.

--agency picks the simulated agency: soap (default), rest, or both (a shop on each, the
claims split evenly, one sync run serving both). The REST agency has no changes feed, so
the nightly `gateway sync` polls each of its open claims just as --full does: the figure
is that of both runs.

Runs two sizes, N/10 and N, for the memory ratio (claims are streamed, so the peak
must not grow with N). The limit is concurrency / latency: every claim costs one
agency round trip when nothing changed. The sync has one pool of `concurrency` threads
for all accounts, so with both agencies the limit is the same (see bench_agencies.py).

    python scripts/bench_sync.py [--claims 100000] [--latency-ms 100] [--concurrency 32]
        [--agency soap|rest|both]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test | --sqlite]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from gateway.domain.agency import agency_reference  # noqa: E402
from gateway.store import schema, tables  # noqa: E402
from gateway.store.database import make_engine  # noqa: E402
from gateway.store.unit_of_work import SqlUnitOfWork  # noqa: E402
from tests.factories import content, wall_today  # noqa: E402
from bench_agencies import (AGENCY_MODES, add_bench_shops, limit_of,  # noqa: E402
                            start_in_process, stop_all)

CHANGED_SHARE = 50  # every 50th claim has news at the agency: 2 %
CHUNK = 5000


def seed(engine, sims: dict, count: int) -> None:
    """Claim i goes to shop i % (number of agencies). Its simulator learns it first, under
    its agency reference (it picks the file number), then the database."""
    from functools import partial
    shops = add_bench_shops(partial(SqlUnitOfWork, engine),
                            {api: sim.url for api, sim in sims.items()})
    owner = [shops[i % len(shops)] for i in range(count)]
    template = content("BENCH", today=wall_today())
    now = datetime.now(timezone.utc)
    numbers, references = [], []
    for i, shop in enumerate(owner):
        reference = agency_reference(shop.reference_prefix, f"B-{i:07d}")
        number, errors = sims[shop.api].simulator.new_claim(
            shop.core_client_id, replace(template, shop_claim_id=reference), reference)
        assert not errors, errors
        numbers.append(number)
        references.append(reference)
    for sim in sims.values():
        sim.advance(2)  # every claim has had its first letter: 10203, IN_COLLECTION
    # Every 50th claim of each agency's is part paid: state change + accounting.
    for i in range(0, count, CHANGED_SHARE * len(shops)):
        for j in range(i, min(i + len(shops), count)):
            sims[owner[j].api].force_status(numbers[j], 10208)
    c, d = template, template.debtor
    for start in range(0, count, CHUNK):
        rows = [dict(
            shop_id=owner[i].shop_id, shop_claim_id=f"B-{i:07d}", claim_type=c.claim_type.value,
            reason=c.reason, principal=c.principal, dunning_fees=c.dunning_fees,
            currency=c.currency, date_of_origin=c.date_of_origin, due_date=c.due_date,
            date_of_last_reminder=c.date_of_last_reminder, note=c.note,
            counter_performance_rendered=c.counter_performance_rendered,
            content_hash=f"bench-{i}", state="IN_COLLECTION",
            agency_account=owner[i].account, agency_reference=references[i],
            agency_file_number=numbers[i], agency_status_code=10203,
            total_debts=c.principal + c.dunning_fees, outstanding=c.principal + c.dunning_fees,
            rejection_reasons=[], payouts=[], created_at=now, updated_at=now, version=1)
            for i in range(start, min(start + CHUNK, count))]
        with engine.begin() as conn:
            ids = [conn.execute(insert(tables.claims).values(**r).returning(tables.claims.c.id))
                   .scalar_one() for r in rows] if engine.dialect.name == "sqlite" else \
                conn.execute(insert(tables.claims).returning(tables.claims.c.id), rows).scalars().all()
            conn.execute(insert(tables.debtors), [dict(
                claim_id=claim_id, kind=d.kind.value, salutation=d.salutation.value,
                last_name=d.last_name, first_name=d.first_name, street=d.street,
                house_number=d.house_number, postcode=d.postcode, city=d.city,
                country=d.country) for claim_id in ids])


# Starts the sync and reports its CPU time and peak RSS. The sync is not started from
# this process directly: Linux records the parent's resident pages as the child's peak
# RSS at exec, and this process holds the in-process simulator's N claims, so the
# "sync's" peak grew with N (384 MB at 100,000 claims while the sync itself sat at 85 MB).
_RUSAGE_HELPER = """
import json, os, subprocess, sys
with open(sys.argv[1], "wb") as errors:
    proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=errors)
    _, status, ru = os.wait4(proc.pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "cpu_s": ru.ru_utime + ru.ru_stime,
                  "maxrss_kb": ru.ru_maxrss}))
"""


def run_sync(db_url: str, sims: dict, concurrency: int, report: Path) -> dict:
    # The endpoints are the connections' own (seed()); SOAP also needs the licence's key.
    soap_key = {"GATEWAY_AGENCY_APPLICATION_KEY": sims["soap"].application_key} \
        if "soap" in sims else {}
    env = {**os.environ, **soap_key, "GATEWAY_DATABASE_URL": db_url,
           "GATEWAY_LOG_LEVEL": "warning", "GATEWAY_LOG_FORMAT": "json",
           "GATEWAY_AGENCY_TIMEOUT_S": "30",
           # glibc gives each busy thread its own malloc arena: with 32 threads the RSS
           # then grows with time, not with claims. Two arenas, as in the systemd unit.
           "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
    args = [sys.executable, "-m", "gateway", "sync", "--full", "--concurrency", str(concurrency),
            "--max-rps", "0", "--no-progress", "--report", str(report)]
    errors = report.with_name("sync.stderr")
    parent_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    helper = subprocess.run([sys.executable, "-c", _RUSAGE_HELPER, str(errors), *args], env=env,
                            stdout=subprocess.PIPE, check=True)
    wall = time.monotonic() - started
    parent_after = resource.getrusage(resource.RUSAGE_SELF)
    usage = json.loads(helper.stdout)
    if usage["code"] != 0:
        stderr = errors.read_text(errors="replace")
        raise SystemExit(f"sync exited {usage['code']}:\n{stderr[-2000:]}")
    result = json.loads(report.read_text())
    return {"wall_s": wall, "sync_duration_s": result["duration_s"],
            "checked": result["claims_checked"], "changed": result["changed"],
            "agency_calls": result["agency_calls"],
            "cpu_s": usage["cpu_s"], "peak_rss_mb": usage["maxrss_kb"] / 1024,
            "simulator_cpu_s": (parent_after.ru_utime + parent_after.ru_stime)
                               - (parent_before.ru_utime + parent_before.ru_stime)}


class Database:
    """A fresh, migrated schema (PostgreSQL) or file (SQLite), removed afterwards."""

    def __init__(self, postgres_url: str | None):
        self.postgres_url = postgres_url
        if postgres_url:
            self.name = f"bench_sync_{uuid.uuid4().hex[:8]}"
            self.admin = create_engine(postgres_url)
            with self.admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
            sep = "&" if "?" in postgres_url else "?"
            self.url = f"{postgres_url}{sep}options=-csearch_path%3D{self.name}"
        else:
            self.dir = tempfile.TemporaryDirectory()
            self.url = f"sqlite:///{self.dir.name}/bench.db"
        self.engine = make_engine(self.url)
        schema.upgrade(self.engine)

    def drop(self) -> None:
        self.engine.dispose()
        if self.postgres_url:
            with self.admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
            self.admin.dispose()
        else:
            self.dir.cleanup()


def measure(size: int, args) -> dict:
    # As many server threads as calls in flight (and a few spare): more only fight
    # over the simulator's GIL, which is the bench's real ceiling on 2 cores.
    sims = start_in_process(args.agency, args.latency_ms, args.concurrency + 8)
    try:
        db = Database(None if args.sqlite else args.postgres_url)
        try:
            t0 = time.monotonic()
            seed(db.engine, sims, size)
            print(f"  seeded {size} claims in {time.monotonic() - t0:.1f} s", flush=True)
            with tempfile.TemporaryDirectory() as tmp:
                result = run_sync(db.url, sims, args.concurrency, Path(tmp) / "report.json")
            # Seeding went to the cores, not the fronts: the fronts counted the sync's calls.
            result["calls_by_agency"] = {api: sum(sim.stats()["calls"].values())
                                         for api, sim in sims.items()}
        finally:
            db.drop()
    finally:
        stop_all(sims)
    if result["checked"] != size:
        raise SystemExit(f"the sync checked {result['checked']} of {size} claims")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000,
                        help="the large size; N/10 is measured too for the memory ratio")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--agency", choices=AGENCY_MODES, default="soap",
                        help="simulated agency: SOAP, REST, or both (claims split evenly)")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "GATEWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead")
    parser.add_argument("--switch-interval", type=float, default=0.005,
                        help="sys.setswitchinterval of the simulator's process")
    args = parser.parse_args()
    # The in-process simulator's threads hand the GIL over less often: less switching
    # overhead per request (the 100 ms latency dwarfs a 5 ms switch interval).
    sys.setswitchinterval(args.switch_interval)
    limit, how = limit_of(args.concurrency, args.latency_ms / 1000.0, args.agency)
    results = {}
    for size in (max(1, args.claims // 10), args.claims):
        print(f"full sync of {size} open claims, agency {args.agency}, latency "
              f"{args.latency_ms:g} ms, concurrency {args.concurrency}, "
              f"{'SQLite' if args.sqlite else 'PostgreSQL'}", flush=True)
        r = results[size] = measure(size, args)
        rate = r["checked"] / r["sync_duration_s"]
        by_agency = ", ".join(f"{api} {n}" for api, n in r["calls_by_agency"].items())
        print(f"  agency {args.agency}: claims/s {rate:.1f}  limit {limit:.0f}/s  ratio "
              f"{rate / limit:.2f} (target >= 0.80)  changed {r['changed']}  agency calls "
              f"{r['agency_calls']} ({by_agency})  (limit: {how})")
        print(f"  CPU s/claim: sync {r['cpu_s'] / size * 1000:.2f} ms, simulator "
              f"{r['simulator_cpu_s'] / size * 1000:.2f} ms  peak RSS {r['peak_rss_mb']:.1f} MB  "
              f"(process wall {r['wall_s']:.1f} s)", flush=True)
    small, large = (results[s] for s in sorted(results))
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    print(f"peak memory: {small['peak_rss_mb']:.1f} MB at {min(results)} claims, "
          f"{large['peak_rss_mb']:.1f} MB at {max(results)}: ratio {ratio:.2f} (target <= 1.20)")


if __name__ == "__main__":
    main()
