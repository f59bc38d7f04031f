"""Configuration: GATEWAY_* environment variables over an optional TOML file over defaults.

Every setting is declared once in SETTINGS; invalid values stop start-up with
ConfigError naming the setting, which the CLI prints as one line.
"""
from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Mapping

ENV_PREFIX = "GATEWAY_"


class ConfigError(Exception):
    """Invalid configuration; str() is the one line the operator sees."""


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _int_between(low: int, high: int) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        if isinstance(raw, bool):
            raise ValueError(f"must be an integer between {low} and {high}")
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError(f"must be an integer between {low} and {high}") from None
        if not low <= value <= high:
            raise ValueError(f"must be an integer between {low} and {high}")
        return value
    return parse


def _float_between(low: float, high: float) -> Callable[[Any], float]:
    # Durations in seconds only; never used for money.
    def parse(raw: Any) -> float:
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise ValueError(f"must be a number between {low} and {high}") from None
        if not low <= value <= high:
            raise ValueError(f"must be a number between {low} and {high}")
        return value
    return parse


def _database_url(raw: Any) -> str:
    url = str(raw).strip()
    if url.startswith("sqlite:///") or url.startswith("postgresql+psycopg://"):
        return url
    raise ValueError("must start with sqlite:/// or postgresql+psycopg://")


def _http_url_or_empty(raw: Any) -> str:
    url = str(raw).strip()
    if url == "" or url.startswith("http://") or url.startswith("https://"):
        return url.rstrip("/")
    raise ValueError("must be an http:// or https:// URL")


def _choice(*options: str) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        value = str(raw).strip().lower()
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value
    return parse


def _text(raw: Any) -> str:
    return str(raw)


