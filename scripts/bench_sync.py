"""Full status sync throughput and memory against the simulator (not a timed test).

Seeds N open claims (IN_COLLECTION, with file numbers) straight into a fresh
database schema with SQL and registers the same claims in an in-process simulator
(its core API, AgencySimulator.new_claim), then runs `gateway sync --full` in a
subprocess and reads that process's own CPU time and peak RSS (os.wait4 in a helper). 2 % of
the claims have a new status at the agency (part payment), so the write path and
the accounting call are in the figures too.

Runs two sizes, N/10 and N, for the memory ratio (claims are streamed, so the peak
must not grow with N). The limit is concurrency / latency: every claim costs one
agency round trip when nothing changed.

    python scripts/bench_sync.py [--claims 100000] [--latency-ms 100] [--concurrency 32]
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

from gateway.agencies.simulator import start_simulator  # noqa: E402
from gateway.service.shops import add_shop  # noqa: E402
from gateway.store import schema, tables  # noqa: E402
from gateway.store.database import make_engine  # noqa: E402
from gateway.store.unit_of_work import SqlUnitOfWork  # noqa: E402
from tests.factories import content, wall_today  # noqa: E402

CLIENT_ID, CLIENT_KEY = 1001, "bench-client-key"
CHANGED_SHARE = 50  # every 50th claim has news at the agency: 2 %
CHUNK = 5000


def seed(engine, sim, count: int) -> None:
    """The simulator learns each claim first (it picks the file number), then the database."""
    from functools import partial
    add_shop(partial(SqlUnitOfWork, engine), "bench-shop", password="correct horse battery",
             agency_client_id=str(CLIENT_ID), agency_client_key=CLIENT_KEY)
    template = content("BENCH", today=wall_today())
    now = datetime.now(timezone.utc)
    numbers = []
    for i in range(count):
        number, errors = sim.simulator.new_claim(CLIENT_ID, replace(template,
                                                                    shop_claim_id=f"B-{i:07d}"))
        assert not errors, errors
        numbers.append(number)
    sim.advance(2)  # every claim has had its first letter: 10203, IN_COLLECTION
    for i in range(0, count, CHANGED_SHARE):
        sim.force_status(numbers[i], 10208)  # part paid: state change + accounting
    c, d = template, template.debtor
    for start in range(0, count, CHUNK):
        rows = [dict(
            shop_id="bench-shop", shop_claim_id=f"B-{i:07d}", claim_type=c.claim_type.value,
            reason=c.reason, principal=c.principal, dunning_fees=c.dunning_fees,
            currency=c.currency, date_of_origin=c.date_of_origin, due_date=c.due_date,
            date_of_last_reminder=c.date_of_last_reminder, note=c.note,
            counter_performance_rendered=c.counter_performance_rendered,
            content_hash=f"bench-{i}", state="IN_COLLECTION", agency_account=f"client-{CLIENT_ID}",
            agency_reference=f"B-{i:07d}",
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


def run_sync(db_url: str, sim, concurrency: int, report: Path) -> dict:
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_AGENCY_URL": sim.url,
           "GATEWAY_AGENCY_APPLICATION_KEY": sim.application_key, "GATEWAY_LOG_LEVEL": "warning",
           "GATEWAY_LOG_FORMAT": "json", "GATEWAY_AGENCY_TIMEOUT_S": "30",
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
    sim = start_simulator(latency_ms=args.latency_ms, clients={CLIENT_ID: CLIENT_KEY},
                          threads=args.concurrency + 8)
    db = Database(None if args.sqlite else args.postgres_url)
    try:
        t0 = time.monotonic()
        seed(db.engine, sim, size)
        print(f"  seeded {size} claims in {time.monotonic() - t0:.1f} s", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            result = run_sync(db.url, sim, args.concurrency, Path(tmp) / "report.json")
    finally:
        db.drop()
        sim.stop()
    if result["checked"] != size:
        raise SystemExit(f"the sync checked {result['checked']} of {size} claims")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000,
                        help="the large size; N/10 is measured too for the memory ratio")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "GATEWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead")
    parser.add_argument("--switch-interval", type=float, default=0.005,
                        help="sys.setswitchinterval of the simulator's process")
    args = parser.parse_args()
    # The in-process simulator's threads hand the GIL over less often: less switching
    # overhead per request (the 100 ms latency dwarfs a 5 ms switch interval).
    sys.setswitchinterval(args.switch_interval)
    limit = args.concurrency / (args.latency_ms / 1000.0)
    results = {}
    for size in (max(1, args.claims // 10), args.claims):
        print(f"full sync of {size} open claims, latency {args.latency_ms:g} ms, "
              f"concurrency {args.concurrency}, {'SQLite' if args.sqlite else 'PostgreSQL'}",
              flush=True)
        r = results[size] = measure(size, args)
        rate = r["checked"] / r["sync_duration_s"]
        print(f"  claims/s {rate:.1f}  limit {limit:.0f}/s  ratio {rate / limit:.2f} "
              f"(target >= 0.80)  changed {r['changed']}  agency calls {r['agency_calls']}")
        print(f"  CPU s/claim: sync {r['cpu_s'] / size * 1000:.2f} ms, simulator "
              f"{r['simulator_cpu_s'] / size * 1000:.2f} ms  peak RSS {r['peak_rss_mb']:.1f} MB  "
              f"(process wall {r['wall_s']:.1f} s)", flush=True)
    small, large = (results[s] for s in sorted(results))
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    print(f"peak memory: {small['peak_rss_mb']:.1f} MB at {min(results)} claims, "
          f"{large['peak_rss_mb']:.1f} MB at {max(results)}: ratio {ratio:.2f} (target <= 1.20)")


if __name__ == "__main__":
    main()
