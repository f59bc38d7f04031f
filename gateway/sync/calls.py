"""Agency calls for the sync: one shared rate limit, a few retries for transient failures."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, TypeVar

from gateway.service.agency_port import AgencyTransient

T = TypeVar("T")


class RateLimiter:
    """At most max_rps calls per second over all threads (0: no limit).

    Hands out evenly spaced time slots rather than a bursty bucket, so the agency
    sees a steady load however many threads wait.
    """

    def __init__(self, max_rps: float):
        self.interval = 1.0 / max_rps if max_rps and max_rps > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event | None = None) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            if stop is not None:
                stop.wait(slot - now)
            else:
                time.sleep(slot - now)


class AgencyCalls:
    """Call a port method under the rate limit; retry AgencyTransient a few times.

    Every operation the sync uses is a read or an idempotent commit, so retrying
    after AgencyAmbiguous (sent, no answer) cannot duplicate anything.
    """

    def __init__(self, limiter: RateLimiter, attempts: int = 3,
                 backoff_s: tuple[float, ...] = (0.2, 1.0),
                 stop: threading.Event | None = None):
        self.limiter = limiter
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.stop = stop or threading.Event()
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self, method: Callable[..., T], *args: Any) -> T:
        for attempt in range(self.attempts):
            self.limiter.wait(self.stop)
            with self._lock:
                self.count += 1
            try:
                return method(*args)
            except AgencyTransient:
                if attempt + 1 >= self.attempts or self.stop.is_set():
                    raise
                self.stop.wait(self.backoff_s[min(attempt, len(self.backoff_s) - 1)])
        raise AssertionError("unreachable")
