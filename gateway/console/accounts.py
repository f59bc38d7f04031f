"""Staff accounts of the console: adding, changing and removing them (`gateway staff`),
logging in with throttled failures, and sessions.

Passwords are hashed like the shops' (salted scrypt, gateway.service.passwords) and checked
on the process's bounded PasswordChecker. Failed logins go to the login throttle's table
(gateway.service.login_throttle, shared by every process): per staff name (kind "staff",
its own thresholds: GATEWAY_CONSOLE_LOGIN_*) and per client address (kind "address", the
same count and rule as the SOAP facade's, so one guessing address is stopped at both doors).
A name no staff member has is counted like one that exists, so a lockout does not tell a
guesser which names are real.
"""
from __future__ import annotations

import getpass
import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError

from gateway.domain.errors import Conflict, DomainError, NotFound
from gateway.service.login_throttle import (ADDRESS, SHOP, LoginFailures, Rule,
                                            ThrottlePolicy)
from gateway.service.passwords import (PasswordCheckBusy, generate_password, hash_password,
                                       shared_checker)
from gateway.store.login_throttle_store import SqlLoginFailureStore

from . import store
from .roles import NAME, PASSWORD_MIN_LENGTH, Role, StaffMember

STAFF = "staff"  # the login throttle's kind for staff names (beside "shop" and "address")
SESSION_MAX_AGE = timedelta(hours=12)  # a session ends after this however busy it is
TOUCH_EVERY = timedelta(seconds=60)  # how stale last_seen_at may get (a write per minute)


def cli_actor() -> str:
    """Who runs a `gateway staff` command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "cli"


# -- managing staff -------------------------------------------------------------------------
@dataclass(frozen=True)
class NewStaff:
    member: StaffMember
    password: str
    password_generated: bool


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME.match(name):
        raise DomainError("staff name must be 1-64 characters: lower-case letters, digits, "
                          ". _ @ -, starting with a letter or digit")
    return name


def _checked_password(password: str | None) -> None:
    if password is not None and len(password) < PASSWORD_MIN_LENGTH:
        raise DomainError(f"password must have at least {PASSWORD_MIN_LENGTH} characters")


def _checked_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise DomainError("role must be one of " + ", ".join(r.value for r in Role)) from None


def _checked_shops(conn, shop_ids: set[str]) -> frozenset[str]:
    missing = sorted(shop_ids - store.existing_shops(conn, shop_ids))
    if missing:
        raise NotFound(f"no shop {', '.join(missing)}")
    return frozenset(shop_ids)


def add_staff(gw, name: str, role: str, *, admin: bool = False, shops: set[str] = frozenset(),
              password: str | None = None, actor: str | None = None) -> NewStaff:
    name = _checked_name(name)
    member_role = _checked_role(role)
    _checked_password(password)
    generated = password is None
    password = password or generate_password()
    now = gw.clock()
    with gw.uow() as uow:
        if store.get_staff(uow.conn, name) is not None:
            raise Conflict(f"staff member {name!r} exists already (or existed: names of removed "
                           "staff are not given again, the audit trail names them)")
        member = StaffMember(name, member_role, admin, _checked_shops(uow.conn, set(shops)))
        try:
            store.insert_staff(uow.conn, member, hash_password(password), now)
        except IntegrityError:
            raise Conflict(f"staff member {name!r} exists already") from None
        uow.record(store.AUDIT_TABLE, store.audit_entry(
            now, actor or cli_actor(), "staff_added", staff=name, role=member_role.value,
            admin=admin, shops=sorted(member.shops)))
        uow.commit()
    return NewStaff(member, password, generated)


def update_staff(gw, name: str, *, role: str | None = None, admin: bool | None = None,
                 shops: set[str] | None = None, add_shops: set[str] = frozenset(),
                 remove_shops: set[str] = frozenset(), password: str | None = None,
                 actor: str | None = None) -> list[str]:
    """Change a staff member; returns what changed. A new password ends their sessions."""
    _checked_password(password)
    member_role = _checked_role(role) if role is not None else None
    now = gw.clock()
    with gw.uow() as uow:
        found = store.get_staff(uow.conn, name)
        if found is None or found.removed_at is not None:
            raise NotFound(f"no staff member {name!r}")
        member = found.member
        values: dict[str, Any] = {}
        if member_role is not None and member_role is not member.role:
            values["role"] = member_role.value
        if admin is not None and admin != member.admin:
            values["admin"] = admin
        new_shops = set(member.shops) if shops is None else set(shops)
        new_shops = (new_shops | set(add_shops)) - set(remove_shops)
        changed = sorted(values)
        if new_shops != set(member.shops):
            store.set_shops(uow.conn, name, _checked_shops(uow.conn, new_shops))
            changed.append("shops")
        if password is not None:
            values["password_hash"] = hash_password(password)
            changed.append("password")
            store.delete_sessions_of(uow.conn, name)
        if not changed:
            return []
        store.update_staff(uow.conn, name, now, **values)
        uow.record(store.AUDIT_TABLE, store.audit_entry(
            now, actor or cli_actor(), "staff_changed", staff=name, changed=changed,
            role=values.get("role", member.role.value), admin=values.get("admin", member.admin),
            shops=sorted(new_shops)))
        uow.commit()
    return changed


def remove_staff(gw, name: str, actor: str | None = None) -> None:
    """The member can no longer log in and their sessions end; the row stays (see tables)."""
    now = gw.clock()
    with gw.uow() as uow:
        found = store.get_staff(uow.conn, name)
        if found is None or found.removed_at is not None:
            raise NotFound(f"no staff member {name!r}")
        store.update_staff(uow.conn, name, now, removed_at=now)
        store.set_shops(uow.conn, name, frozenset())
        store.delete_sessions_of(uow.conn, name)
        uow.record(store.AUDIT_TABLE, store.audit_entry(now, actor or cli_actor(),
                                                        "staff_removed", staff=name))
        uow.commit()


def unlock_staff(gw, name: str, actor: str | None = None) -> bool:
    """Lift a staff member's login delay or lockout; False when nothing was remembered."""
    found = SqlLoginFailureStore(gw.engine).forget(STAFF, name)
    write_audit(gw, store.audit_entry(gw.clock(), actor or cli_actor(), "staff_unlocked",
                                      staff=name, had_failures=found))
    return found


