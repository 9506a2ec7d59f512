"""Load a simulated fleet straight into a store, without a network hop.

    stats = load_fleet(client, FleetOptions(sessions=200))
    fleet = load_synthetic(client, SyntheticOptions(seed=3, gaps=GAP_KINDS))

The spans go through the OpenTelemetry SDK, the OTLP protobuf encoder and the collector's own
``ingest_request`` — the path the receivers use — so the rows are exactly what the collector
would store. Tests and benchmarks use this; ``gapwatch demo`` sends over real OTLP/HTTP instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from clickhouse_connect.driver.client import Client
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer

from gapwatch.analyzer.demo.fleet import Fleet, FleetOptions, FleetStats, SeededIdGenerator
from gapwatch.analyzer.demo.synthetic import SyntheticFleet, SyntheticOptions
from gapwatch.analyzer.model import assemble_traces
from gapwatch.collector.ingest import IngestOptions, ingest_request
from gapwatch.collector.validation import TimePolicy
from gapwatch.collector.writer import ClickHouseSpanWriter

BATCH = 2_000
T = TypeVar("T")


def load_fleet(client: Client, options: FleetOptions) -> FleetStats:
    """Run the demo fleet into memory, then ingest it; returns the fleet's statistics."""
    return _load(client, options.seed, lambda tracer_for: Fleet(options, tracer_for).run())


def load_synthetic(client: Client, options: SyntheticOptions) -> SyntheticFleet:
    """Run a synthetic fleet into memory, then ingest it; returns the fleet (with its ledger)."""

    def run(tracer_for: Callable[[str], Tracer]) -> SyntheticFleet:
        fleet = SyntheticFleet(options, tracer_for)
        fleet.run()
        return fleet

    return _load(client, options.seed, run)


def _load(client: Client, seed: int, emit: Callable[[Callable[[str], Tracer]], T]) -> T:
    """Record what ``emit`` runs with tracers of its own, ingest it, assemble; returns what
    ``emit`` returned."""
    exporter = InMemorySpanExporter()
    providers: dict[str, TracerProvider] = {}

    def tracer_for(service: str) -> Tracer:
        if service not in providers:
            provider = TracerProvider(
                resource=Resource.create({"service.name": service, "service.version": "demo"}),
                id_generator=SeededIdGenerator(seed + len(providers)),
            )
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            providers[service] = provider
        return providers[service].get_tracer("gapwatch.demo")

    emitted = emit(tracer_for)
    spans = exporter.get_finished_spans()
    writer = ClickHouseSpanWriter(client)
    ingest = IngestOptions(time_policy=TimePolicy(retention_days=0))
    for start in range(0, len(spans), BATCH):
        request = encode_spans(spans[start : start + BATCH])
        result = ingest_request(writer, request, ingest)
        if result.rejected:
            raise RuntimeError(f"fleet spans rejected by ingest: {result.message}")
    for provider in providers.values():
        provider.shutdown()
    # detectors and dashboards read the assembled model, as after any ingest
    assemble_traces(client, client.database or "default")
    return emitted
