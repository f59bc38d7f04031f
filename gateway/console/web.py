"""The console's Flask app: who is logged in, CSRF, security headers, errors, and mounting it
beside the shop facade at /console.

Sessions are rows (gateway.console.accounts), not signed cookies: the cookie holds a random
token only, so a logout, a new password or a removed staff member ends a session at once in
every process, and no signing key has to be shared between processes. The CSRF token is a
random value of the session row that every form carries back (hand-written, not Flask-WTF:
Flask-WTF keeps its token in Flask's signed cookie session, which the console does not use,
and one compare_digest is all it takes). Before login, a token in a short-lived cookie plays
that part (double submit), so nobody can post a login form from another site either.
"""
from __future__ import annotations

import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from gateway import logs
from gateway.domain.lifecycle import ClaimState
from gateway.shop_api.auth import client_address
from gateway.store.database import DatabaseUnavailable

from . import formatting
from .accounts import ConsoleLogin, write_audit
from .roles import ROLE_LABELS, StaffMember
from .store import audit_entry

PREFIX = "/console"
COOKIE = "gateway_console"
LOGIN_COOKIE = "gateway_console_login"
PUBLIC_ENDPOINTS = {"auth.login", "static"}
# No script at all; styles only from the console's own file; SVG charts are inline markup.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")

log = logs.get_logger("gateway.console")


@dataclass
class Console:
    gw: Any
    login: ConsoleLogin
    secure_cookies: bool  # GATEWAY_PUBLIC_URL is https: the browser sends cookies over TLS only
    trusted_proxies: list


def console() -> Console:
    return current_app.extensions["gateway_console"]


def staff() -> StaffMember:
    return g.staff


def address() -> str | None:
    return g.address


def mount(facade, gw):
    """The WSGI app `gateway serve` runs: /console/... to the console (SCRIPT_NAME /console),
    everything else to the shop facade; the facade alone with GATEWAY_CONSOLE_ENABLED=false."""
    if not gw.settings.console_enabled:
        return facade
    return DispatcherMiddleware(facade, {PREFIX: create_app(gw)})


def create_app(gw) -> Flask:
    from . import auth_views, claim_views, operation_views

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024, TEMPLATES_AUTO_RELOAD=False,
                      JSON_AS_ASCII=False)
    settings = gw.settings
    app.extensions["gateway_console"] = Console(
        gw=gw, login=ConsoleLogin(gw), secure_cookies=settings.public_url.startswith("https://"),
        trusted_proxies=[ipaddress.ip_network(n) for n in settings.trusted_proxies])
    env = app.jinja_env
    env.filters.update(money=formatting.money, date=formatting.german_date,
                       datetime=formatting.german_datetime, state=formatting.state_label,
                       debtor_name=formatting.debtor_name)
    env.globals.update(csrf_token=_csrf_token,
                       ROLE_LABELS=ROLE_LABELS, ClaimState=ClaimState, labels=formatting)
    app.before_request(_gate)
    app.after_request(_finish)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    for blueprint in (auth_views.blueprint, claim_views.blueprint, operation_views.blueprint):
        app.register_blueprint(blueprint)
    return app


# -- every request --------------------------------------------------------------------------
def _gate():
    g.started = time.perf_counter()
    g.cid = logs.bind_correlation_id(None)  # one id per console request in every log line
    c = console()
    g.address = client_address(request.environ, c.trusted_proxies)
    g.staff = None
    g.notice = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    session = c.login.session(request.cookies.get(COOKIE))
    if session is None:
        target = url_for("auth.login", next=request.full_path if request.method == "GET"
                         else None, expired=1 if request.cookies.get(COOKIE) else None)
        return redirect(target, 303)
    g.session, g.staff = session, session.member
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            refuse_csrf()
    elif session.notice:
        g.notice = session.notice
        c.login.notice(session, None)  # shown once
    return None


def refuse_csrf():
    """A form posted without the token its page gave: 400, audited, nothing done."""
    write_audit(console().gw, audit_entry(console().gw.clock(),
                                          g.staff.name if g.staff else None, "csrf_refused",
                                          g.address, path=request.path))
    abort(400, description="csrf")


def _csrf_token() -> str:
    session = getattr(g, "session", None)
    return session.csrf_token if session is not None else g.get("login_token", "")


def new_login_token() -> str:
    g.login_token = secrets.token_urlsafe(32)
    return g.login_token


def set_cookie(response, name: str, value: str, **options) -> None:
    response.set_cookie(name, value, httponly=True, secure=console().secure_cookies,
                        path=request.script_root or "/", **options)


def notice(text: str) -> None:
    """A one-line message shown on the next page (after the redirect of an action)."""
    console().login.notice(g.session, text)


def _finish(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages hold claims and debtor data: no copy in any cache, also not the browser's.
        headers["Cache-Control"] = "no-store"
    log.info("console request", method=request.method, path=request.path,
             status=response.status_code, staff=g.staff.name if g.get("staff") else None,
             ms=round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2))
    return response


# -- errors: a page of ours, never a traceback ----------------------------------------------
_ERROR_TEXTS = {
    400: ("Anfrage ungültig", "Die Anfrage war unvollständig oder ungültig."),
    403: ("Keine Berechtigung", "Ihre Rolle erlaubt diese Aktion nicht."),
    404: ("Nicht gefunden", "Diese Seite oder Forderung gibt es nicht, oder sie gehört zu "
                            "keinem Ihrer Shops."),
    405: ("Nicht erlaubt", "Diese Seite nimmt diese Anfrage nicht an."),
    413: ("Zu groß", "Das Formular war zu groß."),
}


def _http_error(exc: HTTPException):
    code = exc.code or 500
    title, text = _ERROR_TEXTS.get(code, ("Fehler", exc.description or ""))
    if code == 400 and exc.description == "csrf":
        title, text = ("Formular abgelaufen", "Das Formular trug kein gültiges Sicherheits-"
                       "Token (CSRF) und wurde nicht ausgeführt. Bitte laden Sie die Seite neu "
                       "und senden Sie es noch einmal.")
    return render_template("error.html", title=title, text=text), code


def _unexpected(exc: Exception):
    if isinstance(exc, (OperationalError, DatabaseUnavailable)):
        log.error("console: database unavailable", error=type(exc).__name__)
        return render_template("error.html", title="Datenbank nicht erreichbar",
                               text="Die Datenbank antwortet gerade nicht. Bitte versuchen Sie "
                                    "es gleich noch einmal."), 503
    log.error("console: unexpected error", error=type(exc).__name__, path=request.path)
    return render_template("error.html", title="Interner Fehler",
                           text=f"Ein unerwarteter Fehler ist aufgetreten (Kennung "
                                f"{g.get('cid', '-')}); "
                                "er wurde protokolliert."), 500
