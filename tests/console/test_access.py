"""Logging in and out, sessions, CSRF, throttled logins and who sees what: the console app
as `gateway serve` mounts it, on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io

from gateway.console import accounts
from gateway.domain.lifecycle import ClaimState

from .conftest import B_DEBTOR, PASSWORD, ConsoleClient, audit, state_of, table


def test_every_page_wants_a_login_and_comes_back_to_it_after(gw, world, client):
    answer = client.get("/console/claims?state=UNCOLLECTIBLE")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/console/login?next=")
    page = client.get(answer.headers["Location"])
    assert 'name="next" value="/claims?state=UNCOLLECTIBLE"' in page.get_data(as_text=True)
    done = client.post("/console/login", {"name": "Anna", "password": PASSWORD,
                                          "next": "/claims?state=UNCOLLECTIBLE"})
    assert done.status_code == 303
    assert done.headers["Location"] == "/console/claims?state=UNCOLLECTIBLE"
    # Another site is never a place to go back to.
    client.get("/console/login")
    elsewhere = ConsoleClient(client.client.application)
    elsewhere.get("/console/login")
    answer = elsewhere.post("/console/login", {"name": "anna", "password": PASSWORD,
                                               "next": "//evil.example/x"})
    assert answer.headers["Location"] == "/console/"


def test_session_cookie_is_httponly_lax_and_scoped_to_the_console(gw, world, client):
    answer = client.login("anna")
    cookie = next(c for c in answer.headers.getlist("Set-Cookie")
                  if c.startswith("gateway_console="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # GATEWAY_PUBLIC_URL is not https here
    page = client.get("/console/")
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src" not in page.headers["Content-Security-Policy"]  # no script at all
    assert page.headers["X-Frame-Options"] == "DENY"


def test_secure_cookie_behind_tls(console_settings, clock, world):
    from gateway import app as gateway_app
    from gateway.console.web import mount

    from .conftest import NoFacade

    settings = console_settings.replace(public_url="https://gateway.example")
    with gateway_app.build(settings, clock=clock) as gw:
        answer = ConsoleClient(mount(NoFacade(), gw)).login("anna")
    cookie = next(c for c in answer.headers.getlist("Set-Cookie")
                  if c.startswith("gateway_console="))
    assert "Secure" in cookie


def test_wrong_password_is_refused_and_audited_without_what_was_typed(gw, world, client):
    client.get("/console/login")
    wrong = client.post("/console/login", {"name": "anna", "password": "Sommer2026!"})
    assert wrong.status_code == 401
    assert "Name oder Passwort ist falsch." in wrong.get_data(as_text=True)
    client.post("/console/login", {"name": "geheim-passwort-123", "password": "x"})
    failed = audit(gw, "login_failed")
    assert [(r.actor, r.address) for r in failed] == [("anna", "192.0.2.10"),
                                                      (None, "192.0.2.10")]
    assert "geheim" not in str([tuple(r) for r in audit(gw)])
    assert audit(gw, "login") == []


def test_login_logout_and_the_old_cookie_is_dead(gw, world, client):
    assert client.login("anna").status_code == 303
    assert client.get("/console/").status_code == 200
    [login] = audit(gw, "login")
    assert (login.actor, login.address) == ("anna", "192.0.2.10")
    cookie = client.client.get_cookie("gateway_console", path="/console").value
    answer = client.post("/console/logout")
    assert answer.status_code == 303 and "bye=1" in answer.headers["Location"]
    assert [r.actor for r in audit(gw, "logout")] == ["anna"]
    # The session row is gone: the same cookie sent again gets the login page.
    client.client.set_cookie("gateway_console", cookie, path="/console")
    assert client.get("/console/").status_code == 303


def test_idle_session_runs_out(gw, world, login, clock):
    anna = login("anna")
    clock.advance(seconds=gw.settings.console_idle_timeout_s - 30)
    assert anna.get("/console/claims").status_code == 200  # still used: kept alive
    clock.advance(seconds=gw.settings.console_idle_timeout_s - 30)
    assert anna.get("/console/claims").status_code == 200
    clock.advance(seconds=gw.settings.console_idle_timeout_s + 1)
    answer = anna.get("/console/claims")
    assert answer.status_code == 303 and "expired=1" in answer.headers["Location"]
    assert [r.actor for r in audit(gw, "session_expired")] == ["anna"]


def test_form_without_csrf_token_is_refused_and_does_nothing(gw, world, login):
    otto = login("otto")
    row = world.deliveries["A-OPEN"]
    for data, token in (({}, False), ({"csrf_token": "forged"}, False)):
        answer = otto.post(f"/console/deliveries/{row}/retry", data, token=token)
        assert answer.status_code == 400
        assert "Sicherheits-Token" in answer.get_data(as_text=True)
    assert _delivery_state(gw, row) == "dead"
    assert [r.actor for r in audit(gw, "csrf_refused")] == ["otto", "otto"]
    # With the page's token it works.
    otto.get("/console/deliveries")
    assert otto.post(f"/console/deliveries/{row}/retry").status_code == 303
    assert _delivery_state(gw, row) == "pending"


def test_login_form_needs_its_token_too(gw, world, client):
    answer = client.post("/console/login", {"name": "anna", "password": PASSWORD}, token=False)
    assert answer.status_code == 400
    assert audit(gw, "login") == []


def test_locked_out_login_stays_locked_until_unlocked(gw, world, client):
    client.get("/console/login")
    for _ in range(gw.settings.console_login_lockout_failures):
        assert client.post("/console/login", {"name": "vera", "password": "falsch-falsch"}) \
            .status_code == 401
    right = client.post("/console/login", {"name": "vera", "password": PASSWORD})
    assert right.status_code == 429
    assert "gesperrt" in right.get_data(as_text=True)
    # From another address too: it is the account that is locked.
    other = ConsoleClient(client.client.application, address="198.51.100.7")
    assert other.login("vera").status_code == 429
    assert [r.details["reason"] for r in audit(gw, "login_refused")] == ["lockout", "lockout"]
    assert accounts.unlock_staff(gw, "vera", actor="test") is True
    assert other.login("vera").status_code == 303


def test_a_name_nobody_has_locks_like_a_real_one(gw, world, client):
    """A lockout tells a guesser nothing about which names exist."""
    client.get("/console/login")
    for _ in range(gw.settings.console_login_lockout_failures):
        client.post("/console/login", {"name": "nobody", "password": "falsch-falsch"})
    assert client.post("/console/login", {"name": "nobody", "password": "x"}).status_code == 429


def test_removed_staff_and_new_password_end_sessions(gw, world, login):
    vera, anna = login("vera"), login("anna")
    accounts.remove_staff(gw, "vera", actor="test")
    assert vera.get("/console/").status_code == 303
    assert ConsoleClient(vera.client.application).login("vera").status_code == 401
    accounts.update_staff(gw, "anna", password="ein ganz neues Passwort", actor="test")
    assert anna.get("/console/").status_code == 303


# -- who sees what --------------------------------------------------------------------------
def test_staff_see_only_their_shops_claims(gw, world, login):
    anna, bernd = login("anna"), login("bernd")
    page = anna.get("/console/claims").get_data(as_text=True)
    assert "A-READY" in page and "B-READY" not in page and B_DEBTOR.split()[1] not in page
    # Another shop's claim is not there at all: the same 404 as a claim that does not exist.
    assert anna.get(f"/console/claims/{world.claims['B-READY']}").status_code == 404
    assert anna.get("/console/claims/999999").status_code == 404
    assert anna.get(f"/console/claims/{world.claims['B-READY']}/court-dunning") \
        .status_code == 404
    # Not by searching, not by filtering on the shop.
    for query in ("q=B-READY", "q=AZ-200", "shop=shop-b"):
        found = anna.get(f"/console/claims?{query}").get_data(as_text=True)
        assert "B-READY" not in table(found) and '<span id="total">0</span>' in found
    # Not in the CSV.
    exported = anna.get("/console/claims?format=csv").get_data(as_text=True)
    assert "A-READY" in exported and "B-READY" not in exported and "Geheimrath" not in exported
    # Nor its failed delivery, which an operator of shop-a cannot retry either.
    otto = login("otto")
    assert "B-READY" not in otto.get("/console/deliveries").get_data(as_text=True)
    assert otto.post(f"/console/deliveries/{world.deliveries['B-READY']}/retry") \
        .status_code == 404
    assert _delivery_state(gw, world.deliveries["B-READY"]) == "dead"
    # Nor on the dashboard.
    dashboard = anna.get("/console/").get_data(as_text=True)
    assert "5 Forderungen" in dashboard  # shop-a's five
    assert "B-READY" in bernd.get("/console/claims").get_data(as_text=True)


def test_debtor_data_only_for_accountants_and_administrators(gw, world, login):
    claim = world.claims["A-READY"]
    for name, sees in (("vera", False), ("otto", False), ("anna", True), ("root", True)):
        c = login(name)
        page = c.get(f"/console/claims/{claim}").get_data(as_text=True)
        listing = c.get("/console/claims").get_data(as_text=True)
        exported = c.get("/console/claims?format=csv").get_data(as_text=True)
        for text in (page, listing, exported):
            assert ("Müller-Lüdenscheidt" in text) is sees, name
            assert ("Große Straße" in text) is sees or text is listing, name
        header = next(csv.reader(io.StringIO(exported.lstrip("\ufeff")), delimiter=";"))
        assert ("Schuldner" in header) is sees


def test_administrator_sees_every_shop_and_the_audit_trail(gw, world, login):
    root = login("root")
    page = root.get("/console/claims").get_data(as_text=True)
    assert "A-READY" in page and "B-READY" in page
    assert root.get("/console/audit").status_code == 200
    for name in ("anna", "otto", "vera"):
        assert login(name).get("/console/audit").status_code == 403


def test_roles_decide_the_actions(gw, world, login):
    claim, row = world.claims["A-READY"], world.deliveries["A-OPEN"]
    for name in ("vera", "otto", "root"):  # root: an administrator with the viewer role
        c = login(name)
        assert c.get(f"/console/claims/{claim}/court-dunning").status_code == 403
        assert c.post(f"/console/claims/{claim}/court-dunning",
                      {"step": "submit", "instruction": "DUNNING_ONLY"}).status_code == 403
    for name in ("vera", "anna"):
        c = login(name)
        c.get("/console/deliveries")
        assert c.post(f"/console/deliveries/{row}/retry").status_code == 403
        assert c.post(f"/console/claims/{world.claims['A-REVIEW']}/review",
                      {"state": "IN_COLLECTION"}).status_code == 403
        assert c.get("/console/unmatched").status_code == 403
    assert state_of(gw, claim) is ClaimState.UNCOLLECTIBLE
    assert state_of(gw, world.claims["A-REVIEW"]) is ClaimState.NEEDS_REVIEW
    assert _delivery_state(gw, row) == "dead"


def _delivery_state(gw, row_id: int) -> str:
    from gateway.store import outbox_store

    with gw.engine.connect() as conn:
        return outbox_store.get_row(conn, row_id).state
