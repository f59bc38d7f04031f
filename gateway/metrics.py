"""A small thread-safe Prometheus text registry: counters, histograms and gauge callbacks.

No client library: the facade needs three metric kinds and the text exposition
format (version 0.0.4), which is a few lines. One process-wide REGISTRY; tests
may build their own Registry.

API (all thread-safe):

    from gateway.metrics import REGISTRY
    requests = REGISTRY.counter("gateway_soap_requests_total", "SOAP requests",
                                labels=("operation",))
    requests.inc(operation="SubmitClaim")            # inc(amount=1, **labels)
    latency = REGISTRY.histogram("gateway_soap_request_seconds", "latency",
                                 labels=("operation",))
    latency.observe(0.012, operation="SubmitClaim")
    REGISTRY.register_gauge_callback(
        "gateway_outbox_pending", "outbox rows waiting for delivery",
        lambda: count_pending())                      # -> float, or {labels-tuple: float}
    text = REGISTRY.render()                          # Prometheus text format

A gauge callback returns either one number, or a dict mapping label tuples
(("state", "pending"),) to numbers. It is called at scrape time, outside the
registry lock; if it raises, the metric is left out of that scrape (and
`gateway_metrics_callback_errors_total{metric=...}` counts it), so a slow or
broken database never breaks /metrics for the rest. Registering the same name
twice returns the existing counter/histogram (or replaces the callback).
"""
from __future__ import annotations

import bisect
import math
import threading
from typing import Callable, Iterable, Mapping, Union

GaugeValue = Union[float, int, Mapping[tuple, Union[float, int]]]
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return str(value).replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + inner + "}" if inner else ""


def _num(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class _Metric:
    kind = ""

    def __init__(self, name: str, help: str, labels: tuple[str, ...]):
        self.name, self.help, self.label_names = name, help, tuple(labels)
        self._lock = threading.Lock()

    def _key(self, labels: Mapping[str, str]) -> tuple[str, ...]:
        if set(labels) != set(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}, got {tuple(labels)}")
        return tuple(str(labels[n]) for n in self.label_names)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]


class Counter(_Metric):
    kind = "counter"

    def __init__(self, name: str, help: str, labels: tuple[str, ...] = ()):
        super().__init__(name, help, labels)
        self._values: dict[tuple[str, ...], float] = {}

    def inc(self, amount: float = 1, **labels: str) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        with self._lock:
            return self._values.get(self._key(labels), 0)

    def render(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return self.header() + [f"{self.name}{_labels(zip(self.label_names, k))} {_num(v)}"
                                for k, v in items]


class Histogram(_Metric):
    kind = "histogram"

    def __init__(self, name: str, help: str, labels: tuple[str, ...] = (),
                 buckets: tuple[float, ...] = DEFAULT_BUCKETS):
        super().__init__(name, help, labels)
        self.buckets = tuple(sorted(buckets))
        self._series: dict[tuple[str, ...], list] = {}  # key -> [bucket counts, sum, count]

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        index = bisect.bisect_left(self.buckets, value)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = [[0] * len(self.buckets), 0.0, 0]
            if index < len(self.buckets):
                series[0][index] += 1
            series[1] += value
            series[2] += 1

    def count(self, **labels: str) -> int:
        with self._lock:
            series = self._series.get(self._key(labels))
            return series[2] if series else 0

    def render(self) -> list[str]:
        with self._lock:
            items = sorted((k, ([*v[0]], v[1], v[2])) for k, v in self._series.items())
        lines = self.header()
        for key, (counts, total, n) in items:
            base = list(zip(self.label_names, key))
            running = 0
            for bound, c in zip(self.buckets, counts):
                running += c
                lines.append(f"{self.name}_bucket{_labels(base + [('le', _num(bound))])} {running}")
            lines.append(f"{self.name}_bucket{_labels(base + [('le', '+Inf')])} {n}")
            lines.append(f"{self.name}_sum{_labels(base)} {_num(total)}")
            lines.append(f"{self.name}_count{_labels(base)} {n}")
        return lines


class _GaugeCallback:
    kind = "gauge"

    def __init__(self, name: str, help: str, fn: Callable[[], GaugeValue]):
        self.name, self.help, self.fn = name, help, fn

    def render(self) -> list[str]:
        value = self.fn()  # may raise: the registry handles it
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} gauge"]
        if isinstance(value, Mapping):
            for key, v in sorted(value.items()):
                lines.append(f"{self.name}{_labels(key)} {_num(v)}")
        else:
            lines.append(f"{self.name} {_num(value)}")
        return lines


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._metrics: dict[str, object] = {}
        self._callback_errors = Counter("gateway_metrics_callback_errors_total",
                                        "gauge callbacks that failed at scrape time",
                                        ("metric",))

    def _get_or_add(self, name: str, factory: Callable[[], object], kind: type) -> object:
        with self._lock:
            existing = self._metrics.get(name)
            if existing is not None:
                if not isinstance(existing, kind):
                    raise ValueError(f"metric {name} exists with another type")
                return existing
            metric = self._metrics[name] = factory()
            return metric

    def counter(self, name: str, help: str, labels: tuple[str, ...] = ()) -> Counter:
        return self._get_or_add(name, lambda: Counter(name, help, labels), Counter)

    def histogram(self, name: str, help: str, labels: tuple[str, ...] = (),
                  buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> Histogram:
        return self._get_or_add(name, lambda: Histogram(name, help, labels, buckets), Histogram)

    def register_gauge_callback(self, name: str, help: str,
                                fn: Callable[[], GaugeValue]) -> None:
        """fn() -> number, or {(("label", "value"), ...): number}; called at every scrape."""
        with self._lock:
            self._metrics[name] = _GaugeCallback(name, help, fn)

    def unregister(self, name: str) -> None:
        with self._lock:
            self._metrics.pop(name, None)

    def render(self) -> str:
        with self._lock:
            metrics = sorted(self._metrics.items())
        lines: list[str] = []
        for name, metric in metrics:
            try:
                lines.extend(metric.render())
            except Exception:  # noqa: BLE001 - one broken callback must not break the scrape
                self._callback_errors.inc(metric=name)
        if any(True for _ in self._callback_errors._values):
            lines.extend(self._callback_errors.render())
        return "\n".join(lines) + "\n"


REGISTRY = Registry()
counter = REGISTRY.counter
histogram = REGISTRY.histogram
register_gauge_callback = REGISTRY.register_gauge_callback


def serve(host: str, port: int, registry: "Registry | None" = None) -> Callable[[], None]:
    """Serve GET /metrics of the registry on host:port from a background thread (for
    processes without the facade: `gateway worker --metrics-port`). Returns stop()."""
    from waitress import create_server

    registry = registry or REGISTRY

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        body = registry.render().encode()
        start_response("200 OK", [("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    server = create_server(app, host=host, port=port, threads=2, ident="gateway-metrics")
    thread = threading.Thread(target=server.run, name="metrics", daemon=True)
    thread.start()

    def stop() -> None:
        server.close()

    stop.port = server.effective_port  # type: ignore[attr-defined]
    return stop


def write_textfile(path: str, registry: "Registry | None" = None) -> None:
    """The registry as a Prometheus text file, written atomically (node_exporter's textfile
    collector reads it): how a batch job such as `gateway sync` hands over its metrics."""
    import os
    import tempfile

    text = (registry or REGISTRY).render()
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".metrics-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)