def login_failures(gw) -> dict[str, LoginFailures]:
    """Remembered failed logins per staff name."""
    return {r.subject: r for r in SqlLoginFailureStore(gw.engine).list() if r.kind == STAFF}


def write_audit(gw, entry: dict[str, Any]) -> None:
    with gw.uow() as uow:
        uow.record(store.AUDIT_TABLE, entry)
        uow.commit()


# -- logging in -----------------------------------------------------------------------------
class StaffLoginThrottle:
    """The login throttle for console logins: staff names under their own rule, client
    addresses under the facade's (same rows, so the counts add up across both)."""

    def __init__(self, failures: SqlLoginFailureStore, settings, clock: Callable[[], datetime]):
        self.failures, self.clock = failures, clock
        self.policy = ThrottlePolicy.from_settings(settings)
        self._staff_policy = replace(self.policy, shop=Rule(
            settings.console_login_free_failures, settings.console_login_lockout_failures))
        self._last_sweep: datetime | None = None

    def block_after(self, kind: str, failures: int) -> tuple[float, bool]:
        if kind == STAFF:
            return self._staff_policy.block_after(SHOP, failures)
        return self.policy.block_after(kind, failures)

    @staticmethod
    def _keys(name: str | None, address: str | None) -> list[tuple[str, str]]:
        return ([(STAFF, name)] if name else []) + ([(ADDRESS, address)] if address else [])

    def blocking(self, name: str | None, address: str | None) -> LoginFailures | None:
        """The row that blocks this login now (a lockout before a delay), or None."""
        now = self.clock()
        rows = [r for r in self.failures.get(self._keys(name, address)) if r.blocks(now)]
        rows.sort(key=lambda r: (not r.locked, r.kind))
        return rows[0] if rows else None

    def failed(self, name: str | None, address: str | None) -> list[LoginFailures]:
        keys = self._keys(name, address)
        if not keys:
            return []
        now = self.clock()
        forget_before = now - timedelta(seconds=self.policy.forget_after_s)
        rows = self.failures.count_failure(keys, now, forget_before, self.block_after)
        if self._last_sweep is None or now - self._last_sweep > timedelta(minutes=1):
            self._last_sweep = now  # forgotten failures go now and then
            self.failures.forget_stale(forget_before, now)
        return rows

    def succeeded(self, name: str) -> None:
        self.failures.forget(STAFF, name)