def _addresses(raw: Any) -> tuple[str, ...]:
    # A TOML list or a comma-separated string of IP addresses or networks.
    items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    try:
        return tuple(str(ipaddress.ip_network(str(i).strip(), strict=False))
                     for i in items if str(i).strip())
    except ValueError:
        raise ValueError("must be IP addresses or networks, comma-separated") from None


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[Any], Any]
    default: Any
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", _database_url, "sqlite:///gateway.db",
            "SQLAlchemy URL: sqlite:///FILE (embedded default) or postgresql+psycopg://..."),
    Setting("log_level", _choice("debug", "info", "warning", "error"), "info", "log level"),
    Setting("log_format", _choice("auto", "json", "console"), "auto",
            "auto = readable on a terminal, JSON lines otherwise"),
    Setting("host", _text, "127.0.0.1", "address `gateway serve` listens on"),
    Setting("port", _int_between(1, 65535), 8080, "port `gateway serve` listens on"),
    Setting("public_url", _http_url_or_empty, "",
            "public base URL advertised in the WSDL (behind a TLS proxy: https://...); "
            "empty = http://HOST:PORT"),
    Setting("server_threads", _int_between(1, 256), 16, "WSGI threads (per worker process)"),
    Setting("server_workers", _int_between(1, 64), 1,
            "facade processes: 1 = one waitress process; more = gunicorn with that many "
            "worker processes (about one per core)"),
    Setting("request_read_timeout_s", _float_between(0.5, 3600.0), 30.0,
            "a request (headers and body) must have arrived whole this many seconds after its "
            "first byte (the first one on a connection: after the connection opened); a slower "
            "client is answered 408 and its connection closed"),
    Setting("server_idle_timeout_s", _int_between(1, 86400), 60,
            "a connection that is not in a request and sends or receives nothing for this many "
            "seconds is closed (keep-alive between requests)"),
    Setting("server_connection_limit", _int_between(10, 100000), 1000,
            "open connections per facade process; further ones wait in the listen backlog "
            "until one closes"),
    Setting("max_body_bytes", _int_between(1024, 1 << 30), 1 << 20,
            "largest SOAP request accepted (bytes)"),
    Setting("max_batch_body_bytes", _int_between(1024, 1 << 30), 16 << 20,
            "largest SubmitClaims request accepted (bytes)"),
    Setting("run_worker", _bool, True, "`gateway serve` also runs the outbox worker in-process"),
    Setting("run_simulator", _bool, None,
            "`gateway serve` also runs the agency simulator in-process; "
            "default: only when no agency URL is configured"),
    Setting("agency_url", _http_url_or_empty, "",
            "SOAP endpoint of the mediafinanz-style agency; empty = the in-process simulator"),
    Setting("agency_application_key", _text, "inkasso-gateway-dev-application-key",
            "application licence key of this installation (per installation, from the agency)",
            secret=True),
    Setting("agency_timeout_s", _float_between(0.1, 300.0), 10.0, "timeout of one agency call"),
    Setting("worker_concurrency", _int_between(1, 256), 8, "agency calls in flight per worker"),
    Setting("worker_agency_share", _float_between(0.1, 1.0), 0.75,
            "largest share of a worker's calls in flight that one agency connection may hold "
            "while the worker serves several: a slow agency keeps the rest for the others"),
    Setting("outbox_lease_s", _float_between(1.0, 3600.0), 15.0,
            "how long a leased outbox row stays with a worker that stopped renewing it (a live "
            "worker renews its leases every third of it): a dead worker's rows come free "
            "after this"),
    Setting("outbox_max_attempts", _int_between(1, 1000), 25,
            "transient failures before an outbox row is dead"),
    Setting("outbox_max_age_s", _float_between(60.0, 30 * 86400.0), 3 * 86400.0,
            "age after which a retrying outbox row is dead"),
    Setting("keep_delivered_days", _int_between(1, 3650), 30,
            "delivered outbox rows and the keys of applied agency changes are deleted this many "
            "days after they were done (an agency redelivers only uncommitted batches, and a "
            "done row is never sent again)"),
    Setting("metrics_enabled", _bool, True, "serve /metrics"),
    Setting("secret_key", _text, "",
            "installation secret for WS-Security PasswordDigest (per-shop digest secrets derive "
            "from it); empty = PasswordDigest refused", secret=True),
    Setting("trusted_proxies", _addresses, (),
            "addresses or networks (comma-separated, e.g. 10.0.0.5,10.1.0.0/16) of the proxies "
            "in front of the facade: only from these is X-Forwarded-For believed for the client "
            "address the login throttle counts; empty = the connection's address"),
    Setting("login_address_free_failures", _int_between(0, 100000), 5,
            "failed logins from one client address before each further attempt from it must "
            "wait (the delay doubles per failure)"),
    Setting("login_address_lockout_failures", _int_between(1, 100000), 20,
            "failed logins from one client address that lock it out for GATEWAY_LOGIN_LOCKOUT_S"),
    Setting("login_shop_free_failures", _int_between(0, 100000), 20,
            "failed logins for one shop id (from any address) before each further attempt "
            "must wait; at least the address lockout, so one address alone cannot delay a shop"),
    Setting("login_shop_lockout_failures", _int_between(1, 100000), 100,
            "failed logins for one shop id that lock the shop id out for GATEWAY_LOGIN_LOCKOUT_S"),
    Setting("login_delay_s", _float_between(0.0, 3600.0), 1.0,
            "the first delay after the free failures; it doubles with each further failure"),
    Setting("login_max_delay_s", _float_between(0.0, 86400.0), 60.0, "the longest delay"),
    Setting("login_lockout_s", _float_between(1.0, 30 * 86400.0), 900.0,
            "how long a lockout lasts (`gateway logins unlock` lifts it earlier)"),
    Setting("login_forget_after_s", _float_between(1.0, 30 * 86400.0), 3600.0,
            "failures are forgotten after this long without a new one (a success forgets a "
            "shop's at once)"),
    Setting("password_check_concurrency", _int_between(0, 256), 0,
            "password hashes (scrypt, 16 MiB each) computed at once per facade process; "
            "0 = the number of CPUs"),
    Setting("password_check_wait_s", _float_between(0.0, 60.0), 1.0,
            "how long a login waits for a free hash slot before it is answered Server.Unavailable"),
    Setting("console_enabled", _bool, True,
            "`gateway serve` serves the accounting console at /console (same process and port)"),
    Setting("console_idle_timeout_s", _int_between(60, 86400), 1800,
            "a console session unused for this many seconds ends (the staff member logs in again)"),
    Setting("console_login_free_failures", _int_between(0, 1000), 3,
            "failed console logins of one staff member before each further attempt must wait "
            "(the delay doubles per failure, GATEWAY_LOGIN_DELAY_S up to GATEWAY_LOGIN_MAX_DELAY_S)"),
    Setting("console_login_lockout_failures", _int_between(1, 1000), 10,
            "failed console logins that lock the staff member out for GATEWAY_LOGIN_LOCKOUT_S "
            "(`gateway staff unlock NAME` lifts it)"),
    Setting("simulator_speed", _float_between(0.0, 1000.0), 0.1,
            "simulated agency days per second of the in-process simulator"),
    Setting("sync_interval_s", _float_between(0.0, 86400.0), None,
            "`gateway serve` runs the changes sync every N seconds in-process; default: 10 with "
            "the in-process simulator, 0 (off: cron/systemd runs `gateway sync`) otherwise"),
)
_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    database_url: str
    log_level: str
    log_format: str
    host: str
    port: int
    public_url: str
    server_threads: int
    server_workers: int
    request_read_timeout_s: float
    server_idle_timeout_s: int
    server_connection_limit: int
    max_body_bytes: int
    max_batch_body_bytes: int
    run_worker: bool
    run_simulator: bool | None
    agency_url: str
    agency_application_key: str
    agency_timeout_s: float
    worker_concurrency: int
    worker_agency_share: float
    outbox_lease_s: float
    outbox_max_attempts: int
    outbox_max_age_s: float
    keep_delivered_days: int
    metrics_enabled: bool
    secret_key: str
    trusted_proxies: tuple[str, ...]
    login_address_free_failures: int
    login_address_lockout_failures: int
    login_shop_free_failures: int
    login_shop_lockout_failures: int
    login_delay_s: float
    login_max_delay_s: float
    login_lockout_s: float
    login_forget_after_s: float
    password_check_concurrency: int
    password_check_wait_s: float
    console_enabled: bool
    console_idle_timeout_s: int
    console_login_free_failures: int
    console_login_lockout_failures: int
    simulator_speed: float
    sync_interval_s: float | None

    def __repr__(self) -> str:  # settings get logged and printed: never their secrets
        shown = {s.name: ("***" if s.secret and getattr(self, s.name) else getattr(self, s.name))
                 for s in SETTINGS}
        shown["database_url"] = re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", self.database_url)
        return f"Settings({shown})"

    @property
    def in_process_sync_interval(self) -> float:
        if self.sync_interval_s is not None:
            return self.sync_interval_s
        return 10.0 if self.simulator_in_process else 0.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def advertised_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def simulator_in_process(self) -> bool:
        return self.run_simulator if self.run_simulator is not None else not self.agency_url

    def replace(self, **changes: Any) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, raw in changes.items():
            values[key] = raw if raw is None else _parse(key, raw, "override")
        return Settings(**values)


def _parse(name: str, raw: Any, source: str) -> Any:
    try:
        return _BY_NAME[name].parse(raw)
    except ValueError as exc:
        label = ENV_PREFIX + name.upper() if source == "env" else name
        raise ConfigError(f"invalid setting {label}: {exc} (got {raw!r})") from None


def load(config_file: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file, then GATEWAY_* variables (the last one wins)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    path = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if path:
        values.update(_read_toml(Path(path)))
    for setting in SETTINGS:
        key = ENV_PREFIX + setting.name.upper()
        if key in environ:
            values[setting.name] = _parse(setting.name, environ[key], "env")
    return Settings(**values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    section = data.get("gateway", data)
    result = {}
    for key, raw in section.items():
        if key not in _BY_NAME:
            raise ConfigError(f"config file {path}: unknown setting {key!r}")
        result[key] = _parse(key, raw, "file")
    return result
