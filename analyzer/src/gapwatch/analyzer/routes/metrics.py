"""Prometheus metrics of the API and the analysis, on a registry per app (tests build many).

    metrics = ApiMetrics(); metrics.observe("GET", "/api/v1/proposals", 200, 0.004)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gapwatch_http_requests", "API requests by route and status",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "gapwatch_http_request_duration_seconds", "API request latency by route",
            ["route"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def watch(self, collect: Callable[[], Iterator[GaugeMetricFamily]]) -> None:
        """Add gauges computed at scrape time (proposals by status, scheduler state)."""
        self.registry.register(_Callback(collect))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Callback(Collector):
    def __init__(self, collect: Callable[[], Iterator[GaugeMetricFamily]]):
        self._collect = collect

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return self._collect()
