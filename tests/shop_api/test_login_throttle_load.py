"""Password guessing against `gateway serve` in a process of its own: 200 wrong passwords
from 4 concurrent clients are throttled (delays, then lockouts, seen by the CLI and
/metrics) while another shop is served as usual, unlocking restores access, and the
server's memory stays bounded, also when many hashes are computed at once."""
from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from gateway.service.shops import add_shop
from tests.serve_process import gateway_serve

from .test_login_throttle import AUTH, gateway_cli, login

PASSWORDS = {"shop-a": "password-of-the-guessed-shop", "shop-b": "password-of-the-other-shop"}
ATTACKERS = [f"203.0.113.{i}" for i in range(1, 5)]
OWN, OTHER = "198.51.100.10", "198.51.100.20"
MIB = 1024 * 1024


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def metric(text: str, name: str, **labels: str) -> float:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{name}{{{inner}}} (\S+)$" if inner else rf"^{name} (\S+)$", text,
                      re.MULTILINE)
    return float(match.group(1)) if match else 0.0


class Server:
    """A `gateway serve` process (tests/serve_process.py) behind a trusted proxy address,
    with the login settings given."""

    def __init__(self, db_url: str, tmp_path, **settings: str):
        self.env = dict(os.environ, GATEWAY_DATABASE_URL=db_url, GATEWAY_RUN_WORKER="false",
                        GATEWAY_RUN_SIMULATOR="false", GATEWAY_SYNC_INTERVAL_S="0",
                        GATEWAY_LOG_FORMAT="json", GATEWAY_SERVER_THREADS="16",
                        GATEWAY_TRUSTED_PROXIES="127.0.0.1",
                        **{f"GATEWAY_{k.upper()}": v for k, v in settings.items()})
        self._serving = gateway_serve(env=self.env, cwd=tmp_path)

    def __enter__(self) -> "Server":
        served = self._serving.__enter__()
        self.base_url, self.process = served.base_url, served.process
        return self

    def __exit__(self, *exc) -> None:
        self._serving.__exit__(*exc)

    def login(self, shop: str, password: str | None = None, address: str | None = None) -> str:
        return login(self.base_url, shop, PASSWORDS[shop] if password is None else password,
                     address)

    def metrics(self) -> str:
        return requests.get(self.base_url + "/metrics", timeout=10).text


def test_200_guesses_from_4_clients_are_throttled_while_another_shop_is_served(
        gateway, db_url, tmp_path):
    for shop, password in PASSWORDS.items():
        add_shop(gateway.uow, shop, password=password)
    # Per address: 2 free failures, a delay of 0.5 s, locked out at the 4th; per shop id:
    # 8 free, delays of 0.5 s, locked out at the 16th (4 addresses x 4). That takes about
    # 2 s; the guessers try every 80 ms or more for 4 s or more: they run into the delays
    # (the shop's from its 9th failure on: a window of 8 failures, wide enough to be hit on
    # a busy machine) and reach the lockouts, however busy the machine.
    with Server(db_url, tmp_path, login_address_free_failures="2",
                login_address_lockout_failures="4", login_shop_free_failures="8",
                login_shop_lockout_failures="16", login_delay_s="0.5",
                login_max_delay_s="0.5", login_lockout_s="600",
                password_check_wait_s="10") as server:
        assert server.login("shop-b", address=OTHER) == "ok"  # warm: one hash computed
        rss_before = rss(server.process.pid)
        attacking = threading.Event()
        attacking.set()
        served: list[tuple[str, float]] = []

        def other_shop() -> None:
            while attacking.is_set():
                started = time.perf_counter()
                answer = server.login("shop-b", address=OTHER)
                served.append((answer, time.perf_counter() - started))
                time.sleep(0.05)

        def guesser(address: str) -> list[str]:
            answers = []
            for i in range(50):
                answers.append(server.login("shop-a", f"guess-{address}-{i}", address))
                time.sleep(0.08)
            return answers

        other = threading.Thread(target=other_shop)
        other.start()
        with ThreadPoolExecutor(4) as pool:
            answers = [a for batch in pool.map(guesser, ATTACKERS) for a in batch]
        attacking.clear()
        other.join(30)
        rss_after = rss(server.process.pid)

        assert len(answers) == 200 and set(answers) == {AUTH}
        scraped = server.metrics()
        computed = metric(scraped, "gateway_password_checks_total", outcome="wrong")
        # Each failure counted for its address and the shop; the shop's lockout at 16 ends
        # the checking (a few concurrent checks may pass the same last moment): the other
        # 180 or more were refused unchecked, by a delay or a lockout of either kind.
        assert 16 <= computed <= 20, scraped
        for kind in ("shop", "address"):
            for reason in ("delay", "lockout"):
                assert metric(scraped, "gateway_login_throttled_total", kind=kind,
                              reason=reason) > 0, (kind, reason, scraped)
        assert metric(scraped, "gateway_login_lockouts", kind="shop") == 1
        assert metric(scraped, "gateway_login_lockouts", kind="address") == 4

        listed = gateway_cli(db_url, "logins", "list")
        assert listed.returncode == 0, listed.stderr
        locked = {tuple(line.split()[:2]) for line in listed.stdout.splitlines()
                  if "locked out until" in line}
        assert locked == {("shop", "shop-a")} | {("address", a) for a in ATTACKERS}

        # The other shop was served as usual all along.
        assert len(served) >= 10 and {a for a, _ in served} == {"ok"}
        assert max(seconds for _, seconds in served) < 5.0
        assert rss_after - rss_before < 100 * MIB, (rss_before, rss_after)

        # The shop id is locked for every address; unlocking it lets the shop in again,
        # while the attackers' addresses stay locked until they are unlocked too.
        assert server.login("shop-a", address=OWN) == AUTH
        assert gateway_cli(db_url, "logins", "unlock", "--shop", "shop-a").returncode == 0
        assert server.login("shop-a", address=ATTACKERS[0]) == AUTH
        assert gateway_cli(db_url, "logins", "unlock", "--address", ATTACKERS[0]).returncode == 0
        assert server.login("shop-a", address=ATTACKERS[0]) == "ok"
        assert server.login("shop-a", address=OWN) == "ok"
        assert metric(server.metrics(), "gateway_login_lockouts", kind="address") == 3


def test_many_hashes_at_once_leave_the_memory_bounded(gateway, db_url, tmp_path):
    """No throttle in the way (thresholds out of reach): 64 wrong passwords from 8 clients
    at once, each a hash of 16 MiB, on 16 server threads. Computed on the checker's few
    threads, they leave at most a few arenas behind (computed on the request threads they
    left 16-32 MiB per thread)."""
    add_shop(gateway.uow, "shop-a", password=PASSWORDS["shop-a"])
    with Server(db_url, tmp_path, login_address_free_failures="1000",
                login_address_lockout_failures="1000", login_shop_free_failures="1000",
                login_shop_lockout_failures="1000", password_check_wait_s="30") as server:
        assert server.login("shop-a", address=OWN) == "ok"
        rss_before = rss(server.process.pid)

        def guesser(n: int) -> list[str]:
            return [server.login("shop-a", f"guess-{n}-{i}", f"203.0.113.{n}") for i in range(8)]

        with ThreadPoolExecutor(8) as pool:
            answers = [a for batch in pool.map(guesser, range(1, 9)) for a in batch]
        rss_after = rss(server.process.pid)
        assert answers == [AUTH] * 64
        assert metric(server.metrics(), "gateway_password_checks_total", outcome="wrong") == 64
        assert rss_after - rss_before < 100 * MIB, (rss_before, rss_after)
