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
    try:
        agency = app.build_agency(settings)
    except Exception as exc:  # noqa: BLE001 - e.g. the WSDL cannot be loaded
        gw.close()
        yield Check("agency", FAIL, f"cannot build the agency client: {exc}",
                    "check GATEWAY_AGENCY_URL")
        return
    try:
        with gw.read_uow() as uow:
            shops = uow.shops.list()
            creds = {s.id: uow.shops.agency_credentials(s.id) for s in shops}
        if not shops:
            yield Check("agency", WARN, f"{settings.agency_url}: no shops yet, nothing to check",
                        "add a shop with `gateway shops add SHOP_ID --agency-client-id ID "
                        "--agency-client-key KEY`")
            return
        reachable = True
        for shop in shops:
            if creds[shop.id] is None:
                yield Check(f"shop {shop.id}", FAIL, "has no agency credentials",
                            f"`gateway shops set {shop.id} --agency-client-id ID "
                            "--agency-client-key KEY`")
                continue
            if not reachable:
                yield Check(f"shop {shop.id}", SKIP, "agency unreachable")
                continue
            try:
                agency.check_credentials(creds[shop.id])
            except AgencyAuthFailed as exc:
                yield Check(f"shop {shop.id}", FAIL,
                            f"the agency refused the credentials of client id "
                            f"{creds[shop.id].client_id} ({exc})",
                            f"`gateway shops set {shop.id} --agency-client-id ID "
                            "--agency-client-key KEY` with the values from the agency; check "
                            "GATEWAY_AGENCY_APPLICATION_KEY")
            except AgencyError as exc:
                reachable = False
                yield Check("agency", FAIL, f"cannot reach {settings.agency_url}: {exc}",
                            "check GATEWAY_AGENCY_URL, the network path and the agency's status")
            else:
                yield Check(f"shop {shop.id}", OK,
                            f"agency {settings.agency_url} accepts client id "
                            f"{creds[shop.id].client_id}")
    finally:
        close = getattr(agency, "close", None)
        if close:
            close()
        gw.close()
