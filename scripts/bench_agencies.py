"""The agencies of a benchmark run (`--agency soap|rest|both`): starting the simulator(s), and
giving the gateway a connection, an account and a shop on each.

soap  the SOAP simulator, a mediafinanz-soap connection            (today's benchmarks)
rest  the REST simulator, a mediafinanz-rest connection, an account with its uuid/user/password
both  both, one shop on each; the benchmark splits its claims evenly between the shops

Both simulators accept their development client (DEFAULT_CLIENTS / DEFAULT_REST_CLIENTS);
its core id is 1001 in both, which the benchmarks use to seed claims through the core API.

The limit with both: the worker and the sync each have ONE pool of `concurrency` agency calls
shared by all connections (Dispatcher's ThreadPoolExecutor, sync_full's threads), so with N
calls in flight at latency L the limit is N / L however the calls are split. The sum of both
agencies' limits (2 N / L) would hold only with a pool per agency, which the gateway does not
have.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.agencies.simulator import (DEFAULT_CLIENTS, DEFAULT_REST_CLIENTS,  # noqa: E402
                                        DEFAULT_REST_UUID, start_rest_simulator, start_simulator)
from gateway.app import ADAPTER_KINDS  # noqa: E402
from gateway.service.agency_accounts import add_account, add_connection  # noqa: E402
from gateway.service.shops import add_shop  # noqa: E402
from bench_ready import wait_until_ready  # noqa: E402

AGENCY_MODES = ("soap", "rest", "both")
KINDS = {"soap": "mediafinanz-soap", "rest": "mediafinanz-rest"}
# The simulator's name of the submit operation (its stats count calls by it).
SUBMIT_OPERATION = {"soap": "newClaim", "rest": "claim_new"}
SHOP_PASSWORD = "bench-password-123"
_SOAP_ID, _SOAP_KEY = next(iter(DEFAULT_CLIENTS.items()))
_REST = DEFAULT_REST_CLIENTS[DEFAULT_REST_UUID]


def apis(mode: str) -> tuple[str, ...]:
    return ("soap", "rest") if mode == "both" else (mode,)


def limit_of(concurrency: int, latency_s: float, mode: str) -> tuple[float, str]:
    """(limit in calls/s, how it comes about): N / L in every mode, see the module's doc."""
    limit = concurrency / latency_s
    how = f"{concurrency} / {latency_s:g} s"
    if mode == "both":
        how += (f": one pool of {concurrency} calls shared by both agencies; a pool per "
                f"agency would allow 2 x {limit:.0f}")
    return limit, how


@dataclass(frozen=True)
class BenchShop:
    api: str               # soap | rest
    shop_id: str
    account: str
    reference_prefix: str  # the claims' agency_reference is "PREFIX.shop claim id"
    core_client_id: int    # the simulator core's client of the account (seeding)


def add_bench_shops(uow_factory, urls: dict[str, str]) -> list[BenchShop]:
    """Per api in `urls` (api -> the simulator's endpoint): a connection of its kind, an
    account with the simulator's development credentials and a shop on it."""
    shops = []
    for api, url in urls.items():
        name = f"bench-{api}"
        add_connection(uow_factory, name, KINDS[api], tuple(ADAPTER_KINDS), endpoint_url=url)
        if api == "soap":
            add_account(uow_factory, name, name, str(_SOAP_ID), _SOAP_KEY)
        else:  # the REST API knows the client by uuid, with a user and a password
            add_account(uow_factory, name, name, DEFAULT_REST_UUID, _REST.password,
                        user_name=_REST.user)
        new = add_shop(uow_factory, name, password=SHOP_PASSWORD, account=name)
        core_id = _SOAP_ID if api == "soap" else _REST.client_id
        shops.append(BenchShop(api, name, name, new.shop.reference_prefix, core_id))
    return shops


# -- simulators in a process of their own (bench_dispatch) ----------------------------------
class AgencyProcess:
    """`gateway agency-sim --api API` on a free port."""

    def __init__(self, api: str, proc: subprocess.Popen, port: int):
        self.api, self.proc, self.port = api, proc, port
        base = f"http://127.0.0.1:{port}"
        self.url = base + "/mediafinanz" if api == "soap" else base

    def stats(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_sim/stats", timeout=5) as r:
            return json.load(r)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_processes(mode: str, latency_s: float, threads: int) -> dict[str, AgencyProcess]:
    """One simulator process per api of `mode`, each answered before this returns; on a
    failure (ServerDidNotStart: one line, exit 2) the ones already started are killed."""
    started: dict[str, AgencyProcess] = {}
    try:
        for api in apis(mode):
            port = _free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "gateway", "agency-sim", "--api", api, "--port", str(port),
                 "--latency-ms", str(latency_s * 1000), "--speed", "0", "--threads", str(threads)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            sim = started[api] = AgencyProcess(api, proc, port)
            wait_until_ready(sim.stats, f"the {api.upper()} agency simulator", proc)
    except BaseException:
        for sim in started.values():
            sim.proc.kill()
        raise
    return started


def stop_all(sims: dict) -> None:
    for sim in sims.values():
        sim.stop()


# -- simulators in this process (bench_sync seeds claims through their core) ------------------
def start_in_process(mode: str, latency_ms: float, threads: int) -> dict:
    """api -> a running SimulatorHandle / RestSimulatorHandle (clock frozen: speed 0)."""
    starters = {"soap": partial(start_simulator, clients={_SOAP_ID: _SOAP_KEY}),
                "rest": partial(start_rest_simulator,
                                clients={DEFAULT_REST_UUID: _REST})}
    sims: dict = {}
    try:
        for api in apis(mode):
            sims[api] = starters[api](latency_ms=latency_ms, threads=threads)
    except BaseException:
        stop_all(sims)
        raise
    return sims
