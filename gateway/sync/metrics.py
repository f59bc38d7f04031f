"""Sync gauges for /metrics, read from the database wherever they are served."""
from __future__ import annotations

from sqlalchemy.engine import Engine

from .store import unmatched_counts


def register_sync_metrics(engine: Engine, registry=None) -> None:
    """gateway_agency_changes_unmatched{account=...}: agency changes whose file number no
    claim has (kept, see `gateway accounts unmatched`); they need an operator's look."""
    if registry is None:
        from gateway.metrics import REGISTRY as registry

    registry.register_gauge_callback(
        "gateway_agency_changes_unmatched",
        "agency changes for file numbers the gateway does not know, per agency account",
        lambda: {(("account", account),): n for account, n in unmatched_counts(engine).items()})


def write_run_metrics(path: str, report, engine: Engine | None = None,
                      finished_at: float | None = None) -> None:
    """The run's figures as a Prometheus text file (for node_exporter's textfile collector;
    a batch job serves no /metrics of its own): gateway_sync_last_run_*{mode=...}."""
    import time

    from gateway.metrics import Registry, write_textfile

    registry = Registry()
    d = report.as_dict()
    mode = (("mode", d["mode"]),)
    for name, value in (("claims_checked", d["claims_checked"]), ("changed", d["changed"]),
                        ("failed", d["failed"]),
                        ("unknown_file_numbers", d["unknown_file_numbers"]),
                        ("unreachable_accounts", len(d["unreachable_accounts"])),
                        ("exit_code", d["exit_code"]), ("duration_seconds", d["duration_s"]),
                        ("finished_timestamp_seconds", finished_at or time.time())):
        registry.register_gauge_callback(f"gateway_sync_last_run_{name}",
                                         f"the last sync run: {name.replace('_', ' ')}",
                                         lambda v=value: {mode: v})
    if engine is not None:
        register_sync_metrics(engine, registry)
    write_textfile(path, registry)
