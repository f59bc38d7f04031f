"""A circuit breaker per agency connection, so a slow or failing agency holds back only its
own deliveries: after `threshold` transient failures in a row (timeouts, refused
connections, 5xx) the worker stops calling it for `open_s` and answers its rows at once as
transient (they go to backoff in their rows), which keeps the pool's threads for the
other agencies. Then one call tries (half-open): an answer closes the circuit, another
failure opens it again.
"""
from __future__ import annotations

import threading
import time
from typing import Callable


class CircuitBreaker:
    def __init__(self, threshold: int = 5, open_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self.threshold = threshold
        self.open_s = open_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until: float | None = None
        self._probing = False

    def allow(self) -> bool:
        """May a call go out now? While open: no; once open_s passed: one probe."""
        with self._lock:
            if self._open_until is None:
                return True
            if self._probing or self._clock() < self._open_until:
                return False
            self._probing = True
            return True

    def record(self, failed: bool) -> None:
        with self._lock:
            if not failed:
                self._failures, self._open_until, self._probing = 0, None, False
                return
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                self._open_until = self._clock() + self.open_s
                self._probing = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._open_until is not None
