"""`gateway staff ...` as an operator runs it (a real process on a real database), mounting
the console in `gateway serve`'s app, and migration 0005 going back and forth."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect
from werkzeug.test import Client

from gateway.console import accounts
from gateway.store import schema
from tests.court_dunning.helpers import add_shop
from tests.factories import wall_now
from tests.integration.test_cli import run

from .conftest import ConsoleClient, audit


def test_add_prints_a_password_once_that_logs_in(db_url, gw, app):
    add_shop(gw, "shop-a")
    result = run("staff", "add", "Anna.Schmidt", "--role", "accountant", "--shop", "shop-a",
                 db_url=db_url)
    assert result.returncode == 1  # names are lower case, as the login takes them
    assert "lower-case" in result.stderr and "Traceback" not in result.stderr
    result = run("staff", "add", "anna.schmidt", "--role", "accountant", "--shop", "shop-a",
                 db_url=db_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "staff member anna.schmidt added: role accountant, sees shop-a"
    password = lines[1].removeprefix("password: ")
    assert len(password) >= 20
    assert ConsoleClient(app).login("anna.schmidt", password).status_code == 303
    [added] = audit(gw, "staff_added")
    assert added.actor.startswith("cli") and added.details["shops"] == ["shop-a"]


def test_password_from_stdin_unknown_shop_and_taken_name(db_url, gw, app):
    add_shop(gw, "shop-a")
    short = run("staff", "add", "otto", "--role", "operator", "--password-stdin",
                db_url=db_url, input="kurz\n")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    unknown = run("staff", "add", "otto", "--role", "operator", "--shop", "shop-x",
                  "--password-stdin", db_url=db_url, input="ein langes Passwort\n")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "error: no shop shop-x"
    ok = run("staff", "add", "otto", "--role", "operator", "--shop", "shop-a",
             "--password-stdin", db_url=db_url, input="ein langes Passwort\n")
    assert ok.returncode == 0 and "password" not in ok.stdout.split("\n", 1)[1]
    assert ConsoleClient(app).login("otto", "ein langes Passwort").status_code == 303
    taken = run("staff", "add", "otto", "--role", "viewer", db_url=db_url)
    assert taken.returncode == 1 and "exists already" in taken.stderr
    bad_role = run("staff", "add", "eva", "--role", "boss", db_url=db_url)
    assert bad_role.returncode == 2 and "viewer" in bad_role.stderr


def test_set_list_remove_and_unlock(db_url, gw, app, clock):
    clock.now = wall_now()  # the lockout is judged by the CLI process, on the wall clock
    add_shop(gw, "shop-a")
    add_shop(gw, "shop-b")
    accounts.add_staff(gw, "vera", "viewer", shops={"shop-a"}, password="ein langes Passwort",
                       actor="test")
    changed = run("staff", "set", "vera", "--role", "accountant", "--add-shop", "shop-b",
                  db_url=db_url)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "staff member vera: changed role, shops"
    assert run("staff", "set", "vera", "--role", "accountant", db_url=db_url).stdout.strip() \
        == "staff member vera: nothing to change"
    client = ConsoleClient(app)
    client.get("/console/login")
    for _ in range(gw.settings.console_login_lockout_failures):
        client.post("/console/login", {"name": "vera", "password": "falsch-falsch"})
    listed = run("staff", "list", db_url=db_url, env={"GATEWAY_LOGIN_DELAY_S": "0"})
    [row] = [line for line in listed.stdout.splitlines() if line.startswith("vera ")]
    assert "accountant" in row and "shop-a,shop-b" in row and "locked out until" in row
    unlocked = run("staff", "unlock", "vera", db_url=db_url)
    assert unlocked.returncode == 0 and "unlocked" in unlocked.stdout
    assert run("staff", "unlock", "vera", db_url=db_url).returncode == 1
    new = run("staff", "set", "vera", "--new-password", db_url=db_url)
    password = new.stdout.splitlines()[1].removeprefix("password: ")
    assert ConsoleClient(app).login("vera", password).status_code == 303
    removed = run("staff", "remove", "vera", db_url=db_url)
    assert removed.returncode == 0 and removed.stdout.strip() == "staff member vera removed"
    assert ConsoleClient(app).login("vera", password).status_code == 401
    assert "vera" not in run("staff", "list", db_url=db_url).stdout
    assert "removed" in run("staff", "list", "--all", db_url=db_url).stdout
    again = run("staff", "add", "vera", "--role", "viewer", db_url=db_url)
    assert again.returncode == 1 and "not given again" in again.stderr
    assert [r.action for r in audit(gw) if r.action.startswith("staff_")] == [
        "staff_added", "staff_changed", "staff_unlocked", "staff_unlocked", "staff_changed",
        "staff_removed"]


def test_serve_mounts_the_console_beside_the_facade_unless_turned_off(gw, console_settings,
                                                                      clock):
    from gateway import app as gateway_app
    from gateway.cli.serve import with_console
    from gateway.shop_api import ShopApp

    served = Client(with_console(ShopApp(gw), gw))
    assert served.get("/console/login").status_code == 200
    assert served.get("/console").status_code in (301, 302, 303, 308)
    assert served.get("/soap/shop?wsdl").status_code == 200  # the facade as before
    assert served.get("/consoleX").status_code == 404  # the facade's 404, not the console's
    off = console_settings.replace(console_enabled=False)
    with gateway_app.build(off, clock=clock) as plain:
        facade_only = Client(with_console(ShopApp(plain), plain))
        assert facade_only.get("/console/login").status_code == 404
        assert facade_only.get("/healthz").status_code == 200


def test_migration_0005_goes_back_and_forth(gw):
    console_tables = {"staff", "staff_shops", "staff_sessions", "audit_log"}
    command.downgrade(schema.alembic_config(gw.engine), "0004")
    assert not console_tables & set(inspect(gw.engine).get_table_names())
    schema.upgrade(gw.engine)
    assert console_tables <= set(inspect(gw.engine).get_table_names())
