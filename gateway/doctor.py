"""`gateway doctor`: is this installation able to work? One line per check, a fix for each failure.

Checks run in order and later ones are skipped when an earlier one they need
failed (no schema check without a database), so the first failing line is
the one to fix first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from .config import ConfigError, Settings, load
from .service.agency_port import AgencyAuthFailed, AgencyError

OK, FAIL, WARN, SKIP = "ok", "FAIL", "warn", "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"[{self.status:>4}] {self.name}: {self.detail}"
        return f"{text} -> fix: {self.fix}" if self.fix else text


def run_checks(config_file: str | None = None,
               load_settings: Callable[..., Settings] = load) -> Iterator[Check]:
    try:
        settings = load_settings(config_file)
    except ConfigError as exc:
        yield Check("configuration", FAIL, str(exc),
                    "correct the setting in the environment or the --config file")
        return
    source = f"file {config_file}" if config_file else "environment and defaults"
    yield Check("configuration", OK, f"valid ({source})")
    yield from _database_checks(settings)
    yield from _agency_checks(settings)


def _database_checks(settings: Settings) -> Iterator[Check]:
    from .store import schema
    from .store.database import DatabaseUnavailable, check_reachable, make_engine, safe_url

    engine = make_engine(settings.database_url)
    try:
        try:
            check_reachable(engine)
        except DatabaseUnavailable as exc:
            yield Check("database", FAIL, str(exc),
                        "check GATEWAY_DATABASE_URL (host, port, user, database) and that the "
                        "server is running")
            yield Check("schema", SKIP, "no database to check")
            return
        yield Check("database", OK, f"reachable at {safe_url(engine)}")
        current, head = schema.current_revision(engine), schema.head_revision()
        if current == head:
            yield Check("schema", OK, f"at revision {head}")
        else:
            yield Check("schema", FAIL, f"at revision {current or 'none'}, this gateway needs {head}",
                        "run `gateway db upgrade`")
    finally:
        engine.dispose()


def _agency_checks(settings: Settings) -> Iterator[Check]:
    from . import app

    if settings.simulator_in_process:
        yield Check("agency", WARN, "no GATEWAY_AGENCY_URL: `gateway serve` uses the in-process "
                                    "SIMULATED sandbox agency",
                    "set GATEWAY_AGENCY_URL to the agency's SOAP endpoint for real collection")
        return
    try:
        gw = app.build(settings)
    except Exception:  # noqa: BLE001 - the database checks above already said why
        yield Check("agency credentials", SKIP, "needs a reachable, up-to-date database")
        return
    agencies = app.AgencyRegistry(settings)
    try:
        with gw.read_uow() as uow:
            shops = uow.shops.list()
            accounts = {s.agency_account for s in shops if s.agency_account}
            routes = {}
            for account in sorted(accounts):
                try:
                    routes[account] = agencies.route(uow, account)
                except AgencyError as exc:
                    routes[account] = exc
        if not shops:
            yield Check("agency", WARN, "no shops yet, nothing to check",
                        "add a shop with `gateway shops add SHOP_ID --account NAME`")
            return
        for shop in shops:
            if not shop.agency_account:
                yield Check(f"shop {shop.id}", FAIL, "is on no agency account",
                            f"`gateway shops set {shop.id} --account NAME`")
        for account, route in routes.items():
            if isinstance(route, Exception):
                yield Check(f"account {account}", FAIL, f"cannot build its agency client: {route}",
                            "check the account's connection (`gateway connections list`)")
                continue
            agency, creds = route
            try:
                agency.check_credentials(creds)
            except AgencyAuthFailed as exc:
                yield Check(f"account {account}", FAIL,
                            f"the agency refused the credentials of client id {creds.client_id} "
                            f"({exc})",
                            f"`gateway accounts set {account} --client-id ID --client-key KEY` "
                            "with the values from the agency; check the connection's "
                            "installation key")
            except AgencyError as exc:
                yield Check(f"account {account}", FAIL, f"cannot reach its agency: {exc}",
                            "check the connection's URL (GATEWAY_AGENCY_URL for the default "
                            "one), the network path and the agency's status")
            else:
                yield Check(f"account {account}", OK,
                            f"the agency accepts client id {creds.client_id}")
    finally:
        agencies.close()
        gw.close()
