"""Login and logout."""
from __future__ import annotations

import hmac

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for

from . import formatting
from .accounts import LoginRefused
from .web import (COOKIE, LOGIN_COOKIE, address, console, new_login_token, refuse_csrf,
                  set_cookie)

blueprint = Blueprint("auth", __name__)

LOGIN_TOKEN_AGE_S = 3600


def _login_page(message: str | None = None, status: int = 200, kind: str = "error"):
    token = new_login_token()
    response = make_response(render_template("login.html", message=message, kind=kind,
                                             next=_safe_next(request.values.get("next"))),
                             status)
    set_cookie(response, LOGIN_COOKIE, token, samesite="Strict", max_age=LOGIN_TOKEN_AGE_S)
    return response


def _safe_next(target: str | None) -> str | None:
    """A page of the console to go to after login; never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _refusal_text(refused: LoginRefused) -> tuple[str, int]:
    if refused.reason == "busy":
        return "Die Anmeldung ist gerade ausgelastet. Bitte versuchen Sie es gleich noch " \
               "einmal.", 503
    if refused.reason == "lockout":
        return ("Zu viele fehlgeschlagene Anmeldungen: die Anmeldung ist bis "
                f"{formatting.german_datetime(refused.until)} Uhr gesperrt. Ein Administrator "
                "kann die Sperre aufheben (gateway staff unlock)."), 429
    if refused.reason == "delay":
        return ("Zu viele fehlgeschlagene Anmeldungen: bitte warten Sie bis "
                f"{formatting.german_datetime(refused.until)} Uhr (einige Sekunden) und "
                "versuchen Sie es dann erneut."), 429
    return "Name oder Passwort ist falsch.", 401


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    c = console()
    if request.method == "GET":
        if c.login.session(request.cookies.get(COOKIE)) is not None:
            return redirect(url_for("operations.dashboard"), 303)
        if request.args.get("bye"):
            return _login_page("Sie sind abgemeldet.", kind="info")
        if request.args.get("expired"):
            return _login_page("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
                               kind="info")
        return _login_page()
    expected = request.cookies.get(LOGIN_COOKIE, "")
    sent = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        refuse_csrf()
    try:
        token, session = c.login.log_in(request.form.get("name", "")[:256],
                                        request.form.get("password", "")[:1024], address())
    except LoginRefused as refused:
        text, status = _refusal_text(refused)
        return _login_page(text, status)
    target = _safe_next(request.form.get("next"))
    response = redirect(request.script_root + target if target
                        else url_for("operations.dashboard"), 303)
    set_cookie(response, COOKIE, token, samesite="Lax")
    response.delete_cookie(LOGIN_COOKIE, path=request.script_root or "/")
    return response


@blueprint.route("/logout", methods=["POST"])
def logout():
    console().login.end(g.session, address())
    response = redirect(url_for("auth.login", bye=1), 303)
    response.delete_cookie(COOKIE, path=request.script_root or "/")
    return response
