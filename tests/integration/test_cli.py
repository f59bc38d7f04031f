"""The `gateway` command as a user runs it: a real process, real database, one-line errors."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run(*args, db_url=None, env=None, input=None):
    full_env = {**os.environ, "GATEWAY_LOG_FORMAT": "json"}
    if db_url:
        full_env["GATEWAY_DATABASE_URL"] = db_url
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "gateway", *args], capture_output=True,
                          text=True, env=full_env, input=input, timeout=120)


def test_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("db", "shops", "claims"):
        assert command in result.stdout


def test_fresh_database_upgrade_then_shops(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    refused = run("shops", "list", db_url=url)
    assert refused.returncode == 2 and "gateway db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert run("db", "upgrade", db_url=url).returncode == 0
    added = run("shops", "add", "shop-a", "--seat", "BY", db_url=url)
    assert added.returncode == 0 and "password: " in added.stdout
    again = run("shops", "add", "shop-a", db_url=url)
    assert again.returncode == 1 and again.stderr.strip() == "error: shop 'shop-a' exists already"
    listed = run("shops", "list", db_url=url)
    assert "shop-a" in listed.stdout and "BY" in listed.stdout


@pytest.mark.parametrize("args,env,needle", [
    (("shops", "list"), {"GATEWAY_PORT": "abc"}, "GATEWAY_PORT"),
    (("shops", "list"), {"GATEWAY_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:1/x"},
     "cannot reach the database"),
    (("claims", "show", "shop-a"), {}, "Missing argument"),
    (("shops", "add", "bad id!"), {}, "shop id must be"),
])
def test_bad_input_is_one_line_never_a_traceback(tmp_path, args, env, needle):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run("db", "upgrade", db_url=url)
    result = run(*args, db_url=url, env=env)
    assert result.returncode != 0
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_claims_show_unknown_claim(db_url):
    run("db", "upgrade", db_url=db_url)
    run("shops", "add", "shop-a", db_url=db_url)
    result = run("claims", "show", "shop-a", "NOPE", db_url=db_url)
    assert result.returncode == 1 and result.stderr.strip() == "error: shop shop-a has no claim NOPE"


def test_claims_list_filters_and_show_prints_history(db_url):
    from gateway import app
    from gateway.config import load
    from gateway.service import claims as uc
    from gateway.service.shops import add_shop
    from tests.factories import NOW, content

    run("db", "upgrade", db_url=db_url)
    with app.build(load(environ={"GATEWAY_DATABASE_URL": db_url})) as gw:
        for shop in ("shop-a", "shop-b"):
            add_shop(gw.uow, shop, password="correct horse battery")
        for i in range(3):
            uc.submit_claim(gw.uow, "shop-a", content(f"A-{i}"), now=NOW)
        uc.submit_claim(gw.uow, "shop-b", content("B-0"), now=NOW)
        uc.cancel_claim(gw.uow, "shop-a", "A-1", "returned", now=NOW)

    def listed(*args):
        result = run("claims", "list", *args, db_url=db_url)
        assert result.returncode == 0, result.stderr
        return [line.split()[1] for line in result.stdout.splitlines()[1:]]

    assert listed() == ["A-0", "A-1", "A-2", "B-0"]
    assert listed("--shop", "shop-a", "--limit", "2") == ["A-0", "A-1"]
    assert listed("--status", "CANCEL_REQUESTED") == ["A-1"]
    empty = run("claims", "list", "--status", "PAID", db_url=db_url)
    assert empty.stdout.splitlines()[1:] == ["no claims match"]
    shown = run("claims", "show", "shop-a", "A-1", db_url=db_url)
    assert shown.returncode == 0, shown.stderr
    assert "CANCEL_REQUESTED" in shown.stdout and "cancel_requested" in shown.stdout
    assert "Müller-Lüdenscheidt" in shown.stdout  # operators see the debtor on purpose


def test_db_status_tells_whether_the_schema_is_current(tmp_path):
    url = f"sqlite:///{tmp_path / 'status.db'}"
    before = run("db", "status", db_url=url)
    assert before.returncode == 0 and "database revision none" in before.stdout
    assert "OUT OF DATE: run `gateway db upgrade`" in before.stdout
    run("db", "upgrade", db_url=url)
    after = run("db", "status", db_url=url)
    assert after.stdout.strip().endswith(": up to date")
