"""Outbox gauges for /metrics: rows per state and the age of the oldest pending row."""
from __future__ import annotations

from sqlalchemy.engine import Engine

from gateway import metrics
from gateway.service.claims import Clock, utc_now
from gateway.store import outbox_store

# Per agency (the adapter's name), so a slow or failing agency shows as itself.
DELIVERIES = metrics.counter("gateway_outbox_deliveries_total",
                             "outbox deliveries by agency, message kind and outcome",
                             ("agency", "kind", "outcome"))
DELIVERY_SECONDS = metrics.histogram("gateway_outbox_delivery_seconds",
                                     "time of one delivery (the agency call) by agency",
                                     ("agency",))


def outbox_metrics(engine: Engine, clock: Clock = utc_now) -> dict[str, float]:
    """{outbox_<state>: rows, outbox_oldest_pending_age_seconds: age}; one short read."""
    return outbox_store.stats(engine, clock())


def register_outbox_metrics(engine: Engine, registry=None, clock: Clock = utc_now) -> None:
    """Register the outbox gauges (called at scrape time; registering again replaces them).

    gateway_outbox_rows{state=...}: pending (including in flight), done, failed, dead
    gateway_outbox_oldest_pending_age_seconds: 0 when nothing is pending
    """
    if registry is None:
        from gateway.metrics import REGISTRY as registry

    def rows() -> dict:
        found = outbox_metrics(engine, clock)
        return {(("state", s),): found[f"outbox_{s}"] for s in outbox_store.STATES}

    registry.register_gauge_callback(
        "gateway_outbox_rows", "outbox rows per state (failed and dead need an operator)", rows)
    registry.register_gauge_callback(
        "gateway_outbox_oldest_pending_age_seconds",
        "age of the oldest pending outbox row, 0 when none",
        lambda: outbox_metrics(engine, clock)["outbox_oldest_pending_age_seconds"])
