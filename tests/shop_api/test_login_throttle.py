"""The login throttle through the real facade (waitress on loopback, real database), on a
clock the test moves: per address a growing delay then a lockout, per shop id the same with
higher thresholds; blocked logins answered without a hash; counts shared by every facade on
the database and atomic under concurrency; `gateway logins` lists and lifts blocks."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from gateway import app as gateway_app
from gateway.service.login_throttle import ADDRESS, SHOP, address_key
from gateway.service.passwords import PasswordCheckBusy, PasswordChecker, hash_password
from gateway.service.shops import add_shop
from gateway.shop_api import auth
from gateway.store import schema, tables
from gateway.store.database import make_engine
from gateway.store.login_throttle_store import SqlLoginFailureStore
from tests.factories import wall_now

from .conftest import PASSWORDS, serve
from .test_security import envelope, fault_code_of

AUTH = "Client.AuthenticationFailed"
LIST = envelope("<t:ListClaimChanges><t:limit>1</t:limit></t:ListClaimChanges>")
ATTACKER, OWN, ELSEWHERE = "203.0.113.7", "198.51.100.10", "192.0.2.99"
# Small numbers, so a test walks through every step: per address 2 free failures, delays
# of 10, 20, 40 s, a lockout at 5; per shop id 5 free, lockout at 10; lockouts of 600 s.
POLICY = dict(login_address_free_failures=2, login_address_lockout_failures=5,
              login_shop_free_failures=5, login_shop_lockout_failures=10, login_delay_s=10,
              login_max_delay_s=40, login_lockout_s=600, login_forget_after_s=3600,
              trusted_proxies="127.0.0.1")


class MovableClock:
    """The gateway's clock, moved by the test; starts at the wall clock's now so that CLI
    processes (on the wall clock) see the same blocks."""

    def __init__(self) -> None:
        self.now = wall_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def login(base_url: str, shop: str, password: str, address: str | None = None) -> str:
    """'ok', or the fault code the facade answered (ListClaimChanges: any shop may call it)."""
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if address:
        headers["X-Forwarded-For"] = address
    response = requests.post(base_url + "/soap/shop", data=LIST, headers=headers,
                             auth=(shop, password), timeout=30)
    return "ok" if response.status_code == 200 else fault_code_of(response)


def hashes() -> float:
    return sum(auth.PASSWORD_CHECKS.value(outcome=o) for o in ("ok", "wrong"))


def throttled(kind: str, reason: str) -> float:
    return auth.THROTTLED.value(kind=kind, reason=reason)


def gateway_cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_LOG_FORMAT": "json"}
    return subprocess.run([sys.executable, "-m", "gateway", *args], capture_output=True,
                          text=True, env=env, timeout=60)


@dataclass
class Throttled:
    base_url: str
    gateway: object
    clock: MovableClock

    def login(self, shop: str, password: str | None = None, address: str | None = None,
              base_url: str | None = None) -> str:
        return login(base_url or self.base_url, shop,
                     PASSWORDS[shop] if password is None else password, address)

    def rows(self) -> dict[tuple[str, str], tuple[int, bool]]:
        with self.gateway.engine.connect() as conn:
            return {(r.kind, r.subject): (r.failures, r.locked)
                    for r in conn.execute(select(tables.login_failures))}


@pytest.fixture
def facade_on_clock(settings):
    clock = MovableClock()
    gw = gateway_app.build(settings.replace(server_threads=4, **POLICY), clock=clock)
    for shop, password in PASSWORDS.items():
        add_shop(gw.uow, shop, password=password, seat="BY")
    base_url, _app, stop = serve(gw)
    yield Throttled(base_url, gw, clock)
    stop()
    gw.close()


def test_an_address_waits_longer_after_each_failure_then_is_locked_out(facade_on_clock):
    f = facade_on_clock
    for _ in range(2):  # free failures: each checked
        before = hashes()
        assert f.login("shop-a", "guess", ATTACKER) == AUTH
        assert hashes() == before + 1
    assert f.login("shop-a", "guess", ATTACKER) == AUTH  # the 3rd: 10 s delay from now

    # Within the delay every login from the address is refused at once, unchecked and
    # uncounted: also the right password, also for another shop.
    before, delayed = hashes(), throttled(ADDRESS, "delay")
    assert f.login("shop-a", address=ATTACKER) == AUTH
    assert f.login("shop-b", address=ATTACKER) == AUTH
    f.clock.advance(9.5)
    assert f.login("shop-a", "guess", ATTACKER) == AUTH
    assert (hashes(), throttled(ADDRESS, "delay")) == (before, delayed + 3)
    assert f.rows()[(ADDRESS, ATTACKER)] == (3, False)

    f.clock.advance(0.5)  # the delay is over: checked again; the 4th failure: 20 s
    assert f.login("shop-a", "guess", ATTACKER) == AUTH
    assert hashes() == before + 1
    f.clock.advance(19)
    assert f.login("shop-a", "guess", ATTACKER) == AUTH and hashes() == before + 1
    f.clock.advance(1)
    assert f.login("shop-a", "guess", ATTACKER) == AUTH  # the 5th: locked out for 600 s
    assert f.rows()[(ADDRESS, ATTACKER)] == (5, True)
    locked = throttled(ADDRESS, "lockout")
    f.clock.advance(599)
    assert f.login("shop-a", address=ATTACKER) == AUTH
    assert throttled(ADDRESS, "lockout") == locked + 1 and hashes() == before + 2

    # The shop itself, from its own address, is served all along: 5 failures are within
    # its free ones. Its success forgets the shop's count, not the address's.
    assert f.rows()[(SHOP, "shop-a")] == (5, False)
    assert f.login("shop-a", address=OWN) == "ok"
    assert (SHOP, "shop-a") not in f.rows() and f.rows()[(ADDRESS, ATTACKER)] == (5, True)

    # After the lockout: its failures are still remembered, so the next one locks again
    # (and, the address being past its lockout threshold, does not count for the shop) ...
    f.clock.advance(1)
    assert f.login("shop-b", "guess", ATTACKER) == AUTH
    assert f.rows()[(ADDRESS, ATTACKER)] == (6, True) and (SHOP, "shop-b") not in f.rows()
    assert f.login("shop-b", "guess", ATTACKER) == AUTH and hashes() == before + 4
    # ... until an hour without failures has passed: then they are forgotten.
    f.clock.advance(600 + 3600)
    assert f.login("shop-b", "guess", ATTACKER) == AUTH
    assert f.rows()[(ADDRESS, ATTACKER)] == (1, False)
    assert f.login("shop-b", address=ATTACKER) == "ok"


def test_failures_spread_over_addresses_lock_the_shop_id_for_a_while_only(facade_on_clock):
    f = facade_on_clock
    for i in range(1, 6):  # five addresses, one failure each: the shop's free failures
        assert f.login("shop-a", "guess", f"203.0.113.{i}") == AUTH
    assert f.login("shop-a", "guess", "203.0.113.6") == AUTH  # the 6th: shop delayed 10 s
    before = hashes()
    assert f.login("shop-a", "guess", "203.0.113.7") == AUTH
    assert f.login("shop-a", address=OWN) == AUTH  # the shop's own address waits too
    assert hashes() == before and throttled(SHOP, "delay") >= 2
    for i in range(7, 11):  # failures 7..10, each after its delay
        f.clock.advance(40)
        assert f.login("shop-a", "guess", f"203.0.113.{i}") == AUTH
    assert f.rows()[(SHOP, "shop-a")] == (10, True)

    # Locked for 600 s: every address, also the shop's own; other shops are untouched.
    f.clock.advance(599)
    assert f.login("shop-a", address=OWN) == AUTH
    assert f.login("shop-b", address=OWN) == "ok"
    assert f.login("shop-b", address="203.0.113.1") == "ok"
    f.clock.advance(1)  # over: the right password comes through and forgets the count
    assert f.login("shop-a", address=OWN) == "ok"
    assert (SHOP, "shop-a") not in f.rows()


def test_a_password_just_verified_is_never_throttled(facade_on_clock):
    f = facade_on_clock
    assert f.login("shop-a", address=OWN) == "ok"  # verified: cached for 60 s
    for i in range(1, 11):
        f.clock.advance(40)
        assert f.login("shop-a", "guess", f"203.0.113.{i}") == AUTH
    assert f.rows()[(SHOP, "shop-a")] == (10, True)
    before = hashes()
    assert f.login("shop-a", address=OWN) == "ok"  # no hash, no throttle: the cache knew it
    assert hashes() == before
    assert f.login("shop-a", "another guess", OWN) == AUTH  # guesses stay locked out
    assert hashes() == before


def test_unknown_shop_ids_count_for_the_address_only(facade_on_clock):
    f = facade_on_clock
    assert f.login("no-such-shop", "guess", ATTACKER) == AUTH
    assert f.login("", "guess", ATTACKER) == AUTH
    assert f.rows() == {(ADDRESS, ATTACKER): (2, False)}


def test_busy_password_checks_answer_unavailable_and_count_nothing(settings):
    """One hash slot and no wait: of concurrent logins that each need a hash, some get
    Server.Unavailable (retry later), never AuthenticationFailed, and are not counted."""
    gw = gateway_app.build(settings.replace(
        password_check_concurrency=1, password_check_wait_s=0, server_threads=8,
        login_address_free_failures=100, login_address_lockout_failures=200))
    add_shop(gw.uow, "shop-a", password=PASSWORDS["shop-a"])
    base_url, _app, stop = serve(gw)
    try:
        start = threading.Barrier(8)
        answers: list[str] = []

        def guess(i: int) -> None:
            start.wait()
            answers.append(login(base_url, "shop-a", f"guess-{i}"))

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert set(answers) == {AUTH, "Server.Unavailable"}, answers
        with gw.engine.connect() as conn:
            counted = conn.execute(select(tables.login_failures.c.failures).where(
                tables.login_failures.c.kind == SHOP)).scalar_one()
        assert counted == answers.count(AUTH)
    finally:
        stop()
        gw.close()


def test_password_checker_bounds_concurrent_hashes():
    checker = PasswordChecker(1)
    stored = hash_password("right")
    start = threading.Barrier(4)
    results: list = []

    def check() -> None:
        start.wait()
        try:
            results.append(checker.verify("right", stored, wait_s=0))
        except PasswordCheckBusy:
            results.append("busy")

    threads = [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert True in results and "busy" in results
    assert checker.verify("wrong", stored, wait_s=5) is False


def test_two_facades_on_one_database_share_the_counts_and_the_cli_lifts_blocks(
        facade_on_clock, db_url):
    f = facade_on_clock
    second_url, _app, stop = serve(f.gateway)
    try:
        for _ in range(5):  # through the first facade: locked out (delays passed by)
            assert f.login("shop-a", "guess", ATTACKER) == AUTH
            f.clock.advance(40)
        before = hashes()
        assert f.login("shop-a", address=ATTACKER, base_url=second_url) == AUTH
        assert hashes() == before  # the second facade refused it unchecked

        listed = gateway_cli(db_url, "logins", "list")
        assert listed.returncode == 0, listed.stderr
        line = next(li for li in listed.stdout.splitlines() if ATTACKER in li)
        assert line.split()[:3] == [ADDRESS, ATTACKER, "5"] and "locked out until" in line

        unlocked = gateway_cli(db_url, "logins", "unlock", "--address", ATTACKER)
        assert unlocked.returncode == 0, unlocked.stderr
        assert unlocked.stdout.strip() == f"address {ATTACKER}: unlocked, its failed logins " \
            "forgotten"
        assert f.login("shop-a", address=ATTACKER, base_url=second_url) == "ok"
        assert (ADDRESS, ATTACKER) not in f.rows()

        again = gateway_cli(db_url, "logins", "unlock", "--address", ATTACKER)
        assert (again.returncode, again.stderr.strip()) == (
            1, f"error: no failed logins remembered for address {ATTACKER}")
        neither = gateway_cli(db_url, "logins", "unlock")
        assert neither.returncode == 1 and neither.stderr.count("\n") == 1
    finally:
        stop()


def test_cli_unlocks_a_shop_id(facade_on_clock, db_url):
    f = facade_on_clock
    for i in range(1, 11):
        assert f.login("shop-a", "guess", f"203.0.113.{i}") == AUTH
        f.clock.advance(40)
    assert f.login("shop-a", address=OWN) == AUTH
    result = gateway_cli(db_url, "logins", "unlock", "--shop", "shop-a")
    assert result.returncode == 0, result.stderr
    assert f.login("shop-a", address=OWN) == "ok"
    assert gateway_cli(db_url, "logins", "list").stdout.count("203.0.113.") == 10


def test_concurrent_failures_from_several_processes_lose_no_count(db_url):
    """Two engines (as two processes would have), four threads each, 25 failures per
    thread on one key, all at once: 200 counted."""
    engines = [make_engine(db_url), make_engine(db_url)]
    stores = [SqlLoginFailureStore(e) for e in engines]
    now = wall_now()
    start = threading.Barrier(8)
    errors: list = []

    def fail_many(store: SqlLoginFailureStore) -> None:
        start.wait()
        try:
            for _ in range(25):
                store.count_failure([(SHOP, "shop-x"), (ADDRESS, "203.0.113.1")], now,
                                    now - timedelta(hours=1), lambda kind, n: (0.0, False))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fail_many, args=(stores[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == []
        assert {(r.kind, r.subject): r.failures for r in stores[0].list()} == {
            (SHOP, "shop-x"): 200, (ADDRESS, "203.0.113.1"): 200}
    finally:
        for engine in engines:
            engine.dispose()


def test_lockout_gauge_is_read_from_the_database(facade_on_clock):
    from gateway.metrics import Registry
    from gateway.store.login_throttle_store import register_lockout_metrics

    f = facade_on_clock
    registry = Registry()
    register_lockout_metrics(f.gateway.engine, f.clock, registry)
    for _ in range(5):
        assert f.login("shop-a", "guess", ATTACKER) == AUTH
        f.clock.advance(40)
    text = registry.render()
    assert 'gateway_login_lockouts{kind="address"} 1' in text
    assert 'gateway_login_lockouts{kind="shop"} 0' in text
    f.clock.advance(600)
    assert 'gateway_login_lockouts{kind="address"} 0' in registry.render()


@pytest.mark.parametrize("remote, forwarded, trusted, expected", [
    ("10.0.0.5", "203.0.113.7", "", "10.0.0.5"),  # no trusted proxy: the header is ignored
    ("10.0.0.5", "203.0.113.7", "10.0.0.0/8", "203.0.113.7"),
    ("10.0.0.5", "198.51.100.1, 203.0.113.7, 10.0.0.9", "10.0.0.0/8", "203.0.113.7"),
    ("192.0.2.1", "203.0.113.7", "10.0.0.0/8", "192.0.2.1"),  # not from the proxy
    ("10.0.0.5", "", "10.0.0.0/8", "10.0.0.5"),
    ("10.0.0.5", "2001:db8:1:2::99", "10.0.0.0/8", "2001:db8:1:2::/64"),
    ("::ffff:10.0.0.5", "203.0.113.7", "10.0.0.0/8", "203.0.113.7"),  # dual-stack socket
])
def test_client_address_believes_x_forwarded_for_only_from_trusted_proxies(
        remote, forwarded, trusted, expected):
    import ipaddress

    networks = [ipaddress.ip_network(n) for n in trusted.split(",") if n]
    environ = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert auth.client_address(environ, networks) == address_key(expected)


def test_migration_0004_creates_and_drops_the_table(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        schema.upgrade(engine)
        assert "login_failures" in inspect(engine).get_table_names()
        command.downgrade(schema.alembic_config(engine), "0003")
        assert "login_failures" not in inspect(engine).get_table_names()
        schema.upgrade(engine)
        assert "login_failures" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
