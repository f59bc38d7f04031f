"""The changes sync on a timer inside another process (`gateway serve` with the sandbox, the demo).

Production runs `gateway sync` from cron or systemd instead; in-process it would
run once per server process.
"""
from __future__ import annotations

import threading
from typing import Any

from gateway import logs
from gateway.service.agency_port import AgencyRoutes

from .run import run_sync

log = logs.get_logger(__name__)


class PeriodicSync:
    """Runs the changes sync every `interval_s` on a daemon thread until stop()."""

    def __init__(self, gw: Any, agencies: AgencyRoutes, interval_s: float):
        self.gw = gw
        self.agencies = agencies
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="periodic-sync", daemon=True)

    def start(self) -> "PeriodicSync":
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            report = run_sync(self.gw, self.agencies, correlation_id=logs.new_correlation_id())
            if report.aborted:
                log.warning("periodic_sync_aborted", reason=report.aborted)