@dataclass(frozen=True)
class LoginRefused(Exception):
    """reason: wrong (name or password), delay, lockout (until), busy (no hash slot)."""

    reason: str
    until: datetime | None = None


class ConsoleLogin:
    """Logins and sessions of one console (one per process)."""

    def __init__(self, gw):
        self.gw = gw
        settings = gw.settings
        self.throttle = StaffLoginThrottle(SqlLoginFailureStore(gw.engine), settings, gw.clock)
        self.checker = shared_checker(settings.password_check_concurrency)
        self.check_wait_s = settings.password_check_wait_s
        self.idle_timeout = timedelta(seconds=settings.console_idle_timeout_s)

    def log_in(self, typed_name: str, password: str, address: str | None) -> tuple[str, store.Session]:
        """(the session cookie's token, the session), or LoginRefused. Audited either way."""
        gw = self.gw
        name = (typed_name or "").strip().lower()
        subject = name if NAME.match(name) else None
        blocking = self.throttle.blocking(subject, address)
        if blocking is not None:
            write_audit(gw, store.audit_entry(gw.clock(), None, "login_refused", address,
                                              reason=blocking.reason, kind=blocking.kind))
            raise LoginRefused(blocking.reason, blocking.blocked_until)
        with store.reading(gw.engine) as conn:
            hashed = store.password_hash(conn, subject) if subject else None
        try:
            ok = self.checker.verify(password or "", hashed, self.check_wait_s)
        except PasswordCheckBusy:
            raise LoginRefused("busy") from None
        if not ok:
            rows = self.throttle.failed(subject, address)
            locked = [r for r in rows if r.locked and r.blocks(gw.clock())]
            # The name only when it is a staff member's: what else is typed there may be
            # a password.
            write_audit(gw, store.audit_entry(gw.clock(), subject if hashed else None,
                                              "login_failed", address,
                                              locked_out=[r.kind for r in locked]))
            raise LoginRefused("wrong")
        self.throttle.succeeded(subject)
        return self._start_session(subject, address)

    def _start_session(self, name: str, address: str | None) -> tuple[str, store.Session]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.gw.clock()
        with self.gw.uow() as uow:
            # Sessions nobody used within the idle timeout go (of anybody: the table stays small).
            store.delete_sessions_idle_since(uow.conn, now - self.idle_timeout)
            store.insert_session(uow.conn, token_hash(token), name, csrf, address, now)
            store.update_staff(uow.conn, name, now, last_login_at=now)
            uow.record(store.AUDIT_TABLE, store.audit_entry(now, name, "login", address))
            uow.commit()
        with store.reading(self.gw.engine) as conn:
            return token, store.get_session(conn, token_hash(token))

    def session(self, token: str | None) -> store.Session | None:
        """The live session of a cookie's token; None when there is none or it ran out
        (idle longer than GATEWAY_CONSOLE_IDLE_TIMEOUT_S, or older than SESSION_MAX_AGE)."""
        if not token or len(token) > 128:
            return None
        key = token_hash(token)
        with store.reading(self.gw.engine) as conn:
            found = store.get_session(conn, key)
        if found is None:
            return None
        now = self.gw.clock()
        if now - found.last_seen_at > self.idle_timeout or now - found.created_at > SESSION_MAX_AGE:
            self.end(found, reason="expired")
            return None
        if now - found.last_seen_at > TOUCH_EVERY:
            with self.gw.uow() as uow:
                store.touch_session(uow.conn, key, now)
                uow.commit()
        return found

    def end(self, session: store.Session, address: str | None = None,
            reason: str = "logout") -> None:
        with self.gw.uow() as uow:
            store.delete_session(uow.conn, session.token_hash)
            uow.record(store.AUDIT_TABLE, store.audit_entry(
                self.gw.clock(), session.member.name,
                "logout" if reason == "logout" else "session_expired", address))
            uow.commit()

    def notice(self, session: store.Session, text: str | None) -> None:
        with self.gw.uow() as uow:
            store.set_notice(uow.conn, session.token_hash, text)
            uow.commit()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
