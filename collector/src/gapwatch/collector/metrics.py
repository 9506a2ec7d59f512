"""The collector's own Prometheus metrics, one registry per collector instance."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

PREFIX = "gapwatch_collector"


class CollectorMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            f"{PREFIX}_requests",
            "OTLP export requests by transport and answer",
            ["transport", "code"],
            registry=r,
        )
        self.spans_received = Counter(
            f"{PREFIX}_spans_received", "spans in decoded requests", registry=r
        )
        self.spans_accepted = Counter(
            f"{PREFIX}_spans_accepted", "spans durably logged and acknowledged", registry=r
        )
        self.spans_rejected = Counter(
            f"{PREFIX}_spans_rejected", "spans rejected through partial success", registry=r
        )
        self.spans_stored = Counter(
            f"{PREFIX}_spans_stored", "spans inserted into ClickHouse", registry=r
        )
        self.duplicates = Counter(
            f"{PREFIX}_duplicate_requests",
            "retried requests recognised and not stored again",
            registry=r,
        )
        self.throttled = Counter(
            f"{PREFIX}_throttled_requests",
            "requests refused with 429/503",
            ["reason"],
            registry=r,
        )
        self.truncated_values = Counter(
            f"{PREFIX}_truncated_values", "attribute values cut at the length limit", registry=r
        )
        self.dropped_attributes = Counter(
            f"{PREFIX}_dropped_attributes", "attributes dropped at the count limit", registry=r
        )
        self.python_flattened_blocks = Counter(
            f"{PREFIX}_python_flattened_blocks",
            "WAL blocks flattened in Python because ClickHouse could not render them exactly",
            registry=r,
        )
        self.isolated_blocks = Counter(
            f"{PREFIX}_isolated_blocks",
            "WAL blocks refused for their data and split to store the rest",
            registry=r,
        )
        self.quarantined_spans = Counter(
            f"{PREFIX}_quarantined_spans",
            "acknowledged spans storage refuses, kept in the quarantine",
            registry=r,
        )
        self.quarantine_entries = Gauge(
            f"{PREFIX}_quarantine_entries", "entries in the quarantine directory", registry=r
        )
        self.memory_in_flight = Gauge(
            f"{PREFIX}_memory_in_flight_bytes",
            "memory reserved by requests in flight and the block being stored (estimate)",
            registry=r,
        )
        self.insert_failures = Counter(
            f"{PREFIX}_insert_failures", "failed insert attempts (retried)", registry=r
        )
        self.insert_seconds = Histogram(
            f"{PREFIX}_insert_seconds",
            "time per ClickHouse insert",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.queue_records = Gauge(
            f"{PREFIX}_queue_records", "acknowledged requests not yet in ClickHouse", registry=r
        )
        self.queue_bytes = Gauge(
            f"{PREFIX}_queue_bytes", "bytes of acknowledged requests not yet stored", registry=r
        )
        self.oldest_queued_seconds = Gauge(
            f"{PREFIX}_oldest_queued_seconds", "age of the oldest unstored request", registry=r
        )
        self.wal_bytes = Gauge(f"{PREFIX}_wal_bytes", "write-ahead log size on disk", registry=r)
        self.storage_up = Gauge(
            f"{PREFIX}_storage_up", "1 while ClickHouse takes inserts", registry=r
        )

    def bind_queue(
        self,
        backlog: Callable[[], tuple[int, int, float]],
        wal_size: Callable[[], int],
        storage_up: Callable[[], bool],
    ) -> None:
        """Read the live gauges from the WAL and storage health at scrape time."""
        self.queue_records.set_function(lambda: backlog()[0])
        self.queue_bytes.set_function(lambda: backlog()[1])
        self.oldest_queued_seconds.set_function(lambda: backlog()[2])
        self.wal_bytes.set_function(wal_size)
        self.storage_up.set_function(lambda: 1.0 if storage_up() else 0.0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
